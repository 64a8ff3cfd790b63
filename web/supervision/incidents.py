"""Boundary incidents in the browser: the list, reporting one, and one incident with its chronology.

The same services and querysets as api/supervision/incidents.py: the list starts from
BoundaryIncident.objects.visible_to(user) and never shows a description; each view of an incident's
detail is recorded with services.record_read, exactly as the API's retrieve does (and refused, with
nothing logged, when two-factor sign-in is required and missing).
"""

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, IllegalTransition, NotPermitted
from core.tenancy import COORDINATOR, SUPERVISOR
from franchise import two_factor
from franchise.models import BoundaryRule
from franchise.policy import effective_policy
from supervision.incidents import services as incidents
from supervision.incidents.rules import may_read_reflection
from supervision.incidents.services import REPORTER_ROLES
from supervision.mentoring import services as mentoring
from supervision.mentoring.rules import may_record_contacts
from supervision.models import (
    BoundaryIncident,
    ContactRecord,
    IncidentAction,
    IncidentDiscussion,
    IncidentTransition,
    Match,
    Person,
)
from web.forms import DateInput, DateTimeInput, show_domain_error, show_refusal
from web.partners import partner_page

Status = BoundaryIncident.Status
Severity = BoundaryIncident.Severity
PAGE_SIZE = 25
ACCESS_LOG_SHOWN = 50

STATUS_TONES = {
    Status.REPORTED: "warn",
    Status.UNDER_REVIEW: "info",
    Status.ACTION_AGREED: "info",
    Status.ESCALATED: "bad",
    Status.CLOSED: "muted",
}
SEVERITY_TONES = {Severity.LOW: "muted", Severity.MEDIUM: "info", Severity.HIGH: "warn", Severity.CRITICAL: "bad"}
TRANSITION_WORDS = {
    Status.UNDER_REVIEW: "Start the review",
    Status.ACTION_AGREED: "Record that actions are agreed",
    Status.ESCALATED: "Escalate to the licensing organisation",
    Status.CLOSED: "Close the incident",
}
ACCESS_WORDS = {
    "read": "Read the incident",
    "create": "Reported it",
    "update": "Changed it",
    "transition": "Moved it on",
    "action": "Changed an action",
    "export": "Exported it",
    "anonymise": "Anonymised it",
}


STATUS_WORDS = {
    Status.REPORTED: "Reported",
    Status.UNDER_REVIEW: "Under review",
    Status.ACTION_AGREED: "Action agreed",
    Status.ESCALATED: "Escalated",
    Status.CLOSED: "Closed",
}
CATEGORY_WORDS = {
    "contact": "Contact",
    "confidentiality": "Confidentiality",
    "dual_relationship": "Dual relationships",
    "gifts_money": "Gifts and money",
    "self_disclosure": "Self-disclosure",
    "over_identification": "Over-identification",
    "safeguarding": "Safeguarding",
    "other": "Other",
}


def _status_label(status):
    return STATUS_WORDS.get(status, status)


def category_label(category):
    return CATEGORY_WORDS.get(category, category)


def incident_words(incident):
    """An incident's status, severity and category as its pages show them: words and badge tones."""
    return {
        "status_label": _status_label(incident.status),
        "status_tone": STATUS_TONES.get(incident.status, "muted"),
        "severity_tone": SEVERITY_TONES.get(incident.severity, "muted"),
        "category_label": category_label(incident.category),
    }


def _detail_in_words(detail):
    """An access-log detail as stored ("reported → under_review") with the statuses in words."""
    for status, words in STATUS_WORDS.items():
        detail = detail.replace(str(status), words.lower())
    return detail


# --- forms -----------------------------------------------------------------------------


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *STATUS_WORDS.items()], required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)


class MenteeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, match):
        # Mentees are known by their pseudonymous reference only.
        return match.mentee_ref


class MentorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person):
        return person.name


