"""Fidelity audits: the use cases that write — the licensor's templates, scheduling an audit, recording its
answers, completing it (score and corrective actions, once), and the corrective actions' workflow between the
partner's coordinators and the licensor.

Who does what: the licensor writes templates and audits and reviews corrective actions; the audited partner's
coordinators name an action's owner and submit its evidence. An action is due CORRECTIVE_ACTION_DAYS after the
day the audit is completed (the day the partner is told of the shortfall), which the licensor may change.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted, RuleNotMet, Unmet, check_transition
from core.tenancy import COORDINATOR, access_for, require_role
from franchise.models import Membership, Role
from franchise.policy_fields import BY_NAME as POLICY_FIELDS
from supervision.fidelity.rules import audit_score
from supervision.models import Audit, AuditAnswer, AuditQuestion, AuditSection, AuditTemplate, CorrectiveAction

__all__ = [
    "CORRECTIVE_ACTION_DAYS",
    "accept_action",
    "complete_audit",
    "create_template",
    "record_answers",
    "reopen_action",
    "schedule_audit",
    "submit_action",
    "update_action",
    "update_audit",
    "update_template",
]

CORRECTIVE_ACTION_DAYS = 60

AuditStatus = Audit.Status
ActionStatus = CorrectiveAction.Status

AUDIT_TRANSITIONS = {
    AuditStatus.SCHEDULED: {AuditStatus.IN_PROGRESS},
    AuditStatus.IN_PROGRESS: {AuditStatus.COMPLETED},
    AuditStatus.COMPLETED: set(),
}
ACTION_TRANSITIONS = {
    ActionStatus.OPEN: {ActionStatus.SUBMITTED},
    ActionStatus.SUBMITTED: {ActionStatus.ACCEPTED, ActionStatus.OPEN},
    ActionStatus.ACCEPTED: {ActionStatus.OPEN},
}

UNSET = object()


def _require_licensor(user, message):
    if not access_for(user).is_licensor:
        raise NotPermitted(message)


def _text(value, field, what, *, max_length=None):
    value = (value or "").strip()
    if not value:
        raise Invalid(f"{what} is required.", field=field, code=f"{field}_required")
    if max_length is not None and len(value) > max_length:
        raise Invalid(f"{what} is at most {max_length} characters.", field=field, code=f"{field}_too_long")
    return value


# --- templates ------------------------------------------------------------------------


def _check_name(name, exclude=None):
    name = _text(name, "name", "A name", max_length=200)
    taken = AuditTemplate.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Invalid(f"A template is already called {name!r}.", field="name", code="name_taken")
    return name


def _question_rows(sections, programme):
    """The sections and questions to write, checked: [(title, [question fields])]. Every refusal names the
    section and question by their place, and the field it is about, so the whole template is refused at once."""
    if not sections:
        raise Invalid("A template has at least one section.", field="sections", code="sections_required")
    seen_codes = set()
    checked = []
    for s, section in enumerate(sections, start=1):
        title = _text(section.get("title"), "sections", f"Section {s}'s title", max_length=200)
        questions = section.get("questions") or []
        if not questions:
            raise Invalid(f"Section {s} ({title}) has no questions.", field="sections", code="questions_required")
        rows = []
        for q, question in enumerate(questions, start=1):
            where = f"Section {s}, question {q}"
            code = _text(question.get("code"), "sections", f"{where}: a code", max_length=20)
            if code.upper() in seen_codes:
                raise Invalid(f"{where}: the code {code} is used twice.", field="sections", code="code_taken")
            seen_codes.add(code.upper())
            weight = question.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
                raise Invalid(
                    f"{where} ({code}): the weight is a whole number from 1 to 100.",
                    field="sections",
                    code="weight_invalid",
                )
            policy_field = (question.get("policy_field") or "").strip()
            if policy_field and policy_field not in POLICY_FIELDS:
                raise Invalid(
                    f"{where} ({code}): {policy_field!r} is not a policy field.",
                    field="sections",
                    code="policy_field_unknown",
                )
            criterion = question.get("criterion")
            if criterion is not None and programme is not None and criterion.unit.programme_id != programme.pk:
                raise Invalid(
                    f"{where} ({code}): criterion {criterion.code} is not one of {programme.name}'s.",
                    field="sections",
                    code="criterion_of_another_programme",
                )
            rows.append(
                dict(
                    code=code,
                    text=_text(question.get("text"), "sections", f"{where} ({code}): the text"),
                    weight=weight,
                    policy_field=policy_field,
                    criterion=criterion,
                    position=q,
                )
            )
        checked.append((title, rows))
    return checked


@transaction.atomic
def create_template(user, *, name, programme=None, sections):
    """A template of scored questions: `sections` is [{title, questions: [{code, text, weight, policy_field?,
    criterion?}]}], in order. Codes are unique within the template; a policy field is a name of
    franchise.policy_fields; a criterion belongs to the template's programme when it has one."""
    _require_licensor(user, "Only the licensing organisation writes audit templates.")
    name = _check_name(name)
    checked = _question_rows(sections, programme)
    template = AuditTemplate.objects.create(name=name, programme=programme)
    for position, (title, rows) in enumerate(checked, start=1):
        section = AuditSection.objects.create(template=template, title=title, position=position)
        AuditQuestion.objects.bulk_create(AuditQuestion(section=section, **row) for row in rows)
    return template


