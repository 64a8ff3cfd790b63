from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.health import healthz
from api.pages import accept_invitation_page
from api.supervision_sessions import group_calendar, person_calendar

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("healthz", healthz, name="healthz"),
    path("invite/<str:token>/", accept_invitation_page, name="accept-invitation"),
    # Secret iCalendar feeds: no login, the secret in the path is the key.
    path("calendar/group/<str:secret>.ics", group_calendar, name="group-calendar"),
    path("calendar/<str:secret>.ics", person_calendar, name="person-calendar"),
]
