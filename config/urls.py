from django.contrib import admin
from django.urls import include, path

from api.docs import DocsView, SchemaView
from api.health import healthz
from api.supervision.sessions import group_calendar, person_calendar

# An unmatched URL under /api/ is a JSON 404 like every other API answer; elsewhere the HTML page.
handler404 = "api.exceptions.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="docs"),
    path("healthz", healthz, name="healthz"),
    # Secret iCalendar feeds: no login, the secret in the path is the key.
    path("calendar/group/<str:secret>.ics", group_calendar, name="group-calendar"),
    path("calendar/<str:secret>.ics", person_calendar, name="person-calendar"),
    # Last: the pages, whose partner-scoped part takes any other first path segment as a partner's slug.
    path("", include("web.urls")),
]
