"""People and the mentor pathway in the browser: the list, adding a person, a person's page and its actions.

Every read starts from `visible_to(request.user)`; every write calls the service the API calls
(supervision.people.services, franchise.services.invite), which checks the writer's role again. Each action is
its own POST route: success redirects back to the person's page with a message; a refusal re-renders that page
with status 400 and the error next to the field it is about.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError, IllegalTransition
from core.tenancy import COORDINATOR, SUPERVISOR, TRAINER, is_own_person
from franchise import services as franchise_services
from franchise.models import PolicyAcknowledgement, Role
from franchise.policy import effective_policy
from supervision.models import (
    MENTOR_TRANSITIONS,
    Match,
    MentorStatus,
    Person,
    PersonTransition,
    ShadowingLog,
    SupervisionSession,
)
from supervision.people import services
from supervision.people.listing import NOT_ON_PATHWAY, people_matching
from supervision.people.rules import activation_unmet_for, partner_today
from web.forms import DateInput, show_refusal
from web.partners import partner_page
from web.supervision.matches import EndMatchForm
from web.today.links import url_or_none

PAGE_SIZE = 50
SHOWN = 20
PEOPLE_READERS = (COORDINATOR, SUPERVISOR, TRAINER)

STATUS_WORDS = {
    None: "Staff, not on the pathway",
    MentorStatus.APPLICANT: "Applicant",
    MentorStatus.IN_TRAINING: "In training",
    MentorStatus.SHADOWING: "Shadowing",
    MentorStatus.ACTIVE: "Active",
    MentorStatus.PAUSED: "Paused",
    MentorStatus.EXITED: "Exited",
}
STATUS_TONES = {
    MentorStatus.ACTIVE: "ok",
    MentorStatus.PAUSED: "warn",
    MentorStatus.EXITED: "muted",
    MentorStatus.SHADOWING: "info",
    MentorStatus.IN_TRAINING: "info",
    MentorStatus.APPLICANT: "info",
}
# What each move is called on the button that makes it.
MOVE_WORDS = {
    MentorStatus.APPLICANT: "Register as an applicant",
    MentorStatus.IN_TRAINING: "Start training",
    MentorStatus.SHADOWING: "Start shadowing",
    MentorStatus.ACTIVE: "Make an active mentor",
    MentorStatus.PAUSED: "Pause",
    MentorStatus.EXITED: "Record that they left",
}
# "<name> is now …" after each move.
NOW_WORDS = {
    MentorStatus.APPLICANT: "an applicant",
    MentorStatus.IN_TRAINING: "in training",
    MentorStatus.SHADOWING: "shadowing",
    MentorStatus.ACTIVE: "an active mentor",
    MentorStatus.PAUSED: "paused",
    MentorStatus.EXITED: "recorded as having left",
}
PIPELINE = (
    MentorStatus.APPLICANT,
    MentorStatus.IN_TRAINING,
    MentorStatus.SHADOWING,
    MentorStatus.ACTIVE,
    MentorStatus.PAUSED,
    MentorStatus.EXITED,
)
YES_NO = [("", "Either"), ("yes", "Yes"), ("no", "No")]


def status_words(status):
    return STATUS_WORDS.get(status, status)


# --- forms --------------------------------------------------------------------------


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label="Name or email", required=False, max_length=200, help_text="Part of either.")
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status")]
        + [(status.value, STATUS_WORDS[status]) for status in PIPELINE]
        + [(NOT_ON_PATHWAY, STATUS_WORDS[None])],
    )
    trained = forms.ChoiceField(label="Trained", required=False, choices=YES_NO)
    on_pathway = forms.ChoiceField(label="On the mentor pathway", required=False, choices=YES_NO)

    def filter(self, people):
        if not self.is_valid():
            return people
        data = self.cleaned_data
        yes_no = {"yes": True, "no": False}
        return people_matching(
            people,
            q=data["q"],
            status=data["status"],
            trained=yes_no.get(data["trained"]),
            on_pathway=yes_no.get(data["on_pathway"]),
        )


class PersonForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "A person needs a name."})
    email = forms.EmailField(label="Email address", required=False, help_text="Needed to give them a login later.")
    on_pathway = forms.TypedChoiceField(
        label="Who is this?",
        choices=[
            (MentorStatus.APPLICANT.value, "A volunteer applying to be a mentor"),
            (NOT_ON_PATHWAY, "Staff or a learner, not on the mentor pathway"),
        ],
        initial=MentorStatus.APPLICANT.value,
        widget=forms.RadioSelect,
        coerce=lambda value: None if value == NOT_ON_PATHWAY else value,
    )
    prior_learning_on = forms.DateField(
        label="Date prior learning was recognised",
        required=False,
        help_text="Only when earlier learning counts in place of the course.",
        widget=DateInput(),
    )
    background_check_on = forms.DateField(label="Date of the background check", required=False, widget=DateInput())


class RecordsForm(forms.Form):
    """The dates on the person's own row that the readiness checklist asks for; empty means not recorded."""

    prior_learning_on = forms.DateField(
        label="Date prior learning was recognised",
        required=False,
        help_text="Only when earlier learning counts in place of the course.",
        widget=DateInput(),
    )
    background_check_on = forms.DateField(label="Date of the background check", required=False, widget=DateInput())


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label="Move to")
    reason = forms.CharField(
        label="Note", required=False, max_length=500, help_text="Why; a pause needs a reason.", widget=forms.Textarea
    )
    review_on = forms.DateField(
        label="Review the pause on",
        required=False,
        help_text="Only for a pause: the day someone checks in with them.",
        widget=DateInput(),
    )

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            (status.value, MOVE_WORDS[status]) for status in MENTOR_TRANSITIONS.get(current, ())
        ]


