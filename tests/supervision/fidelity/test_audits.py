"""An audit from scheduling to completion: answers, the score, and one corrective action per shortfall."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted, RuleNotMet
from supervision.fidelity import services as fidelity
from supervision.models import AuditAnswer, CorrectiveAction
from tests.supervision.factories import AuditQuestionFactory


def test_the_auditor_is_a_licensor_admin(licensor, partner, template, coordinator):
    with pytest.raises(Invalid) as refused:
        fidelity.schedule_audit(
            licensor,
            partner=partner,
            template=template,
            scheduled_on=timezone.localdate(),
            auditor=coordinator,
            mode="visit",
        )
    assert refused.value.field == "auditor"


def test_only_the_licensor_schedules(coordinator, partner, template):
    with pytest.raises(NotPermitted):
        fidelity.schedule_audit(
            coordinator, partner=partner, template=template, scheduled_on=timezone.localdate(), mode="remote"
        )


def test_the_first_answers_put_the_audit_in_progress_and_answers_can_be_corrected(licensor, audit, questions):
    sup1 = questions["SUP-1"]
    audit = fidelity.record_answers(licensor, audit, [{"question": sup1, "answer": "partly", "evidence": "Late."}])
    assert audit.status == "in_progress"
    fidelity.record_answers(licensor, audit, [{"question": sup1.pk, "answer": "met", "evidence": "Caught up."}])
    assert list(audit.answers.values_list("question__code", "answer", "evidence")) == [("SUP-1", "met", "Caught up.")]


def test_a_question_of_another_template_is_refused_and_nothing_is_written(licensor, audit, questions):
    foreign = AuditQuestionFactory()
    rows = [{"question": questions["SUP-1"], "answer": "met"}, {"question": foreign, "answer": "met"}]
    with pytest.raises(Invalid) as refused:
        fidelity.record_answers(licensor, audit, rows)
    assert (refused.value.field, refused.value.code) == ("answers", "question_not_in_template")
    assert not AuditAnswer.objects.exists()
    audit.refresh_from_db()
    assert audit.status == "scheduled"


def test_an_unknown_answer_is_refused(licensor, audit, questions):
    with pytest.raises(Invalid) as refused:
        fidelity.record_answers(licensor, audit, [{"question": questions["SUP-1"], "answer": "mostly"}])
    assert refused.value.code == "invalid_choice"


def test_a_coordinator_cannot_answer(coordinator, audit, questions):
    with pytest.raises(NotPermitted):
        fidelity.record_answers(coordinator, audit, [{"question": questions["SUP-1"], "answer": "met"}])
    assert not AuditAnswer.objects.exists()


def test_completion_needs_every_question_answered(licensor, audit, questions):
    fidelity.record_answers(licensor, audit, [{"question": questions["SUP-1"], "answer": "met"}])
    with pytest.raises(RuleNotMet) as refused:
        fidelity.complete_audit(licensor, audit)
    assert [item.message for item in refused.value.unmet] == ["SUP-2 is not answered.", "INC-1 is not answered."]
    audit.refresh_from_db()
    assert (audit.status, audit.score) == ("in_progress", None)


def test_completion_scores_and_raises_an_action_per_shortfall(licensor, audit, answer_all):
    answer_all(audit, SUP_1="partly", SUP_2="not_met", INC_1="met")
    fidelity.complete_audit(licensor, audit)

    audit.refresh_from_db()
    # earned 1 + 0 + 1 of 4
    assert (audit.status, audit.score, audit.held_on, audit.completed_by) == (
        "completed",
        50,
        timezone.localdate(),
        licensor,
    )
    actions = list(CorrectiveAction.objects.filter(audit=audit).order_by("question__code"))
    assert [(a.question.code, a.status, a.owner, a.partner_id) for a in actions] == [
        ("SUP-1", "open", None, audit.partner_id),
        ("SUP-2", "open", None, audit.partner_id),
    ]
    assert all(a.due_on == timezone.localdate() + timedelta(days=fidelity.CORRECTIVE_ACTION_DAYS) for a in actions)
    assert actions[0].description.startswith("SUP-1 partly met: Is every active mentor supervised")
    assert "Seen for SUP-1." in actions[0].description


def test_an_audit_completes_exactly_once(licensor, audit, answer_all, questions):
    answer_all(audit, SUP_1="not_met")
    fidelity.complete_audit(licensor, audit)
    with pytest.raises(IllegalTransition):
        fidelity.complete_audit(licensor, audit)
    with pytest.raises(IllegalTransition):
        fidelity.record_answers(licensor, audit, [{"question": questions["SUP-1"], "answer": "met"}])
    assert CorrectiveAction.objects.count() == 1
    assert audit.answers.get(question=questions["SUP-1"]).answer == "not_met"


def test_an_audit_with_nothing_applicable_is_not_completed(licensor, audit, answer_all):
    answer_all(audit, SUP_1="not_applicable", SUP_2="not_applicable", INC_1="not_applicable")
    with pytest.raises(Invalid) as refused:
        fidelity.complete_audit(licensor, audit)
    assert refused.value.code == "nothing_applicable"
    audit.refresh_from_db()
    assert (audit.status, audit.score) == ("in_progress", None)


def test_an_audit_is_not_completed_in_the_future(licensor, audit, answer_all):
    answer_all(audit)
    with pytest.raises(Invalid) as refused:
        fidelity.complete_audit(licensor, audit, held_on=timezone.localdate() + timedelta(days=1))
    assert refused.value.field == "held_on"


def test_an_audit_is_rescheduled_until_it_is_completed(licensor, audit, answer_all):
    later = timezone.localdate() + timedelta(days=7)
    audit = fidelity.update_audit(licensor, audit, scheduled_on=later, mode="remote")
    assert (audit.scheduled_on, audit.mode) == (later, "remote")
    answer_all(audit)
    fidelity.complete_audit(licensor, audit)
    with pytest.raises(Invalid) as refused:
        fidelity.update_audit(licensor, audit, mode="visit")
    assert refused.value.code == "audit_completed"
