"""The assessment grid (learners down the side, a unit's criteria across), recording decisions with their evidence
(one learner × one criterion from the grid's side panel, or many criteria of one learner at once), and the internal
verifier's sign-off that passes an enrolment and issues its certificate in one step.

The grid reads the course, its units, the unit's criteria, the learners with their progress and every decision on
the unit, each once: the same queries for six learners or sixty, for five criteria or thirty-four.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import DomainError, RuleNotMet
from franchise.models import Criterion, Unit
from training import rules, services
from training.models import CriterionAssessment, Enrolment
from web.forms import DateInput, show_refusal
from web.partners import partner_page
from web.training.courses import COURSE_ROLES, certificate_link, course_for, courses_of

DECISION_CHOICES = [
    (CriterionAssessment.Decision.MET, "Met"),
    (CriterionAssessment.Decision.NOT_YET, "Not yet"),
]
DECISION_WORDS = dict(DECISION_CHOICES)


def _enrolments(request, here):
    return Enrolment.objects.visible_to(request.user).filter(partner=here.partner)


def _enrolment(request, here, enrolment_id):
    return get_object_or_404(
        _enrolments(request, here)
        .with_criteria_progress()
        .select_related("course__programme", "course__lead_trainer", "learner", "verified_by", "certificate"),
        pk=enrolment_id,
    )


def _criterion_label(criterion):
    return f"{criterion.code} {criterion.text}"


class CriteriaChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, criterion):
        return _criterion_label(criterion)


class DecisionForm(forms.Form):
    """One decision on one or more criteria of one learner, on the same evidence."""

    criteria = CriteriaChoice(
        label="Criteria",
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one criterion."},
    )
    decision = forms.ChoiceField(
        label="Decision", choices=DECISION_CHOICES, widget=forms.RadioSelect, initial=CriterionAssessment.Decision.MET
    )
    evidence = forms.CharField(
        label="Evidence",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The workbook page, observation or note the decision rests on; needed for “met”.",
    )
    assessed_on = forms.DateField(
        label="Assessed on", required=False, widget=DateInput(), help_text="Today if left empty."
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = criteria


class CellForm(DecisionForm):
    """The grid's side panel: the same form for exactly one criterion, chosen by the cell."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].widget = forms.MultipleHiddenInput()


LEAVE = ""