@transaction.atomic
def update_template(user, template, *, name=UNSET, retired=UNSET):
    """Rename a template, or retire it (no new audit uses it) and bring it back. Its questions stay as they
    are: audits already answered them."""
    _require_licensor(user, "Only the licensing organisation writes audit templates.")
    template = AuditTemplate.objects.select_for_update().get(pk=template.pk)
    changed = []
    if name is not UNSET:
        template.name = _check_name(name, exclude=template)
        changed.append("name")
    if retired is not UNSET and bool(retired) != (template.retired_at is not None):
        template.retired_at = timezone.now() if retired else None
        changed.append("retired_at")
    if changed:
        template.save(update_fields=[*changed, "updated_at"])
    return template


# --- audits ---------------------------------------------------------------------------


def _check_auditor(auditor):
    if auditor is not None and not Membership.objects.filter(user=auditor, role=Role.LICENSOR_ADMIN).exists():
        raise Invalid(
            "The auditor is one of the licensing organisation's admins.", field="auditor", code="auditor_not_licensor"
        )


def _check_mode(mode):
    if mode not in Audit.Mode.values:
        raise Invalid(f"{mode!r} is not a mode; it is visit or remote.", field="mode", code="invalid_choice")


@transaction.atomic
def schedule_audit(user, *, partner, template, scheduled_on, auditor=None, mode=Audit.Mode.VISIT):
    """An audit of `partner` against `template` on `scheduled_on`, by `auditor` (a licensor admin), by visit or
    remotely."""
    _require_licensor(user, "Only the licensing organisation schedules audits.")
    if not AuditTemplate.objects.filter(pk=template.pk, retired_at__isnull=True).exists():
        raise Invalid(f"The template {template.name} is retired.", field="template", code="template_retired")
    _check_mode(mode)
    _check_auditor(auditor)
    return Audit.objects.create(
        partner=partner, template=template, scheduled_on=scheduled_on, auditor=auditor, mode=mode
    )


def _locked_audit(audit):
    return Audit.objects.select_for_update().get(pk=audit.pk)


def _refuse_if_completed(audit, requested):
    if audit.status == AuditStatus.COMPLETED:
        raise IllegalTransition(audit.status, requested, AUDIT_TRANSITIONS[audit.status])


@transaction.atomic
def update_audit(user, audit, *, scheduled_on=UNSET, auditor=UNSET, mode=UNSET):
    """Reschedule an audit not yet completed, or change its auditor or mode."""
    _require_licensor(user, "Only the licensing organisation changes audits.")
    audit = _locked_audit(audit)
    if audit.status == AuditStatus.COMPLETED:
        raise Invalid("A completed audit keeps the date, auditor and mode it was held with.", code="audit_completed")
    changes = {
        name: value
        for name, value in (("scheduled_on", scheduled_on), ("auditor", auditor), ("mode", mode))
        if value is not UNSET
    }
    if "mode" in changes:
        _check_mode(changes["mode"])
    if "auditor" in changes:
        _check_auditor(changes["auditor"])
    for name, value in changes.items():
        setattr(audit, name, value)
    if changes:
        audit.save(update_fields=[*changes, "updated_at"])
    return audit


