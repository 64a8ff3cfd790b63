"""The console's trainer accreditations across partners: each one's stage, status and standing (what its period
has and what it still misses), granting, promotion, renewal, suspension and reinstatement.

The same services and reads as api/training.py: grant_accreditation, promote_accreditation, renew_accreditation,
set_accreditation_status, rules.standings (many at once) and rules.promotion_evidence. Trainers are named here in
their capacity as trainers: the people listed hold an accreditation, and the people a grant may go to hold the
trainer role at their partner, so nobody known only as a mentor appears."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, IllegalTransition
from core.tenancy import TRAINER
from franchise.models import Membership, Partner, Programme
from supervision.models import Person
from training import rules, services
from training.models import TrainerAccreditation
from web.console.base import licensor_page
from web.forms import DateInput, show_refusal

ACCREDITATIONS_SHOWN = 200
EVENTS_SHOWN = 50
Stage, Status = TrainerAccreditation.Stage, TrainerAccreditation.Status
STATUS_TONES = {Status.ACTIVE: "ok", Status.LAPSED: "warn", Status.SUSPENDED: "bad", Status.REVOKED: "muted"}
STATUS_ACTIONS = {Status.SUSPENDED: "Suspend", Status.ACTIVE: "Reinstate", Status.REVOKED: "Revoke"}


class FilterForm(forms.Form):
    partner = forms.ModelChoiceField(
        label="Partner", queryset=Partner.objects.order_by("name"), required=False, empty_label="Every partner"
    )
    status = forms.ChoiceField(label="Status", choices=[("", "Any status"), *Status.choices], required=False)


class TrainerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person):
        return f"{person.name} ({person.partner.name})"


def _trainers(user):
    """People holding the trainer role at their own partner (a login's trainer membership there)."""
    holds_trainer_role = Membership.objects.filter(user=OuterRef("user"), partner=OuterRef("partner"), role=TRAINER)
    return (
        Person.objects.visible_to(user)
        .filter(Exists(holds_trainer_role))
        .select_related("partner")
        .order_by("partner__name", "name")
    )


class GrantForm(forms.Form):
    person = TrainerChoiceField(label="Trainer", queryset=Person.objects.none())
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.order_by("name"))
    stage = forms.ChoiceField(label="Stage", choices=Stage.choices, initial=Stage.CANDIDATE)
    granted_on = forms.DateField(label="Granted on", required=False, widget=DateInput(), help_text="Today if empty.")
    note = forms.CharField(label="Note", required=False, max_length=2000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _trainers(user)


class NoteForm(forms.Form):
    note = forms.CharField(label="Note (kept in the history)", required=False, max_length=2000)


class StatusForm(forms.Form):
    # Every status is accepted so that the domain's transitions are what refuse a move.
    to = forms.ChoiceField(label="Change the status to", choices=Status.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="Why (kept in the history)", max_length=2000)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.choices = [(status, STATUS_ACTIONS[status]) for status in allowed]


def _rows(accreditations):
    found = rules.standings(accreditations)
    return [
        {
            "accreditation": accreditation,
            "standing": found[accreditation.pk],
            "status_tone": STATUS_TONES.get(accreditation.status, "muted"),
        }
        for accreditation in accreditations
    ]


@require_http_methods(["GET", "POST"])
@licensor_page
def accreditation_list(request):
    filters = FilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    visible = TrainerAccreditation.objects.visible_to(request.user).select_related("person", "partner", "programme")
    if chosen.get("partner"):
        visible = visible.filter(partner=chosen["partner"])
    if chosen.get("status"):
        visible = visible.filter(status=chosen["status"])
    grant = GrantForm(request.POST or None, user=request.user)
    if request.method == "POST" and grant.is_valid():
        try:
            accreditation = services.grant_accreditation(by=request.user, **grant.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_refusal(grant, error)
        else:
            messages.success(
                request,
                f"{accreditation.person.name} is accredited as {accreditation.get_stage_display().lower()} "
                f"for {accreditation.programme.name} until {accreditation.expires_on:%-d %B %Y}.",
            )
            return redirect("console-accreditation", accreditation.pk)
    accreditations = list(visible.order_by("partner__name", "person__name", "programme__name")[:ACCREDITATIONS_SHOWN])
    return render(
        request,
        "web/console/accreditations.html",
        {
            "console_nav": "accreditations",
            "filters": filters,
            "filtered": bool(chosen.get("partner") or chosen.get("status")),
            "rows": _rows(accreditations),
            "grant": grant,
        },
        status=400 if request.method == "POST" else 200,
    )


def _accreditation_or_404(request, accreditation_id):
    return get_object_or_404(
        TrainerAccreditation.objects.visible_to(request.user).select_related("person", "partner", "programme"),
        pk=accreditation_id,
    )


def _detail(request, accreditation, *, promote=None, renew=None, status_form=None, refusal=None, status=200):
    allowed = sorted(TrainerAccreditation.STATUS_TRANSITIONS.get(accreditation.status, ()))
    row = _rows([accreditation])[0]
    row["next_stage"] = accreditation.next_stage and Stage(accreditation.next_stage).label
    row["next_missing"] = rules.promotion_evidence(accreditation) if accreditation.next_stage else []
    return render(
        request,
        "web/console/accreditation.html",
        {
            "console_nav": "accreditations",
            "accreditation": accreditation,
            "row": row,
            "events": list(accreditation.events.select_related("by").order_by("-at")[:EVENTS_SHOWN]),
            "promote": promote or NoteForm(prefix="promote"),
            "renew": renew or NoteForm(prefix="renew"),
            "status_form": (status_form or StatusForm(prefix="status", allowed=allowed)) if allowed else None,
            "can_promote": accreditation.next_stage is not None and accreditation.status == Status.ACTIVE,
            "can_renew": accreditation.status in (Status.ACTIVE, Status.LAPSED),
            "refusal": refusal,
        },
        status=status,
    )


@licensor_page
def accreditation_detail(request, accreditation_id):
    return _detail(request, _accreditation_or_404(request, accreditation_id))


def _refused(error):
    return {"unmet": [item.message for item in getattr(error, "unmet", [])], "message": error.message}


def _step(request, accreditation_id, step, service, done):
    """Promote or renew (`step`, the form's prefix): the refusal, with every unmet item, beside that step's form."""
    accreditation = _accreditation_or_404(request, accreditation_id)
    form = NoteForm(request.POST, prefix=step)
    if not form.is_valid():
        return _detail(request, accreditation, **{step: form}, status=400)
    try:
        service(by=request.user, accreditation=accreditation, **form.cleaned_data)
    except DomainError as error:
        return _detail(request, accreditation, **{step: form}, refusal=(step, _refused(error)), status=400)
    accreditation.refresh_from_db()
    messages.success(request, done(accreditation))
    return redirect("console-accreditation", accreditation.pk)


@require_POST
@licensor_page
def accreditation_promote(request, accreditation_id):
    return _step(
        request,
        accreditation_id,
        "promote",
        services.promote_accreditation,
        lambda a: f"{a.person.name} is now {a.get_stage_display().lower()}.",
    )


@require_POST
@licensor_page
def accreditation_renew(request, accreditation_id):
    return _step(
        request,
        accreditation_id,
        "renew",
        services.renew_accreditation,
        lambda a: f"Renewed until {a.expires_on:%-d %B %Y}.",
    )


@require_POST
@licensor_page
def accreditation_status(request, accreditation_id):
    accreditation = _accreditation_or_404(request, accreditation_id)
    allowed = sorted(TrainerAccreditation.STATUS_TRANSITIONS.get(accreditation.status, ()))
    form = StatusForm(request.POST, prefix="status", allowed=allowed)
    if form.is_valid():
        try:
            services.set_accreditation_status(by=request.user, accreditation=accreditation, **form.cleaned_data)
        except IllegalTransition as error:
            words = " or ".join(STATUS_ACTIONS[s].lower() for s in error.allowed) or "nothing more"
            form.add_error("to", f"A {error.current} accreditation cannot become {error.requested}; you may {words}.")
        except DomainError as error:
            show_refusal(form, error, fields={"to": "to"})
        else:
            messages.success(request, f"The accreditation is now {form.cleaned_data['to']}.")
            return redirect("console-accreditation", accreditation.pk)
    return _detail(request, accreditation, status_form=form, status=400)


urlpatterns = [
    path("accreditations/", accreditation_list, name="console-accreditations"),
    path("accreditations/<uuid:accreditation_id>/", accreditation_detail, name="console-accreditation"),
    path(
        "accreditations/<uuid:accreditation_id>/promote/", accreditation_promote, name="console-accreditation-promote"
    ),
    path("accreditations/<uuid:accreditation_id>/renew/", accreditation_renew, name="console-accreditation-renew"),
    path("accreditations/<uuid:accreditation_id>/status/", accreditation_status, name="console-accreditation-status"),
]