class ShadowingForm(forms.Form):
    shadowed = forms.ModelChoiceField(label="Member of staff shadowed", queryset=Person.objects.none())
    date = forms.DateField(label="Date", widget=DateInput())
    hours = forms.DecimalField(label="Hours", min_value=0, max_digits=4, decimal_places=2, help_text="Such as 2.5.")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea)

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["shadowed"].queryset = staff


class MatchForm(forms.Form):
    mentee_ref = forms.CharField(
        label="Mentee's reference",
        max_length=40,
        help_text="The mentee's pseudonymous reference, such as NS-M-0142 — never their name.",
    )
    started_on = forms.DateField(
        label="Started on", required=False, help_text="Today when left empty.", widget=DateInput()
    )


class InviteForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=[
            (Role.MENTOR.value, "Mentor"),
            (Role.SUPERVISOR.value, "Supervisor"),
            (Role.TRAINER.value, "Trainer"),
            (Role.COORDINATOR.value, "Coordinator"),
        ],
    )


# --- the list ----------------------------------------------------------------------


@partner_page(*PEOPLE_READERS)
def people_list(request, here):
    visible = Person.objects.visible_to(request.user).filter(partner=here.partner)
    filters = PeopleFilterForm(request.GET or None)
    people = filters.filter(visible.for_listing()).order_by("name", "id")
    page_obj = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = visible.aggregate(
        **{status.value: Count("pk", filter=Q(mentor_status=status)) for status in PIPELINE},
        none=Count("pk", filter=Q(mentor_status__isnull=True)),
    )
    base = reverse("people", args=[here.partner.slug])
    pipeline = [
        {
            "label": STATUS_WORDS[status],
            "count": counts[status.value],
            "url": f"{base}?status={status.value}",
            "current": request.GET.get("status") == status.value,
        }
        for status in PIPELINE
    ]
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {"person": person, "status": status_words(person.mentor_status), "tone": STATUS_TONES.get(person.mentor_status)}
        for person in page_obj
    ]
    return render(
        request,
        "web/people/list.html",
        {
            "nav": "people",
            "filters": filters,
            "page_obj": page_obj,
            "rows": rows,
            "pipeline": pipeline,
            "not_on_pathway": counts["none"],
            "query_without_page": query.urlencode(),
            "filtered": any(request.GET.get(name) for name in ("q", "status", "trained", "on_pathway")),
            "can_add": here.has(*services.PEOPLE_WRITERS),
            "import_url": url_or_none("people-import", here.partner.slug) if here.has(COORDINATOR) else None,
            "export_url": url_or_none("people-export", here.partner.slug)
            if here.has(COORDINATOR, SUPERVISOR)
            else None,
        },
    )


