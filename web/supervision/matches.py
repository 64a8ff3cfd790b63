"""A match in the browser: its goals, the mentor's contact records, recording a contact (on a phone, from the
mentor's home), and the coordinator ending it with an outcome.

Every read starts from `visible_to(request.user)`; every write calls the service the API calls
(supervision.mentoring.services, supervision.people.services.end_match), which checks the writer again. After a
record that flags a concern the mentor is taken to the incident form, linked to the record (web.supervision
.incidents, `?contact_record=`).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, IllegalTransition, RuleNotMet
from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR
from supervision.mentoring import services as mentoring
from supervision.mentoring.models import MAX_CONTACT_MINUTES
from supervision.mentoring.rules import may_agree_goals, may_record_contacts
from supervision.models import ContactRecord, Match, MatchGoal
from supervision.people import services as people
from supervision.people.rules import partner_today
from web.forms import DateInput, show_refusal
from web.partners import partner_page
from web.today.links import url_or_none

MATCH_READERS = (COORDINATOR, SUPERVISOR, MENTOR)
CONTACTS_PER_PAGE = 20
NO_NAMES = "Use the mentee's reference ({ref}), never their name or anything else that identifies them."

GOAL_TONES = {
    MatchGoal.Status.AGREED: "info",
    MatchGoal.Status.IN_PROGRESS: "info",
    MatchGoal.Status.MET: "ok",
    MatchGoal.Status.DROPPED: "muted",
}


# --- forms ------------------------------------------------------------------------------


class GoalsTouchedField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, goal):
        return goal.text


class ContactForm(forms.Form):
    date = forms.DateField(label="Date", widget=DateInput())
    duration_minutes = forms.IntegerField(
        label="How long (minutes)",
        min_value=1,
        max_value=MAX_CONTACT_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    mode = forms.ChoiceField(
        label="How you were in touch", choices=ContactRecord.Mode.choices, widget=forms.RadioSelect
    )
    place = forms.CharField(label="Where", required=False, max_length=200)
    summary = forms.CharField(
        label="What you worked on", max_length=mentoring.MAX_SUMMARY, widget=forms.Textarea(attrs={"rows": 4})
    )
    goals = GoalsTouchedField(label="Goals this touched", queryset=MatchGoal.objects.none(), required=False)
    concern = forms.BooleanField(
        label="Something worries me about this contact",
        required=False,
        help_text="You will be asked whether it needs a boundary incident report or a safeguarding referral.",
    )

    def __init__(self, *args, match, goals, **kwargs):
        super().__init__(*args, **kwargs)
        hint = NO_NAMES.format(ref=match.mentee_ref)
        self.fields["summary"].help_text = hint
        self.fields["place"].help_text = "A public place or how you met, such as “the library café”. " + hint
        self.fields["goals"].queryset = goals
        if not goals.exists():
            del self.fields["goals"]


class GoalForm(forms.Form):
    text = forms.CharField(
        label="A new goal agreed with the mentee",
        max_length=200,
        error_messages={"required": "A goal needs a few words."},
    )

    def __init__(self, *args, match, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = "In a few words. " + NO_NAMES.format(ref=match.mentee_ref)


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=MatchGoal.Status.choices)


class EndMatchForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose how it ended"), *Match.Outcome.choices],
        error_messages={"required": "Say how the match ended."},
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text=""
    )
    ended_on = forms.DateField(label="Ended on", required=False, help_text="Today when left empty.", widget=DateInput())

    def __init__(self, *args, match=None, **kwargs):
        super().__init__(*args, **kwargs)
        if match is not None:
            self.fields["note"].help_text = "What came of it, in a few words. " + NO_NAMES.format(ref=match.mentee_ref)


# --- a match's page -----------------------------------------------------------------------


def visible_match(request, here, match_id):
    matches = Match.objects.visible_to(request.user).filter(partner=here.partner)
    return get_object_or_404(matches.select_related("mentor", "partner"), pk=match_id)


def _goals(request, match):
    return MatchGoal.objects.visible_to(request.user).filter(match=match).order_by("created_at", "id")


def _page(request, here, match, *, forms_=None, status=200):
    forms_ = forms_ or {}
    slug = here.partner.slug
    user = request.user
    records = (
        ContactRecord.objects.visible_to(user)
        .filter(match=match)
        .select_related("incident__rule")
        .prefetch_related(Prefetch("goals", queryset=MatchGoal.objects.order_by("created_at", "id")))
        .order_by("-date", "-created_at", "id")
    )
    page_obj = Paginator(records, CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    goal_forms = forms_.get("goal_status", {})
    goals = [
        {
            "goal": goal,
            "tone": GOAL_TONES.get(goal.status, "muted"),
            "form": goal_forms.get(goal.pk)
            or GoalStatusForm(prefix=f"goal-{goal.pk}", initial={"status": goal.status}),
        }
        for goal in _goals(request, match)
    ]
    can_agree = may_agree_goals(user, match)
    context = {
        "nav": "people" if here.has(COORDINATOR, SUPERVISOR) else "home",
        "match": match,
        "goals": goals,
        "can_agree_goals": can_agree,
        "goal_form": forms_.get("goal") or GoalForm(match=match),
        "page_obj": page_obj,
        "records": [
            {
                "record": record,
                "incident_url": url_or_none("incident-detail", slug, record.incident_id)
                if record.incident_id
                else None,
                "report_url": (
                    f"{reverse('incident-new', args=[slug])}?contact_record={record.pk}"
                    if record.concern and record.incident_id is None and may_record_contacts(user, match)
                    else None
                ),
            }
            for record in page_obj
        ],
        "query_without_page": "",
        "can_record": may_record_contacts(user, match),
        "can_end": match.status == Match.Status.ACTIVE and here.has(*people.MATCH_WRITERS),
        "can_approve": match.status == Match.Status.PROPOSED and here.has(*people.MATCH_WRITERS),
        "approve_errors": forms_.get("approve_errors", []),
        "end_form": forms_.get("end") or EndMatchForm(match=match),
        "mentor_url": url_or_none("person-detail", slug, match.mentor_id)
        if here.has(COORDINATOR, SUPERVISOR)
        else None,
    }
    return render(request, "web/matches/detail.html", context, status=status)


def _back(request, here, match, message, anchor=""):
    messages.success(request, message)
    return HttpResponseRedirect(reverse("match-detail", args=[here.partner.slug, match.pk]) + anchor)


@partner_page(*MATCH_READERS)
def match_detail(request, here, match_id):
    return _page(request, here, visible_match(request, here, match_id))


# --- recording a contact ----------------------------------------------------------------


@partner_page(MENTOR)
@require_http_methods(["GET", "POST"])
def contact_new(request, here, match_id):
    match = visible_match(request, here, match_id)
    if not may_record_contacts(request.user, match):
        raise PermissionDenied("Only the match's mentor records its contacts.")
    goals = _goals(request, match).exclude(status=MatchGoal.Status.DROPPED)
    form = ContactForm(
        request.POST or None,
        match=match,
        goals=goals,
        initial={"date": partner_today(here.partner), "mode": ContactRecord.Mode.IN_PERSON},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = mentoring.record_contact(
                    by=request.user,
                    match=match,
                    date=data["date"],
                    duration_minutes=data["duration_minutes"],
                    mode=data["mode"],
                    place=data["place"],
                    summary=data["summary"],
                    goals=list(data.get("goals") or ()),
                    concern=data["concern"],
                )
            except (DomainError, ValidationError) as error:
                show_refusal(form, error)
            else:
                if record.concern:
                    messages.success(
                        request,
                        "Your contact is recorded. You flagged a concern: does it need a boundary incident report "
                        "or a safeguarding referral?",
                    )
                    url = reverse("incident-new", args=[here.partner.slug])
                    return HttpResponseRedirect(f"{url}?contact_record={record.pk}")
                return _back(request, here, match, f"Your contact of {record.date:%-d %B} is recorded.", "#contacts")
    return render(
        request,
        "web/matches/contact_new.html",
        {"nav": "home", "match": match, "form": form},
        status=status,
    )


# --- goals ------------------------------------------------------------------------------


@require_POST
@partner_page(COORDINATOR, MENTOR)
def match_goal_add(request, here, match_id):
    match = visible_match(request, here, match_id)
    form = GoalForm(request.POST, match=match)
    if form.is_valid():
        try:
            mentoring.add_goal(by=request.user, match=match, text=form.cleaned_data["text"])
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(request, here, match, "The goal is added.", "#goals")
    return _page(request, here, match, forms_={"goal": form}, status=400)


@require_POST
@partner_page(COORDINATOR, MENTOR)
def match_goal_update(request, here, match_id, goal_id):
    match = visible_match(request, here, match_id)
    goal = get_object_or_404(_goals(request, match), pk=goal_id)
    form = GoalStatusForm(request.POST, prefix=f"goal-{goal.pk}")
    if form.is_valid():
        try:
            mentoring.update_goal(by=request.user, goal=goal, status=form.cleaned_data["status"])
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(request, here, match, "The goal's status is saved.", "#goals")
    return _page(request, here, match, forms_={"goal_status": {goal.pk: form}}, status=400)


# --- approving and ending ----------------------------------------------------------------


@require_POST
@partner_page(*people.MATCH_WRITERS)
def match_approve(request, here, match_id):
    match = visible_match(request, here, match_id)
    try:
        people.approve_match(by=request.user, match=match)
    except IllegalTransition:
        return _page(
            request, here, match, forms_={"approve_errors": ["This match is not waiting for approval."]}, status=400
        )
    except RuleNotMet as error:
        return _page(
            request, here, match, forms_={"approve_errors": [item.message for item in error.unmet]}, status=400
        )
    except DomainError as error:
        return _page(request, here, match, forms_={"approve_errors": [error.message]}, status=error.status)
    return _back(request, here, match, f"The match with mentee {match.mentee_ref} is approved; the mentor is told.")


@require_POST
@partner_page(*people.MATCH_WRITERS)
def match_end(request, here, match_id):
    match = visible_match(request, here, match_id)
    form = EndMatchForm(request.POST, match=match)
    if form.is_valid():
        data = form.cleaned_data
        try:
            people.end_match(
                by=request.user, match=match, outcome=data["outcome"], note=data["note"], ended_on=data["ended_on"]
            )
        except IllegalTransition:
            form.add_error(None, "This match has already ended.")
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            return _back(request, here, match, f"The match with mentee {match.mentee_ref} has ended.")
    return _page(request, here, match, forms_={"end": form}, status=400)


urlpatterns = [
    path("matches/<uuid:match_id>/", match_detail, name="match-detail"),
    path("matches/<uuid:match_id>/contacts/new/", contact_new, name="contact-new"),
    path("matches/<uuid:match_id>/goals/", match_goal_add, name="match-goal-add"),
    path("matches/<uuid:match_id>/goals/<uuid:goal_id>/", match_goal_update, name="match-goal-update"),
    path("matches/<uuid:match_id>/approve/", match_approve, name="match-approve"),
    path("matches/<uuid:match_id>/end/", match_end, name="match-end"),
]