def _question_id(value):
    return getattr(value, "pk", value)


@transaction.atomic
def record_answers(user, audit, answers):
    """Record (or correct) answers of `audit`: `answers` is [{question, answer, evidence?}], each question one of
    the audit's template's, at most once. The first answers put a scheduled audit in progress; a completed
    audit's answers no longer change."""
    _require_licensor(user, "Only the licensing organisation records an audit's answers.")
    audit = _locked_audit(audit)
    _refuse_if_completed(audit, AuditStatus.IN_PROGRESS)
    if not answers:
        raise Invalid("Give at least one answer.", field="answers", code="answers_required")
    questions = AuditQuestion.objects.filter(section__template_id=audit.template_id).in_bulk()
    recorded = {}
    for n, item in enumerate(answers, start=1):
        question = questions.get(_question_id(item.get("question")))
        if question is None:
            raise Invalid(
                f"Answer {n}: the question is not one of this audit's template.",
                field="answers",
                code="question_not_in_template",
            )
        if question.pk in recorded:
            raise Invalid(f"Answer {n}: {question.code} is answered twice.", field="answers", code="answered_twice")
        answer = item.get("answer")
        if answer not in AuditAnswer.Answer.values:
            raise Invalid(
                f"Answer {n} ({question.code}): {answer!r} is not met, partly, not_met or not_applicable.",
                field="answers",
                code="invalid_choice",
            )
        recorded[question.pk] = (answer, (item.get("evidence") or "").strip())
    for question_id, (answer, evidence) in recorded.items():
        AuditAnswer.objects.update_or_create(
            audit=audit,
            question_id=question_id,
            defaults=dict(partner_id=audit.partner_id, answer=answer, evidence=evidence, answered_by=user),
        )
    if audit.status == AuditStatus.SCHEDULED:
        audit.status = AuditStatus.IN_PROGRESS
        audit.save(update_fields=["status", "updated_at"])
    return audit


def _action_description(question, answer):
    shortfall = "partly met" if answer.answer == AuditAnswer.Answer.PARTLY else "not met"
    description = f"{question.code} {shortfall}: {question.text}"
    if answer.evidence:
        description += f"\n\nThe auditor found: {answer.evidence}"
    return description


@transaction.atomic
def complete_audit(user, audit, *, held_on=None):
    """Complete an audit once every question is answered: store its score and when it was held (today by
    default), and raise one corrective action for each `partly` or `not met` answer, due
    CORRECTIVE_ACTION_DAYS from today with no owner until the partner names one. Exactly once: a completed
    audit is refused (409)."""
    _require_licensor(user, "Only the licensing organisation completes audits.")
    audit = _locked_audit(audit)
    _refuse_if_completed(audit, AuditStatus.COMPLETED)
    today = timezone.localdate()
    held_on = held_on or today
    if held_on > today:
        raise Invalid("An audit is completed once it has been held: the date is in the future.", field="held_on")
    questions = list(AuditQuestion.objects.filter(section__template_id=audit.template_id).order_by())
    answers = {answer.question_id: answer for answer in audit.answers.all()}
    unanswered = [Unmet("question_unanswered", f"{q.code} is not answered.") for q in questions if q.pk not in answers]
    if unanswered:
        raise RuleNotMet(unanswered, "Every question is answered before the audit is completed.")
    score = audit_score((answers[q.pk].answer, q.weight) for q in questions)
    if score is None:
        raise Invalid(
            "Every question is answered not applicable: an audit needs at least one applicable question to be scored.",
            field="answers",
            code="nothing_applicable",
        )
    audit.score = score
    audit.status, audit.held_on = AuditStatus.COMPLETED, held_on
    audit.completed_at, audit.completed_by = timezone.now(), user
    audit.save(update_fields=["score", "status", "held_on", "completed_at", "completed_by", "updated_at"])
    due_on = today + timedelta(days=CORRECTIVE_ACTION_DAYS)
    CorrectiveAction.objects.bulk_create(
        CorrectiveAction(
            partner_id=audit.partner_id,
            audit=audit,
            question=question,
            description=_action_description(question, answers[question.pk]),
            due_on=due_on,
        )
        for question in sorted(questions, key=lambda q: (q.section_id, q.position))
        if answers[question.pk].answer in AuditAnswer.SHORTFALLS
    )
    return audit