class ColumnForm(forms.Form):
    """One criterion across the cohort: a decision and its evidence for each learner, or nothing to leave it."""

    criterion = forms.ModelChoiceField(queryset=Criterion.objects.none(), widget=forms.HiddenInput)
    assessed_on = forms.DateField(
        label="Assessed on", required=False, widget=DateInput(), help_text="Today if left empty."
    )

    def __init__(self, *args, criteria, enrolments, decisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = criteria
        self.enrolments = enrolments
        decisions = decisions or {}
        for enrolment in enrolments:
            current = decisions.get(enrolment.pk)
            self.fields[f"decision_{enrolment.pk}"] = forms.ChoiceField(
                label=enrolment.learner.name,
                choices=[(LEAVE, "Leave as it is")] + DECISION_CHOICES,
                widget=forms.RadioSelect,
                required=False,
                initial=LEAVE,
            )
            self.fields[f"evidence_{enrolment.pk}"] = forms.CharField(
                label=f"Evidence for {enrolment.learner.name}",
                required=False,
                initial=current.evidence if current else "",
            )

    def learner_rows(self):
        return [(self[f"decision_{e.pk}"], self[f"evidence_{e.pk}"]) for e in self.enrolments]

    def decisions(self):
        data = self.cleaned_data
        return [
            (enrolment, data[f"decision_{enrolment.pk}"], data[f"evidence_{enrolment.pk}"])
            for enrolment in self.enrolments
            if data.get(f"decision_{enrolment.pk}")
        ]


# --- the grid ---------------------------------------------------------------------------------------------------


def _pick(rows, wanted):
    wanted = str(wanted or "")
    return next((row for row in rows if str(row.pk) == wanted), None)


@partner_page(*COURSE_ROLES)
def grid(request, here, course_id):
    return _grid_page(request, here, course_id)


def _grid_page(request, here, course_id, column_form=None):
    course = course_for(request, here, course_id)
    slug = here.partner.slug
    units = list(Unit.objects.filter(programme_id=course.programme_id).order_by("position", "code"))
    unit = _pick(units, request.GET.get("unit")) or (units[0] if units else None)
    criteria = list(Criterion.objects.filter(unit=unit).order_by("position", "code")) if unit else []
    enrolments = list(
        _enrolments(request, here)
        .filter(course=course, track=Enrolment.Track.QUALIFICATION)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .with_criteria_progress()
        .select_related("learner", "certificate")
        .order_by("learner__name", "pk")
    )
    decisions = {
        (row.enrolment_id, row.criterion_id): row
        for row in CriterionAssessment.objects.filter(enrolment__in=[e.pk for e in enrolments], criterion__unit=unit)
        .select_related("assessor")
        .only("enrolment_id", "criterion_id", "decision", "evidence", "assessed_on", "assessor__name")
    }
    can_assess = services.course_trainer(request.user, course) is not None
    selected_enrolment = _pick(enrolments, request.GET.get("learner"))
    selected_criterion = _pick(criteria, request.GET.get("criterion"))
    grid_url = reverse("assessment-grid", args=[slug, course.pk])
    unit_query = f"unit={unit.pk}&" if unit else ""
    rows = []
    still_needed = {criterion.pk: 0 for criterion in criteria}
    for enrolment in enrolments:
        cells, needs = [], []
        for criterion in criteria:
            decision = decisions.get((enrolment.pk, criterion.pk))
            met = decision is not None and decision.decision == CriterionAssessment.Decision.MET
            if not met:
                needs.append(criterion.code)
                still_needed[criterion.pk] += 1
            cells.append(
                {
                    "criterion": criterion,
                    "assessment": decision,
                    "state": decision.decision if decision else "empty",
                    "words": DECISION_WORDS.get(decision.decision) if decision else "Not assessed",
                    "url": f"{grid_url}?{unit_query}learner={enrolment.pk}&criterion={criterion.pk}#panel",
                    "selected": enrolment is selected_enrolment and criterion is selected_criterion,
                }
            )
        rows.append(
            {
                "enrolment": enrolment,
                "cells": cells,
                "needs": needs,
                "assess_url": reverse("enrolment-assess", args=[slug, enrolment.pk]),
                "verify_url": reverse("enrolment-verify", args=[slug, enrolment.pk]),
                "ready": enrolment.criteria_total and enrolment.criteria_met >= enrolment.criteria_total,
                "certificate_url": certificate_link(slug, enrolment.certificate)
                if getattr(enrolment, "certificate", None)
                else None,
            }
        )
    panel = None
    if selected_enrolment is not None and selected_criterion is not None:
        decision = decisions.get((selected_enrolment.pk, selected_criterion.pk))
        here_url = f"{grid_url}?{unit_query}learner={selected_enrolment.pk}&criterion={selected_criterion.pk}#panel"
        panel = {
            "enrolment": selected_enrolment,
            "criterion": selected_criterion,
            "assessment": decision,
            "words": DECISION_WORDS.get(decision.decision) if decision else "Not assessed yet",
            "open": selected_enrolment.status in services.ASSESSABLE,
            "form": CellForm(
                criteria=Criterion.objects.filter(pk=selected_criterion.pk),
                initial={
                    "criteria": [selected_criterion.pk],
                    "decision": decision.decision if decision else CriterionAssessment.Decision.MET,
                    "evidence": decision.evidence if decision else "",
                    "next": here_url,
                },
            ),
            "action": reverse("enrolment-assess", args=[slug, selected_enrolment.pk]),
        }
    column = None
    if selected_criterion is not None and selected_enrolment is None and can_assess:
        open_rows = [e for e in enrolments if e.status in services.ASSESSABLE]
        column = {
            "criterion": selected_criterion,
            "form": column_form
            or ColumnForm(
                criteria=Criterion.objects.filter(pk=selected_criterion.pk),
                enrolments=open_rows,
                decisions={e.pk: decisions.get((e.pk, selected_criterion.pk)) for e in open_rows},
                initial={"criterion": selected_criterion.pk},
            ),
            "action": reverse("assessment-column", args=[slug, course.pk]),
        }
    return render(
        request,
        "web/training/grid.html",
        {
            "nav": "courses",
            "course": course,
            "units": units,
            "unit": unit,
            "criteria": criteria,
            "columns": [{"criterion": c, "still_needed": still_needed[c.pk]} for c in criteria],
            "rows": rows,
            "can_assess": can_assess,
            "panel": panel,
            "column": column,
            "column_url": f"{grid_url}?{unit_query}criterion=",
            "grid_url": grid_url,
        },
        status=400 if column_form is not None else 200,
    )


@partner_page(*COURSE_ROLES)
@require_POST
def grid_column(request, here, course_id):
    """Record one criterion for several learners from the grid's column panel."""
    course = course_for(request, here, course_id)
    criteria = Criterion.objects.filter(unit__programme_id=course.programme_id)
    enrolments = list(
        _enrolments(request, here)
        .filter(course=course, track=Enrolment.Track.QUALIFICATION, status__in=services.ASSESSABLE)
        .select_related("learner")
        .order_by("learner__name", "pk")
    )
    form = ColumnForm(request.POST, criteria=criteria, enrolments=enrolments)
    grid_url = reverse("assessment-grid", args=[here.partner.slug, course.pk])
    if not form.is_valid() or "criterion" not in form.cleaned_data:
        messages.error(request, "Choose a criterion in the grid first.")
        return redirect(grid_url)
    criterion = form.cleaned_data["criterion"]
    back = f"{grid_url}?unit={criterion.unit_id}&criterion={criterion.pk}#panel"
    chosen = form.decisions()
    if not chosen:
        messages.info(request, f"Nothing was changed for {criterion.code}.")
        return redirect(back)
    try:
        services.record_criterion(
            by=request.user, criterion=criterion, decisions=chosen, assessed_on=form.cleaned_data["assessed_on"]
        )
    except ValidationError as error:
        for key, problems in error.message_dict.items():
            field = f"evidence_{key}"
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    except DomainError as error:
        show_refusal(form, error)
    else:
        messages.success(
            request, f"{criterion.code} recorded for {len(chosen)} learner{'s' if len(chosen) != 1 else ''}."
        )
        return redirect(back)
    request.GET = request.GET.copy()
    request.GET.update({"unit": str(criterion.unit_id), "criterion": str(criterion.pk)})
    return _grid_page(request, here, course_id, column_form=form)


# --- one learner's decisions --------------------------------------------------------------------------------------


def _safe_next(request, url):
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return None


@partner_page(*COURSE_ROLES)
def enrolment_assess(request, here, enrolment_id):
    enrolment = _enrolment(request, here, enrolment_id)
    course = enrolment.course
    criteria = Criterion.objects.filter(unit__programme_id=course.programme_id).select_related("unit")
    criteria = criteria.order_by("unit__position", "unit__code", "position", "code")
    decisions = {
        row.criterion_id: row
        for row in CriterionAssessment.objects.filter(enrolment=enrolment).select_related("assessor")
    }
    chosen = request.GET.getlist("criterion")
    form = DecisionForm(request.POST or None, criteria=criteria, initial={"criteria": chosen})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = services.record_decisions(
                by=request.user,
                enrolment=enrolment,
                criteria=data["criteria"],
                decision=data["decision"],
                evidence=data["evidence"],
                assessed_on=data["assessed_on"],
            )
            codes = ", ".join(row.criterion.code for row in recorded)
            messages.success(
                request, f"{enrolment.learner.name}: {codes} recorded as {DECISION_WORDS[data['decision']].lower()}."
            )
            return redirect(
                _safe_next(request, data["next"]) or reverse("enrolment-assess", args=[here.partner.slug, enrolment.pk])
            )
        except (DomainError, ValidationError) as error:
            show_refusal(form, error, fields={"enrolment": None, "criterion": "criteria"})
    rows = []
    for criterion in criteria:
        decision = decisions.get(criterion.pk)
        rows.append(
            {
                "criterion": criterion,
                "assessment": decision,
                "state": decision.decision if decision else "empty",
                "words": DECISION_WORDS.get(decision.decision) if decision else "Not assessed",
            }
        )
    return render(
        request,
        "web/training/assess.html",
        {
            "nav": "courses",
            "enrolment": enrolment,
            "course": course,
            "rows": rows,
            "form": form,
            # The checkboxes follow the criteria's order, so each pairs with its row.
            "choices": list(zip(form["criteria"], rows, strict=True)),
            "can_assess": services.course_trainer(request.user, course) is not None
            and enrolment.status in services.ASSESSABLE
            and enrolment.track == Enrolment.Track.QUALIFICATION,
            "grid_url": reverse("assessment-grid", args=[here.partner.slug, course.pk]),
        },
        status=400 if form.errors else 200,
    )


# --- internal verification ------------------------------------------------------------------------------------------


class VerifyForm(forms.Form):
    pass


@partner_page(*COURSE_ROLES)
def enrolment_verify(request, here, enrolment_id):
    enrolment = _enrolment(request, here, enrolment_id)
    form = VerifyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment, certificate = services.verify_enrolment(by=request.user, enrolment=enrolment)
            messages.success(
                request,
                f"{enrolment.learner.name} has passed; certificate {certificate.code} is issued.",
            )
            return redirect("enrolment-verify", here.partner.slug, enrolment.pk)
        except RuleNotMet as error:
            form.add_error(None, error.message)
            for item in error.unmet:
                form.add_error(None, item.message)
        except DomainError as error:
            show_refusal(form, error)
        enrolment = _enrolment(request, here, enrolment_id)
    me = services.person_of(request.user, here.partner.pk)
    open_for_verification = enrolment.track == Enrolment.Track.QUALIFICATION and enrolment.status in services.ASSESSABLE
    certificate = getattr(enrolment, "certificate", None)
    return render(
        request,
        "web/training/verify.html",
        {
            "nav": "courses",
            "enrolment": enrolment,
            "course": enrolment.course,
            "form": form,
            "unmet": rules.qualification_criteria_met(enrolment) if open_for_verification else [],
            "not_independent": rules.verifier_independent(enrolment, me) if me and open_for_verification else [],
            "open_for_verification": open_for_verification,
            "certificate": certificate,
            "certificate_url": certificate_link(here.partner.slug, certificate) if certificate else None,
            # An internal verifier who does not teach the course sees its enrolments, not the course itself.
            "grid_url": reverse("assessment-grid", args=[here.partner.slug, enrolment.course_id])
            if courses_of(request, here).filter(pk=enrolment.course_id).exists()
            else None,
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("courses/<uuid:course_id>/grid/", grid, name="assessment-grid"),
    path("courses/<uuid:course_id>/grid/column/", grid_column, name="assessment-column"),
    path("courses/enrolments/<uuid:enrolment_id>/assess/", enrolment_assess, name="enrolment-assess"),
    path("courses/enrolments/<uuid:enrolment_id>/verify/", enrolment_verify, name="enrolment-verify"),
]