class ReportForm(forms.Form):
    rule = forms.ChoiceField(label="Which boundary rule was involved")
    mentor = MentorChoiceField(queryset=Person.objects.none(), label="The mentor involved")
    match = MenteeChoiceField(
        queryset=Match.objects.none(),
        required=False,
        label="The mentee (by their reference)",
        empty_label="Not about a particular mentee",
    )
    severity = forms.ChoiceField(choices=Severity.choices, label="How serious is it")
    occurred_at = forms.DateTimeField(
        label="When it happened",
        widget=DateTimeInput(),
    )
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 6}))
    immediate_action = forms.CharField(
        label="What was done straight away", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, partner, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = {}
        for rule in effective_policy(partner).boundary_rules:
            groups.setdefault(category_label(rule.category), []).append((str(rule.id), f"{rule.code} — {rule.title}"))
        self.fields["rule"].choices = [("", "Choose a rule"), *sorted(groups.items())]
        self.fields["mentor"].queryset = (
            Person.objects.visible_to(user).filter(partner=partner).mentors().order_by("name")
        )
        self.fields["match"].queryset = (
            Match.objects.visible_to(user).filter(partner=partner).active().order_by("mentee_ref")
        )
        own = self.fields["mentor"].queryset.filter(user=user).first()
        if own is not None:
            self.fields["mentor"].initial = own.pk
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        if record is not None:
            # About the record's mentor and mentee, whatever is posted: the report is linked to that record.
            for name in ("mentor", "match"):
                self.fields[name].disabled = True
            self.fields["match"].queryset = Match.objects.filter(pk=record.match_id)


class TransitionForm(forms.Form):
    # Every status is accepted here so that the workflow (the domain) is what refuses a move it does not allow.
    to = forms.ChoiceField(choices=Status.choices, label="Move the incident to", widget=forms.RadioSelect)
    note = forms.CharField(label="Why (kept in the chronology)", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.choices = [(status, TRANSITION_WORDS[status]) for status in allowed]


class ActionForm(forms.Form):
    description = forms.CharField(label="What will be done", widget=forms.Textarea(attrs={"rows": 2}))
    owner = MentorChoiceField(queryset=Person.objects.none(), required=False, label="Who does it")
    due_on = forms.DateField(label="Due by", widget=DateInput())

    def __init__(self, *args, user, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Person.objects.visible_to(user).filter(partner=partner).order_by("name")


# --- the list --------------------------------------------------------------------------


@partner_page(*REPORTER_ROLES)
def incident_list(request, here):
    filters = IncidentFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    visible = (
        BoundaryIncident.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .with_review_overdue()
        .select_related("mentor", "rule")
        .order_by("-created_at")
    )
    for name in ("status", "severity"):
        if chosen.get(name):
            visible = visible.filter(**{name: chosen[name]})
    page_obj = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [{"incident": incident, **incident_words(incident)} for incident in page_obj]
    return render(
        request,
        "web/incidents/list.html",
        {
            "nav": "incidents",
            "filters": filters,
            "page_obj": page_obj,
            "rows": rows,
            "query_without_page": query.urlencode(),
            "filtered": bool(chosen.get("status") or chosen.get("severity")),
            "sees_all": here.has(COORDINATOR),
            "is_supervisor": here.has(SUPERVISOR),
        },
    )


# --- reporting -------------------------------------------------------------------------


def _concern_record(request, here):
    """The caller's own contact record whose flagged concern this report answers (`?contact_record=` or the
    form's hidden field), or None. Not one of theirs, or already linked: a 404, like any row out of reach."""
    record_id = request.POST.get("contact_record") or request.GET.get("contact_record")
    if not record_id:
        return None
    records = ContactRecord.objects.visible_to(request.user).filter(partner=here.partner, incident__isnull=True)
    try:
        record = records.select_related("match__mentor", "match__partner").get(pk=record_id)
    except (ContactRecord.DoesNotExist, ValidationError):
        raise Http404("No such contact record of yours.")
    if not may_record_contacts(request.user, record.match):
        raise Http404("No such contact record of yours.")
    return record


def _concern_initial(record):
    """The report's mentor, mentee and moment, from the contact record: it happened on the record's day."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    at = now if record.date == now.date() else timezone.make_aware(datetime.combine(record.date, time(12)))
    return {"mentor": record.match.mentor_id, "match": record.match_id, "occurred_at": at}


@partner_page(*REPORTER_ROLES)
@require_http_methods(["GET", "POST"])
def incident_new(request, here):
    record = _concern_record(request, here)
    form = ReportForm(
        request.POST or None,
        user=request.user,
        partner=here.partner,
        initial=_concern_initial(record) if record else None,
        record=record,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            rule = BoundaryRule.objects.visible_to(request.user).filter(pk=data["rule"]).first()
            if rule is None:
                form.add_error("rule", "Choose one of the rules of this partner's policy.")
            else:
                fields = {
                    "rule": rule,
                    "severity": data["severity"],
                    "occurred_at": data["occurred_at"],
                    "description": data["description"],
                    "immediate_action": data["immediate_action"],
                }
                try:
                    if record is not None:
                        incident = mentoring.report_concern(by=request.user, record=record, **fields)
                    else:
                        incident = incidents.report_incident(
                            by=request.user, mentor=data["mentor"], match=data["match"], **fields
                        )
                except DomainError as error:
                    show_domain_error(form, error)
                    status = error.status
                except ValidationError as error:
                    show_refusal(form, error)
                else:
                    linked = f" It is linked to your contact record of {record.date:%-d %B}." if record else ""
                    messages.success(
                        request, "Thank you: the incident is reported, and a coordinator will review it." + linked
                    )
                    return redirect("incident-detail", partner_slug=here.partner.slug, incident_id=incident.pk)
    context = {"nav": "incidents", "form": form, "contact_record": record}
    if record is not None:
        context["match_url"] = reverse("match-detail", args=[here.partner.slug, record.match_id])
    return render(request, "web/incidents/new.html", context, status=status)


# --- one incident ----------------------------------------------------------------------


def in_full(incidents_queryset):
    """The incidents with what their page shows: who and what they are about, chronology, actions, reflections."""
    return incidents_queryset.select_related("mentor", "match", "rule", "reporter", "policy_version").prefetch_related(
        Prefetch("transitions", queryset=IncidentTransition.objects.select_related("by")),
        Prefetch("actions", queryset=IncidentAction.objects.select_related("owner", "created_by")),
        Prefetch(
            "discussions",
            queryset=IncidentDiscussion.objects.select_related(
                "session__supervisor", "session__supervisee", "recorded_by"
            ),
        ),
    )


def _visible_incident(request, here, incident_id):
    visible = BoundaryIncident.objects.visible_to(request.user).filter(partner=here.partner)
    return get_object_or_404(in_full(visible), pk=incident_id)


def _who(user):
    return (user.name or user.email) if user is not None else "Someone no longer recorded"


def _chronology(incident, user):
    """The report, each move with who and why, the actions and the reflections in supervision, oldest first."""
    entries = [{"at": incident.created_at, "what": "Reported", "who": _who(incident.reporter), "note": ""}]
    for move in incident.transitions.all():
        entries.append(
            {
                "at": move.at,
                "what": f"{_status_label(move.from_status)} → {_status_label(move.to_status)}",
                "who": _who(move.by),
                "note": move.note,
            }
        )
    for action in incident.actions.all():
        entries.append({"at": action.created_at, "what": "Action agreed", "who": _who(action.created_by), "note": ""})
        if action.done_at:
            entries.append({"at": action.done_at, "what": "Action done", "who": "", "note": action.description})
        if action.dropped_at:
            entries.append({"at": action.dropped_at, "what": "Action dropped", "who": "", "note": action.drop_note})
    for discussion in incident.discussions.all():
        readable = may_read_reflection(discussion, user)
        entries.append(
            {
                "at": discussion.recorded_at,
                "what": "Discussed in supervision",
                "who": _who(discussion.recorded_by),
                "note": discussion.note if readable else "",
            }
        )
    return sorted(entries, key=lambda entry: entry["at"])


def _access_log(incident, user):
    """The access log's latest rows for those who read it (the partner's coordinators), else None."""
    try:
        incidents.require_log_reader(user, incident)
    except NotPermitted:
        return None
    log = incident.access_log.select_related("user").order_by("-at", "-created_at")
    rows = list(log[:ACCESS_LOG_SHOWN])
    rows.reverse()
    return {
        "rows": [
            {
                "entry": row,
                "words": ACCESS_WORDS.get(row.action, row.action),
                "detail": _detail_in_words(row.detail),
                "who": _who(row.user),
            }
            for row in rows
        ],
        "total": log.count(),
    }


def _detail(request, here, incident, *, transition_form=None, action_form=None, status=200):
    """The incident in full, recorded in its access log as the API records a read; or the two-factor page."""
    try:
        incidents.record_read(incident=incident, by=request.user)
    except two_factor.TwoFactorRequired:
        return render(request, "web/incidents/two_factor_required.html", {"nav": "incidents"}, status=403)
    manages = here.has(COORDINATOR) and incident.is_open
    allowed = incident.allowed_transitions() if manages else []
    if manages:
        transition_form = transition_form or TransitionForm(allowed=allowed)
        action_form = action_form or ActionForm(user=request.user, partner=here.partner)
    return render(
        request,
        "web/incidents/detail.html",
        {
            "nav": "incidents",
            "incident": incident,
            **incident_words(incident),
            "review_overdue": incident.status == Status.REPORTED
            and incident.reviewed_at is None
            and incident.review_due_at < timezone.now(),
            "chronology": _chronology(incident, request.user),
            "actions": list(incident.actions.all()),
            "manages": manages,
            "transition_form": transition_form if allowed else None,
            "action_form": action_form,
            "access_log": _access_log(incident, request.user),
        },
        status=status,
    )


@partner_page(*REPORTER_ROLES)
def incident_detail(request, here, incident_id):
    return _detail(request, here, _visible_incident(request, here, incident_id))


def _post_only():
    # Checked after the incident is found, so that another partner's incident is a 404 whatever the method.
    return HttpResponseNotAllowed(["POST"])


def _back(here, incident):
    return redirect("incident-detail", partner_slug=here.partner.slug, incident_id=incident.pk)


def _illegal_in_words(error):
    allowed = ", ".join(_status_label(status) for status in error.allowed) or "nothing (it is closed)"
    return (
        f"An incident that is {_status_label(error.current).lower()} cannot move to "
        f"{_status_label(error.requested).lower()}. It can move to: {allowed.lower()}."
    )


@partner_page(*REPORTER_ROLES)
def incident_transition(request, here, incident_id):
    incident = _visible_incident(request, here, incident_id)
    if request.method != "POST":
        return _post_only()
    form = TransitionForm(request.POST, allowed=incident.allowed_transitions())
    if form.is_valid():
        try:
            incidents.transition_incident(by=request.user, incident=incident, **form.cleaned_data)
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except IllegalTransition as error:
            form.add_error("to", _illegal_in_words(error))
            return _detail(request, here, incident, transition_form=form, status=error.status)
        except DomainError as error:
            show_domain_error(form, error)
            return _detail(request, here, incident, transition_form=form, status=error.status)
        messages.success(request, f"The incident is now {_status_label(form.cleaned_data['to']).lower()}.")
        return _back(here, incident)
    return _detail(request, here, incident, transition_form=form, status=400)


@partner_page(*REPORTER_ROLES)
def incident_action_add(request, here, incident_id):
    incident = _visible_incident(request, here, incident_id)
    if request.method != "POST":
        return _post_only()
    form = ActionForm(request.POST, user=request.user, partner=here.partner)
    if form.is_valid():
        try:
            incidents.add_action(by=request.user, incident=incident, **form.cleaned_data)
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            show_domain_error(form, error)
            return _detail(request, here, incident, action_form=form, status=error.status)
        messages.success(request, "The action is added.")
        return _back(here, incident)
    return _detail(request, here, incident, action_form=form, status=400)


class ActionDoneForm(forms.Form):
    action = forms.UUIDField()


@partner_page(*REPORTER_ROLES)
def incident_action_done(request, here, incident_id):
    incident = _visible_incident(request, here, incident_id)
    if request.method != "POST":
        return _post_only()
    form = ActionDoneForm(request.POST)
    if not form.is_valid():
        # Only a hand-made request lacks the button's action id: say what was missing rather than "not found".
        return render(request, "400.html", {"reason": "Say which action is done."}, status=400)
    action = get_object_or_404(
        IncidentAction.objects.visible_to(request.user).filter(incident=incident), pk=form.cleaned_data["action"]
    )
    try:
        incidents.complete_action(by=request.user, action=action)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
        return _back(here, incident)
    messages.success(request, "The action is marked done.")
    return _back(here, incident)


urlpatterns = [
    path("incidents/", incident_list, name="incidents"),
    path("incidents/new/", incident_new, name="incident-new"),
    path("incidents/<uuid:incident_id>/", incident_detail, name="incident-detail"),
    path("incidents/<uuid:incident_id>/transition/", incident_transition, name="incident-transition"),
    path("incidents/<uuid:incident_id>/actions/", incident_action_add, name="incident-action-add"),
    path("incidents/<uuid:incident_id>/actions/done/", incident_action_done, name="incident-action-done"),
]