# --- corrective actions ---------------------------------------------------------------


def _locked_action(action):
    return CorrectiveAction.objects.select_for_update().get(pk=action.pk)


def _check_owner(owner, partner_id):
    if owner is not None and not Membership.objects.filter(user=owner, partner_id=partner_id).exists():
        raise Invalid("The owner is a member of the audited partner.", field="owner", code="owner_not_member")


@transaction.atomic
def update_action(user, action, *, owner=UNSET, due_on=UNSET, description=UNSET):
    """The partner's coordinators name (or clear) the owner, one of the partner's members; the licensor may
    change the description and the due date. An accepted action is closed and no longer changes."""
    action = _locked_action(action)
    access = access_for(user)
    if owner is not UNSET:
        require_role(
            user,
            action.partner_id,
            (COORDINATOR,),
            licensor=False,
            message="The partner's coordinators name who owns a corrective action.",
        )
    if (due_on is not UNSET or description is not UNSET) and not access.is_licensor:
        raise NotPermitted("Only the licensing organisation changes what a corrective action asks, and by when.")
    if action.status == ActionStatus.ACCEPTED:
        raise Invalid("This corrective action is accepted: it no longer changes.", code="action_accepted")
    changed = []
    if owner is not UNSET:
        _check_owner(owner, action.partner_id)
        action.owner = owner
        changed.append("owner")
    if description is not UNSET:
        action.description = _text(description, "description", "A description")
        changed.append("description")
    if due_on is not UNSET:
        if due_on is None:
            raise Invalid("A due date is required.", field="due_on", code="due_on_required")
        action.due_on = due_on
        changed.append("due_on")
    if changed:
        action.save(update_fields=[*changed, "updated_at"])
    return action


def _move(action, to):
    check_transition(ACTION_TRANSITIONS, action.status, to)
    action.status = to


@transaction.atomic
def submit_action(user, action, *, evidence):
    """A coordinator of the partner submits the evidence that the action is done: open → submitted."""
    action = _locked_action(action)
    require_role(
        user,
        action.partner_id,
        (COORDINATOR,),
        licensor=False,
        message="The partner's coordinators submit a corrective action's evidence.",
    )
    _move(action, ActionStatus.SUBMITTED)
    action.evidence = _text(evidence, "evidence", "Evidence of what was done")
    action.submitted_at, action.submitted_by = timezone.now(), user
    action.save(update_fields=["status", "evidence", "submitted_at", "submitted_by", "updated_at"])
    return action


def _review(user, action, note):
    action.reviewed_at, action.reviewed_by, action.review_note = timezone.now(), user, note
    action.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_note", "updated_at"])
    return action


@transaction.atomic
def accept_action(user, action, note=""):
    """The licensor accepts the submitted evidence: submitted → accepted (the scorecard counts it as met)."""
    _require_licensor(user, "Only the licensing organisation accepts a corrective action.")
    action = _locked_action(action)
    _move(action, ActionStatus.ACCEPTED)
    return _review(user, action, (note or "").strip())


@transaction.atomic
def reopen_action(user, action, note):
    """The licensor sends a submitted or accepted action back to the partner, saying why: → open."""
    _require_licensor(user, "Only the licensing organisation reopens a corrective action.")
    action = _locked_action(action)
    _move(action, ActionStatus.OPEN)
    return _review(user, action, _text(note, "note", "A note saying why"))