# --- adding a person --------------------------------------------------------------


@partner_page(*services.PEOPLE_WRITERS)
def person_new(request, here):
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.create_person(
                by=request.user,
                partner=here.partner,
                name=data["name"],
                email=data["email"],
                mentor_status=data["on_pathway"],
                prior_learning_on=data["prior_learning_on"],
                background_check_on=data["background_check_on"],
            )
        except (DomainError, ValidationError) as error:
            show_refusal(form, error, fields={"mentor_status": "on_pathway"})
        else:
            messages.success(request, f"{person.name} is registered.")
            return HttpResponseRedirect(reverse("person-detail", args=[here.partner.slug, person.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "web/people/new.html", {"nav": "people", "form": form}, status=status)


# --- a person's page ---------------------------------------------------------------


def _visible_person(request, here, person_id):
    people = Person.objects.visible_to(request.user).filter(partner=here.partner)
    return get_object_or_404(people.for_listing().select_related("partner", "user"), pk=person_id)


def _checklist(request, here, person, unmet, policy):
    """Each activation requirement, met or not, and how to meet it in words."""
    by_code = {item.code: item for item in unmet}
    records_url = "#records" if here.has(*services.PEOPLE_WRITERS) else None
    required = policy.shadowing_hours_required
    hours = f"{person.shadowing_hours.normalize():f}"
    items = [
        {
            "met": "not_trained" not in by_code,
            "label": "Trained: finished the course or prior learning recognised",
            "how": "Enrol them on a course, or record the date prior learning was recognised.",
            "url": records_url,
        },
        {
            "met": "shadowing_hours_short" not in by_code,
            "label": f"Shadowing: {hours} of {required} hours",
            "how": "Log the hours they spent shadowing staff (below).",
            "url": "#shadowing",
        },
    ]
    if policy.requires_background_check:
        items.append(
            {
                "met": "background_check_missing" not in by_code,
                "label": "Background check recorded",
                "how": "Record the date of their background check.",
                "url": records_url,
            }
        )
    items += [
        {
            "met": "policy_not_acknowledged" not in by_code,
            "label": "Policy in force acknowledged",
            "how": "Ask them to acknowledge the policy and its boundary rules (a signed paper copy can be recorded).",
            "url": url_or_none("policy", here.partner.slug),
        },
        {
            "met": "no_active_licence" not in by_code,
            "label": "The partner's licence is in force",
            "how": "New activity waits until the licensor renews or reinstates the licence.",
        },
    ]
    return items


def _sessions(request, person):
    now = timezone.now()
    sessions = (
        SupervisionSession.objects.visible_to(request.user)
        .filter(attendances__person=person)
        .select_related("group", "supervisor", "supervisee")
        .distinct()
    )
    upcoming = list(sessions.booked().filter(starts_at__gte=now).order_by("starts_at")[:5])
    recent = list(sessions.filter(starts_at__lt=now).order_by("-starts_at")[:5])
    slug = person.partner.slug

    def row(session):
        if session.group_id:
            what = session.group.name
        else:
            what = f"One-to-one with {session.supervisor or 'a supervisor'}"
            if session.supervisor_id == person.pk and session.supervisee_id:
                what = f"One-to-one supervising {session.supervisee}"
        return {
            "session": session,
            "what": what,
            "status": session.get_status_display(),
            "url": url_or_none("session-detail", slug, session.pk),
        }

    return [row(session) for session in upcoming], [row(session) for session in recent]


def _page(request, here, person, *, forms_=None, status=200):
    """The person's page, with any form that failed in place of its blank one."""
    forms_ = forms_ or {}
    slug = here.partner.slug
    coordinator = here.has(*services.PEOPLE_WRITERS)
    now = timezone.now()
    policy = effective_policy(here.partner, now)
    unmet = activation_unmet_for([person], at=now).get(person.pk, [])
    moves = MENTOR_TRANSITIONS.get(person.mentor_status, ())
    staff = Person.objects.visible_to(request.user).filter(partner=here.partner).staff().exclude(pk=person.pk)
    history = (
        PersonTransition.objects.visible_to(request.user).filter(person=person).select_related("by").order_by("-at")
    )
    logs = ShadowingLog.objects.visible_to(request.user).filter(mentor=person).select_related("shadowed")
    matches = Match.objects.visible_to(request.user).filter(mentor=person).order_by("status", "-started_on")
    acknowledgements = (
        PolicyAcknowledgement.objects.visible_to(request.user)
        .filter(person=person)
        .select_related("policy_version")
        .order_by("-acknowledged_at")
    )
    upcoming, recent = _sessions(request, person)
    match_rows = list(matches[:SHOWN])
    end_forms = forms_.get("end_match", {})
    context = {
        "nav": "people",
        "person": person,
        "status": status_words(person.mentor_status),
        "tone": STATUS_TONES.get(person.mentor_status),
        "coordinator": coordinator,
        "own": is_own_person(request.user, person),
        "checklist": _checklist(request, here, person, unmet, policy),
        "on_pathway": person.mentor_status is not None,
        "moves": [{"to": to.value, "label": MOVE_WORDS[to]} for to in moves],
        "transition_form": forms_.get("transition") or TransitionForm(current=person.mentor_status),
        "records_form": forms_.get("records")
        or RecordsForm(
            initial={"prior_learning_on": person.prior_learning_on, "background_check_on": person.background_check_on}
        ),
        "history": [
            {"move": move, "from": status_words(move.from_status), "to": status_words(move.to_status)}
            for move in history[:SHOWN]
        ],
        "logs": list(logs[:SHOWN]),
        "can_log_shadowing": here.has(*services.SHADOWING_WRITERS),
        "shadowing_form": forms_.get("shadowing")
        or ShadowingForm(staff=staff, initial={"date": partner_today(here.partner)}),
        "matches_visible": here.has(COORDINATOR, SUPERVISOR) or is_own_person(request.user, person),
        "matches": [
            {
                "match": match,
                "url": reverse("match-detail", args=[slug, match.pk]),
                "end_form": end_forms.get(match.pk) or EndMatchForm(match=match, prefix=f"end-{match.pk}"),
            }
            for match in match_rows
        ],
        "can_match": here.has(*services.MATCH_WRITERS),
        "match_form": forms_.get("match") or MatchForm(),
        "upcoming": upcoming,
        "recent": recent,
        "acknowledgements": list(acknowledgements[:SHOWN]),
        "acknowledgements_visible": here.has(COORDINATOR),
        "can_invite": coordinator and person.user_id is None and bool(person.email),
        "invite_form": forms_.get("invite")
        or InviteForm(initial={"role": Role.MENTOR if person.mentor_status else Role.SUPERVISOR}),
        "urls": {
            "transition": reverse("person-transition", args=[slug, person.pk]),
            "records": reverse("person-records", args=[slug, person.pk]),
            "shadowing": reverse("person-shadowing", args=[slug, person.pk]),
            "matches": reverse("person-matches", args=[slug, person.pk]),
            "invite": reverse("person-invite", args=[slug, person.pk]),
            "people": reverse("people", args=[slug]) if here.has(*PEOPLE_READERS) else None,
        },
    }
    return render(request, "web/people/detail.html", context, status=status)


def _back(request, here, person, message, anchor=""):
    messages.success(request, message)
    return HttpResponseRedirect(reverse("person-detail", args=[here.partner.slug, person.pk]) + anchor)


@partner_page()
def person_detail(request, here, person_id):
    return _page(request, here, _visible_person(request, here, person_id))


@require_POST
@partner_page(*services.PEOPLE_WRITERS)
def person_transition(request, here, person_id):
    person = _visible_person(request, here, person_id)
    form = TransitionForm(request.POST, current=person.mentor_status)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.transition_person(
                by=request.user, person=person, to=data["to"], reason=data["reason"], review_on=data["review_on"]
            )
        except IllegalTransition as error:
            form.add_error("to", error.message)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(request, here, person, f"{person.name} is now {NOW_WORDS[data['to']]}.", "#pathway")
    return _page(request, here, person, forms_={"transition": form}, status=400)


@require_POST
@partner_page(*services.PEOPLE_WRITERS)
def person_records(request, here, person_id):
    person = _visible_person(request, here, person_id)
    form = RecordsForm(request.POST)
    if form.is_valid():
        try:
            services.update_person(by=request.user, person=person, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(request, here, person, f"The dates for {person.name} are saved.", "#records")
    return _page(request, here, person, forms_={"records": form}, status=400)


@require_POST
@partner_page(*services.SHADOWING_WRITERS)
def person_shadowing(request, here, person_id):
    person = _visible_person(request, here, person_id)
    staff = Person.objects.visible_to(request.user).filter(partner=here.partner).staff().exclude(pk=person.pk)
    form = ShadowingForm(request.POST, staff=staff)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.log_shadowing(
                by=request.user,
                mentor=person,
                shadowed=data["shadowed"],
                date=data["date"],
                hours=data["hours"],
                note=data["note"],
            )
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            hours = f"{data['hours'].normalize():f}"
            return _back(request, here, person, f"{hours} hours of shadowing logged for {person.name}.", "#shadowing")
    return _page(request, here, person, forms_={"shadowing": form}, status=400)


@require_POST
@partner_page(*services.MATCH_WRITERS)
def person_match(request, here, person_id):
    person = _visible_person(request, here, person_id)
    form = MatchForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            match = services.create_match(
                by=request.user, mentor=person, mentee_ref=data["mentee_ref"], started_on=data["started_on"]
            )
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(
                request,
                here,
                person,
                f"A match of {person.name} with mentee {match.mentee_ref} is proposed; it starts once approved.",
                "#matches",
            )
    return _page(request, here, person, forms_={"match": form}, status=400)


@require_POST
@partner_page(*services.MATCH_WRITERS)
def person_match_end(request, here, person_id, match_id):
    person = _visible_person(request, here, person_id)
    match = get_object_or_404(Match.objects.visible_to(request.user).filter(mentor=person), pk=match_id)
    form = EndMatchForm(request.POST, match=match, prefix=f"end-{match.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.end_match(
                by=request.user, match=match, outcome=data["outcome"], note=data["note"], ended_on=data["ended_on"]
            )
        except IllegalTransition:
            form.add_error(None, "This match has already ended.")
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(request, here, person, f"The match with mentee {match.mentee_ref} has ended.", "#matches")
    return _page(request, here, person, forms_={"end_match": {match.pk: form}}, status=400)


@require_POST
@partner_page(*services.PEOPLE_WRITERS)
def person_invite(request, here, person_id):
    person = _visible_person(request, here, person_id)
    form = InviteForm(request.POST)
    if person.user_id is not None:
        form.add_error(None, f"{person.name} already has a login.")
    elif not person.email:
        form.add_error(None, f"Record an email address for {person.name} first.")
    elif form.is_valid():
        try:
            franchise_services.invite(
                by=request.user, partner=here.partner, email="", role=form.cleaned_data["role"], person=person
            )
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(
                request,
                here,
                person,
                f"An invitation is on its way to {person.email}; the login is linked to {person.name} once accepted.",
            )
    return _page(request, here, person, forms_={"invite": form}, status=400)


urlpatterns = [
    path("people/", people_list, name="people"),
    path("people/new/", person_new, name="person-new"),
    path("people/<uuid:person_id>/", person_detail, name="person-detail"),
    path("people/<uuid:person_id>/transition/", person_transition, name="person-transition"),
    path("people/<uuid:person_id>/records/", person_records, name="person-records"),
    path("people/<uuid:person_id>/shadowing/", person_shadowing, name="person-shadowing"),
    path("people/<uuid:person_id>/matches/", person_match, name="person-matches"),
    path("people/<uuid:person_id>/matches/<uuid:match_id>/end/", person_match_end, name="person-match-end"),
    path("people/<uuid:person_id>/invite/", person_invite, name="person-invite"),
]
