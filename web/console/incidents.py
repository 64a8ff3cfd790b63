"""The console's escalated incidents: a list across partners that shows figures only (partner, category, severity,
when it was escalated, status), and an escalated incident's own page, the one console page that may show its account.

The same querysets and services as api/supervision/incidents.py: BoundaryIncident.objects.visible_to(user) shows the
licensor an incident only once it is escalated (any other is a 404); each view of the detail is recorded with
services.record_read, exactly as the API's retrieve does; the licensor moves it on only while it is escalated."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from core.errors import DomainError, IllegalTransition, NotPermitted
from franchise import two_factor
from supervision.incidents import services as incidents
from supervision.models import BoundaryIncident
from web.console.base import licensor_page
from web.forms import show_domain_error
from web.supervision.incidents import (
    TransitionForm,
    _access_log,
    _chronology,
    _illegal_in_words,
    _status_label,
    in_full,
    incident_words,
)

PAGE_SIZE = 25
# What the list reads: never the account (description, immediate action) nor who was involved.
LIST_FIELDS = ("id", "partner__name", "category", "severity", "status", "escalated_at")


def _escalated(user):
    return BoundaryIncident.objects.visible_to(user).filter(escalated_at__isnull=False)


@licensor_page
def incident_list(request):
    visible = _escalated(request.user).select_related("partner").only(*LIST_FIELDS).order_by("-escalated_at", "-pk")
    page_obj = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"incident": incident, **incident_words(incident)} for incident in page_obj]
    return render(
        request,
        "web/console/incidents.html",
        {"console_nav": "incidents", "rows": rows, "page_obj": page_obj, "query_without_page": ""},
    )


def _incident_or_404(request, incident_id):
    return get_object_or_404(in_full(_escalated(request.user).select_related("partner")), pk=incident_id)


def _detail(request, incident, *, transition_form=None, status=200):
    try:
        incidents.record_read(incident=incident, by=request.user)
    except two_factor.TwoFactorRequired:
        return render(request, "web/console/incident_two_factor.html", {"console_nav": "incidents"}, status=403)
    # The licensor acts on an incident only while it is escalated to it; the partner's coordinators otherwise.
    allowed = incident.allowed_transitions() if incident.status == BoundaryIncident.Status.ESCALATED else []
    if allowed:
        transition_form = transition_form or TransitionForm(allowed=allowed)
    return render(
        request,
        "web/console/incident.html",
        {
            "console_nav": "incidents",
            "incident": incident,
            **incident_words(incident),
            "chronology": _chronology(incident, request.user),
            "actions": list(incident.actions.all()),
            "transition_form": transition_form if allowed else None,
            "access_log": _access_log(incident, request.user),
        },
        status=status,
    )


@licensor_page
def incident_detail(request, incident_id):
    return _detail(request, _incident_or_404(request, incident_id))


@require_POST
@licensor_page
def incident_transition(request, incident_id):
    incident = _incident_or_404(request, incident_id)
    form = TransitionForm(request.POST, allowed=incident.allowed_transitions())
    if not form.is_valid():
        return _detail(request, incident, transition_form=form, status=400)
    try:
        incidents.transition_incident(by=request.user, incident=incident, **form.cleaned_data)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except IllegalTransition as error:
        form.add_error("to", _illegal_in_words(error))
        return _detail(request, incident, transition_form=form, status=error.status)
    except DomainError as error:
        show_domain_error(form, error)
        return _detail(request, incident, transition_form=form, status=error.status)
    messages.success(request, f"The incident is now {_status_label(form.cleaned_data['to']).lower()}.")
    return redirect("console-incident", incident.pk)


urlpatterns = [
    path("incidents/", incident_list, name="console-incidents"),
    path("incidents/<uuid:incident_id>/", incident_detail, name="console-incident"),
    path("incidents/<uuid:incident_id>/transition/", incident_transition, name="console-incident-transition"),
]
