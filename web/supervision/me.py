"""Pages about the signed-in person themselves (routes below, under /<partner_slug>/)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from supervision.people import services
from supervision.sessions.caseload import own_person
from web.partners import partner_page


@require_POST
@partner_page()
def regenerate_my_calendar(request, here):
    """A new secret calendar link for the user's own Person: the old one, perhaps shared by mistake, stops."""
    person = own_person(request.user, here.partner)
    if person is None:
        raise Http404("Your login is linked to no person here.")
    services.regenerate_calendar_secret(by=request.user, person=person)
    messages.success(
        request, "Here is your new calendar link. The old one no longer works: subscribe to the new one instead."
    )
    return redirect("partner-home", here.partner.slug)


urlpatterns = [
    path("me/calendar/regenerate/", regenerate_my_calendar, name="my-calendar-regenerate"),
]
