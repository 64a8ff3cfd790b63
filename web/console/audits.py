"""The console's fidelity audits: the templates partners are audited against, scheduling an audit, recording its
answers with their evidence and completing it, and reviewing the corrective actions it raised. The same services as
the API (supervision.fidelity.services); no page here writes a model itself."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from franchise.models import Partner, Programme, Role, User
from supervision.fidelity import services as fidelity
from supervision.models import Audit, AuditAnswer, AuditQuestion, AuditSection, AuditTemplate, CorrectiveAction
from web.console.base import licensor_page
from web.forms import DateInput, show_refusal

PAGE_SIZE = 50
ACTION_FILTERS = {
    "unresolved": "Not yet accepted",
    "open": "Open",
    "submitted": "Evidence submitted",
    "accepted": "Accepted",
    "all": "All",
}


# --- forms -----------------------------------------------------------------------------


class AuditFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=[("", "Any status"), *Audit.Status.choices], required=False)


class ScheduleForm(forms.Form):
    partner = forms.ModelChoiceField(label="Partner", queryset=Partner.objects.order_by("name"))
    template = forms.ModelChoiceField(label="Template", queryset=AuditTemplate.objects.none())
    scheduled_on = forms.DateField(label="Date of the audit", widget=DateInput())
    mode = forms.ChoiceField(label="Mode", choices=Audit.Mode.choices, widget=forms.RadioSelect, initial="visit")
    auditor = forms.ModelChoiceField(
        label="Auditor", queryset=User.objects.none(), required=False, empty_label="Not named yet"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = AuditTemplate.objects.visible_to(user).filter(retired_at__isnull=True)
        self.fields["auditor"].queryset = (
            User.objects.filter(memberships__role=Role.LICENSOR_ADMIN, is_active=True).distinct().order_by("name")
        )


def _answer_field(question):
    return f"answer-{question.pk}"


def _evidence_field(question):
    return f"evidence-{question.pk}"


class AnswersForm(forms.Form):
    """An answer and an evidence note for every question of the audit's template, saved together. A question left
    unanswered stays so (the audit can be finished at another sitting)."""

    def __init__(self, *args, questions, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            given = answers.get(question.pk)
            self.fields[_answer_field(question)] = forms.ChoiceField(
                label=f"{question.code} — {question.text}",
                choices=AuditAnswer.Answer.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=given.answer if given else None,
            )
            self.fields[_evidence_field(question)] = forms.CharField(
                label=f"Evidence for {question.code}",
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=given.evidence if given else "",
            )

    def clean(self):
        data = super().clean()
        for question in self.questions:
            if data.get(_evidence_field(question)) and not data.get(_answer_field(question)):
                self.add_error(_answer_field(question), "Choose an answer for the evidence you noted.")
        return data

    def answers(self):
        return [
            {
                "question": question,
                "answer": self.cleaned_data[_answer_field(question)],
                "evidence": self.cleaned_data[_evidence_field(question)],
            }
            for question in self.questions
            if self.cleaned_data.get(_answer_field(question))
        ]

    def by_question(self):
        """[(question, its answer field, its evidence field)] for the template, in its order."""
        return [(q, self[_answer_field(q)], self[_evidence_field(q)]) for q in self.questions]


class TemplateForm(forms.Form):
    """A template's sections and questions written as lines: `# Section title`, then a line per question,
    `CODE | weight | question` with an optional `| policy field`."""

    name = forms.CharField(label="Name", max_length=200)
    programme = forms.ModelChoiceField(
        label="Programme", queryset=Programme.objects.order_by("name"), required=False, empty_label="Any programme"
    )
    sections = forms.CharField(
        label="Sections and questions",
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=(
            "A line <code># Section title</code> starts each section; each question below it is a line "
            "<code>CODE | weight | question</code>, with <code>| policy field</code> after it when the question "
            "checks one. For example: <code>SUP-1 | 3 | Every active mentor is supervised within the interval. | "
            "supervision_interval_days</code>"
        ),
    )

    def clean_sections(self):
        sections = []
        for number, line in enumerate(self.cleaned_data["sections"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                sections.append({"title": line.lstrip("#").strip(), "questions": []})
                continue
            if not sections:
                raise ValidationError(f"Line {number}: start with a section title, a line beginning with #.")
            parts = [part.strip() for part in line.split("|")]
            if len(parts) not in (3, 4):
                raise ValidationError(f"Line {number}: write CODE | weight | question, and optionally | policy field.")
            code, weight, text, *policy_field = parts
            if not weight.isdigit():
                raise ValidationError(f"Line {number} ({code}): the weight is a whole number from 1 to 100.")
            question = {"code": code, "weight": int(weight), "text": text}
            if policy_field:
                question["policy_field"] = policy_field[0]
            sections[-1]["questions"].append(question)
        return sections


class CompleteForm(forms.Form):
    held_on = forms.DateField(label="Held on", widget=DateInput())


class AcceptForm(forms.Form):
    note = forms.CharField(
        label="Note to the partner", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label="What is still missing",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The partner's coordinators read this with the action.",
    )


# --- audits ----------------------------------------------------------------------------


@licensor_page
def audits(request):
    filters = AuditFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    rows = (
        Audit.objects.visible_to(request.user)
        .select_related("partner", "template")
        .annotate(actions_open=Count("corrective_actions", filter=~Q(corrective_actions__status="accepted")))
        .order_by("-scheduled_on", "partner__name")
    )
    if status:
        rows = rows.filter(status=status)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/console/audits.html",
        {
            "console_nav": "audits",
            "filters": filters,
            "filtered": bool(status),
            "page_obj": page_obj,
            "audits": list(page_obj),
            "query_without_page": query.urlencode(),
        },
    )


@require_http_methods(["GET", "POST"])
@licensor_page
def audit_new(request):
    form = ScheduleForm(request.POST or None, user=request.user, initial={"scheduled_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            audit = fidelity.schedule_audit(request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            messages.success(
                request, f"The audit of {audit.partner.name} is scheduled for {audit.scheduled_on:%-d %B %Y}."
            )
            return redirect("console-audit", audit.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/console/audit_new.html", {"console_nav": "audits", "form": form}, status=status)


def _audit_or_404(request, audit_id):
    return get_object_or_404(
        Audit.objects.visible_to(request.user).select_related("partner", "template", "auditor"), pk=audit_id
    )


def _questions_of(template):
    return list(AuditQuestion.objects.filter(section__template=template).select_related("section"))


def _audit_page(request, audit, *, answers_form=None, complete_form=None, status=200):
    questions = _questions_of(audit.template)
    answers = {answer.question_id: answer for answer in AuditAnswer.objects.filter(audit=audit)}
    if answers_form is None:
        answers_form = AnswersForm(questions=questions, answers=answers)
    sections = []
    for question, answer_field, evidence_field in answers_form.by_question():
        if not sections or sections[-1]["section"].pk != question.section_id:
            sections.append({"section": question.section, "questions": []})
        sections[-1]["questions"].append(
            {
                "question": question,
                "answer": answers.get(question.pk),
                "field": answer_field,
                "evidence": evidence_field,
            }
        )
    corrective_actions = list(
        CorrectiveAction.objects.filter(audit=audit).select_related("question").order_by("due_on", "question__code")
    )
    return render(
        request,
        "web/console/audit.html",
        {
            "console_nav": "audits",
            "audit": audit,
            "sections": sections,
            "answered": len(answers),
            "question_count": len(questions),
            "answers_form": answers_form,
            "complete_form": complete_form or CompleteForm(initial={"held_on": audit.held_on or timezone.localdate()}),
            "corrective_actions": corrective_actions,
            "today": timezone.localdate(),
        },
        status=status,
    )


@licensor_page
def audit_detail(request, audit_id):
    return _audit_page(request, _audit_or_404(request, audit_id))


@require_POST
@licensor_page
def audit_answers(request, audit_id):
    audit = _audit_or_404(request, audit_id)
    form = AnswersForm(request.POST, questions=_questions_of(audit.template), answers={})
    if form.is_valid():
        try:
            fidelity.record_answers(request.user, audit, form.answers())
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"{len(form.answers())} answers are saved.")
            return redirect("console-audit", audit.pk)
    return _audit_page(request, audit, answers_form=form, status=400)


@require_POST
@licensor_page
def audit_complete(request, audit_id):
    audit = _audit_or_404(request, audit_id)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            audit = fidelity.complete_audit(request.user, audit, held_on=form.cleaned_data["held_on"])
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            raised = CorrectiveAction.objects.filter(audit=audit).count()
            messages.success(
                request,
                f"The audit is complete: it scores {audit.score} out of 100 and raised "
                f"{raised} corrective action{'' if raised == 1 else 's'}.",
            )
            return redirect("console-audit", audit.pk)
    return _audit_page(request, audit, complete_form=form, status=400)


# --- templates -------------------------------------------------------------------------


@licensor_page
def audit_templates(request):
    rows = (
        AuditTemplate.objects.visible_to(request.user)
        .select_related("programme")
        .annotate(
            question_count=Count("sections__questions", distinct=True), audit_count=Count("audits", distinct=True)
        )
        .order_by("retired_at", "name")
    )
    return render(
        request, "web/console/audit_templates.html", {"console_nav": "audits", "templates": rows[: PAGE_SIZE * 4]}
    )


@require_http_methods(["GET", "POST"])
@licensor_page
def audit_template_new(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = fidelity.create_template(request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"The template {template.name} is ready to audit partners against.")
            return redirect("console-audit-template", template.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/console/audit_template_new.html", {"console_nav": "audits", "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@licensor_page
def audit_template_detail(request, audit_template_id):
    if request.method == "POST":
        template = get_object_or_404(AuditTemplate.objects.visible_to(request.user), pk=audit_template_id)
        retire = request.POST.get("retired") == "yes"
        fidelity.update_template(request.user, template, retired=retire)
        messages.success(
            request, f"{template.name} is {'retired: no new audit uses it' if retire else 'in use again'}."
        )
        return redirect("console-audit-template", template.pk)
    template = get_object_or_404(
        AuditTemplate.objects.visible_to(request.user)
        .select_related("programme")
        .prefetch_related(
            Prefetch(
                "sections",
                queryset=AuditSection.objects.order_by("position", "title").prefetch_related(
                    Prefetch(
                        "questions",
                        queryset=AuditQuestion.objects.select_related("criterion__unit").order_by("position", "code"),
                    )
                ),
            )
        ),
        pk=audit_template_id,
    )
    return render(request, "web/console/audit_template.html", {"console_nav": "audits", "template": template})


# --- corrective actions ----------------------------------------------------------------


@licensor_page
def corrective_actions(request):
    show = request.GET.get("show", "unresolved")
    if show not in ACTION_FILTERS:
        show = "unresolved"
    rows = (
        CorrectiveAction.objects.visible_to(request.user)
        .select_related("partner", "question")
        .order_by("due_on", "partner__name")
    )
    if show == "unresolved":
        rows = rows.unresolved()
    elif show != "all":
        rows = rows.filter(status=show)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/console/corrective_actions.html",
        {
            "console_nav": "audits",
            "show": show,
            "filters": ACTION_FILTERS.items(),
            "page_obj": page_obj,
            "actions": list(page_obj),
            "query_without_page": f"show={show}",
            "today": timezone.localdate(),
        },
    )


def _action_or_404(request, corrective_action_id):
    return get_object_or_404(
        CorrectiveAction.objects.visible_to(request.user).select_related(
            "partner", "audit__template", "question", "owner", "submitted_by", "reviewed_by"
        ),
        pk=corrective_action_id,
    )


@require_http_methods(["GET", "POST"])
@licensor_page
def corrective_action_detail(request, corrective_action_id):
    action = _action_or_404(request, corrective_action_id)
    accept, reopen = AcceptForm(prefix="accept"), ReopenForm(prefix="reopen")
    if request.method == "POST":
        decision = "reopen" if "reopen-note" in request.POST else "accept"
        form = (
            ReopenForm(request.POST, prefix="reopen")
            if decision == "reopen"
            else AcceptForm(request.POST, prefix="accept")
        )
        if form.is_valid():
            try:
                if decision == "reopen":
                    fidelity.reopen_action(request.user, action, form.cleaned_data["note"])
                else:
                    fidelity.accept_action(request.user, action, note=form.cleaned_data["note"])
            except (DomainError, ValidationError) as error:
                show_refusal(form, error)
            else:
                done = "reopened: the partner's coordinators see your note" if decision == "reopen" else "accepted"
                messages.success(request, f"The corrective action of {action.partner.name} is {done}.")
                return redirect("console-corrective-action", action.pk)
        if decision == "reopen":
            reopen = form
        else:
            accept = form
    answer = AuditAnswer.objects.filter(audit=action.audit_id, question=action.question_id).first()
    return render(
        request,
        "web/console/corrective_action.html",
        {
            "console_nav": "audits",
            "action": action,
            "answer": answer,
            "accept": accept,
            "reopen": reopen,
            "today": timezone.localdate(),
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("audits/", audits, name="console-audits"),
    path("audits/new/", audit_new, name="console-audit-new"),
    path("audits/<uuid:audit_id>/", audit_detail, name="console-audit"),
    path("audits/<uuid:audit_id>/answers/", audit_answers, name="console-audit-answers"),
    path("audits/<uuid:audit_id>/complete/", audit_complete, name="console-audit-complete"),
    path("audit-templates/", audit_templates, name="console-audit-templates"),
    path("audit-templates/new/", audit_template_new, name="console-audit-template-new"),
    path("audit-templates/<uuid:audit_template_id>/", audit_template_detail, name="console-audit-template"),
    path("corrective-actions/", corrective_actions, name="console-corrective-actions"),
    path(
        "corrective-actions/<uuid:corrective_action_id>/",
        corrective_action_detail,
        name="console-corrective-action",
    ),
]
