"""Train-the-trainer in the browser: a trainer's own accreditation (stage, standing, teaching and CPD, logging
both), a senior trainer's sign-off list, and the coordinator's trainers with each one's path and promotion.

The same services and reads as api/training.py: log_teaching, log_cpd, sign_off_teaching, promote_accreditation,
rules.standing and rules.promotion_evidence, and training.pathway for the path drawn from the records.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.tenancy import COORDINATOR, TRAINER
from supervision.sessions.caseload import own_person
from training import rules, services
from training.models import CourseSession, CPDRecord, TeachingRecord, TrainerAccreditation
from training.pathway import trainer_paths
from web.forms import DateInput, show_refusal
from web.partners import partner_page

Stage = TrainerAccreditation.Stage
RECORDS_SHOWN = 50
# The stages that sign someone's teaching off (co-teaching, at least).
SIGNERS = TrainerAccreditation.stages_from(services.sign_off_stage(observed=False))


class CPDForm(forms.Form):
    date = forms.DateField(label="Date", widget=DateInput())
    hours = forms.DecimalField(label="Hours", min_value=0.25, max_value=100, decimal_places=2, initial=1)
    activity = forms.CharField(label="What you did", max_length=300, help_text="For example: a safeguarding refresher.")


class TeachingForm(forms.Form):
    session = forms.ModelChoiceField(label="Session", queryset=CourseSession.objects.none())
    observed = forms.BooleanField(
        label="A trainer of trainers observed me deliver it", required=False, help_text="An observed delivery."
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.course.title}: {s.date:%-d %B %Y}{f' — {s.topic}' if s.topic else ''}"
        )


def _loggable_sessions(user, person):
    """Held sessions of courses the person teaches, not yet recorded for them (one query when evaluated)."""
    return (
        CourseSession.objects.visible_to(user)
        .filter(Q(course__lead_trainer=person) | Q(course__co_trainers=person), date__lte=timezone.localdate())
        .exclude(teaching_records__person=person)
        .select_related("course")
        .distinct()
        .order_by("-date")
    )


def _accreditation_rows(accreditations, *, with_missing=False):
    paths = trainer_paths(accreditations)
    rows = []
    for accreditation in accreditations:
        row = {"accreditation": accreditation, "path": paths[accreditation.pk]}
        if with_missing:
            row["standing"] = rules.standing(accreditation)
            row["next_stage"] = accreditation.next_stage and Stage(accreditation.next_stage).label
            row["next_missing"] = rules.promotion_evidence(accreditation) if accreditation.next_stage else []
        rows.append(row)
    return rows


# --- the trainer's own page -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@partner_page()
def my_accreditation(request, here):
    user, partner = request.user, here.partner
    me = own_person(user, partner)
    accreditations = (
        list(
            TrainerAccreditation.objects.visible_to(user)
            .filter(partner=partner, person=me)
            .select_related("person", "programme")
            .order_by("programme__name")
        )
        if me
        else []
    )
    cpd_form = CPDForm(prefix="cpd", initial={"date": timezone.localdate()})
    teaching_form = TeachingForm(
        prefix="teaching", sessions=_loggable_sessions(user, me) if me else CourseSession.objects.none()
    )
    if request.method == "POST" and me is not None:
        if "cpd-date" in request.POST:
            cpd_form = CPDForm(request.POST, prefix="cpd")
            if cpd_form.is_valid():
                try:
                    services.log_cpd(by=user, person=me, **cpd_form.cleaned_data)
                except (DomainError, ValidationError) as error:
                    show_refusal(cpd_form, error)
                else:
                    messages.success(request, "Your CPD is logged.")
                    return redirect("my-accreditation", partner.slug)
        else:
            teaching_form = TeachingForm(request.POST, prefix="teaching", sessions=_loggable_sessions(user, me))
            if teaching_form.is_valid():
                try:
                    services.log_teaching(by=user, person=me, **teaching_form.cleaned_data)
                except (DomainError, ValidationError) as error:
                    show_refusal(teaching_form, error)
                else:
                    messages.success(request, "The session is logged; a senior trainer signs it off.")
                    return redirect("my-accreditation", partner.slug)
    teaching = (
        TeachingRecord.objects.visible_to(user).filter(person=me).select_related("session__course", "signed_off_by")
        if me
        else TeachingRecord.objects.none()
    )
    cpd = CPDRecord.objects.visible_to(user).filter(person=me) if me else CPDRecord.objects.none()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/trainers/mine.html",
        {
            "nav": "accreditation",
            "me": me,
            "rows": _accreditation_rows(accreditations, with_missing=True),
            "teaching": list(teaching.order_by("-session__date")[:RECORDS_SHOWN]),
            "cpd": list(cpd.order_by("-date")[:RECORDS_SHOWN]),
            "cpd_form": cpd_form,
            "teaching_form": teaching_form,
            "can_sign_off": any(a.stage in SIGNERS for a in accreditations),
        },
        status=status,
    )


# --- signing teaching off -----------------------------------------------------------------


@partner_page(TRAINER, COORDINATOR)
def sign_off_list(request, here):
    records = list(services.records_to_sign_off(request.user, here.partner)[:RECORDS_SHOWN])
    return render(request, "web/trainers/sign_off.html", {"nav": "accreditation", "records": records})


@require_POST
@partner_page(TRAINER, COORDINATOR)
def sign_off(request, here, teaching_record_id):
    record = get_object_or_404(
        TeachingRecord.objects.visible_to(request.user).filter(partner=here.partner), pk=teaching_record_id
    )
    try:
        services.sign_off_teaching(by=request.user, record=record)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Signed off: {record.person.name}, {record.session.date:%-d %B %Y}.")
    return redirect("teaching-sign-off", here.partner.slug)


# --- the coordinator's trainers ---------------------------------------------------------------


@partner_page(COORDINATOR)
def trainers(request, here):
    accreditations = list(
        TrainerAccreditation.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("person", "programme")
        .order_by("person__name", "programme__name")[:200]
    )
    return render(request, "web/trainers/list.html", {"nav": "trainers", "rows": _accreditation_rows(accreditations)})


@require_http_methods(["GET", "POST"])
@partner_page(COORDINATOR)
def trainer(request, here, accreditation_id):
    accreditation = get_object_or_404(
        TrainerAccreditation.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("person", "programme"),
        pk=accreditation_id,
    )
    refusal = []
    if request.method == "POST":
        try:
            services.promote_accreditation(by=request.user, accreditation=accreditation)
        except DomainError as error:
            refusal = [item.message for item in getattr(error, "unmet", [])] or [error.message]
        else:
            accreditation.refresh_from_db()
            messages.success(
                request, f"{accreditation.person.name} is now {accreditation.get_stage_display().lower()}."
            )
            return redirect("trainer", here.partner.slug, accreditation.pk)
    row = _accreditation_rows([accreditation], with_missing=True)[0]
    teaching = list(
        TeachingRecord.objects.visible_to(request.user)
        .filter(person=accreditation.person, session__course__programme=accreditation.programme)
        .select_related("session__course", "signed_off_by")
        .order_by("-session__date")[:RECORDS_SHOWN]
    )
    return render(
        request,
        "web/trainers/detail.html",
        {
            "nav": "trainers",
            "row": row,
            "accreditation": accreditation,
            "teaching": teaching,
            "refusal": refusal,
            "list_url": reverse("trainers", args=[here.partner.slug]),
        },
        status=400 if refusal else 200,
    )


urlpatterns = [
    path("accreditation/", my_accreditation, name="my-accreditation"),
    path("teaching/sign-off/", sign_off_list, name="teaching-sign-off"),
    path("teaching/<uuid:teaching_record_id>/sign-off/", sign_off, name="teaching-record-sign-off"),
    path("trainers/", trainers, name="trainers"),
    path("trainers/<uuid:accreditation_id>/", trainer, name="trainer"),
]
