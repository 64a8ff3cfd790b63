"""The audit score and the current value the scorecard reads from each partner's latest completed audit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from supervision.fidelity.rules import audit_score, latest_audit_points, score_from_points
from tests.factories import PartnerFactory
from tests.supervision.factories import (
    AuditAnswerFactory,
    AuditFactory,
    AuditQuestionFactory,
    AuditSectionFactory,
    CorrectiveActionFactory,
)

pytestmark = pytest.mark.django_db


def test_partly_earns_half_and_not_applicable_is_left_out():
    answers = [("met", 3), ("partly", 2), ("not_met", 1), ("not_applicable", 10)]
    # earned 3 + 1 + 0 = 4 of 6 applicable
    assert audit_score(answers) == 67


def test_the_score_rounds_half_up():
    assert score_from_points(Decimal("1"), Decimal("8")) == 13  # 12.5
    assert score_from_points(Decimal("7"), Decimal("8")) == 88  # 87.5


def test_nothing_applicable_has_no_score():
    assert audit_score([("not_applicable", 2)]) is None
    assert audit_score([]) is None


def _audit_with(partner, answers, **audit):
    """A completed audit of `partner` with one question per (answer, weight)."""
    audit = AuditFactory(partner=partner, completed=True, **audit)
    section = AuditSectionFactory(template=audit.template)
    rows = []
    for answer, weight in answers:
        question = AuditQuestionFactory(section=section, weight=weight)
        rows.append(AuditAnswerFactory(partner=partner, audit=audit, question=question, answer=answer))
    return audit, rows


def test_the_latest_completed_audit_counts_for_each_partner(partner, other_partner):
    today = timezone.localdate()
    _audit_with(partner, [("met", 1)], held_on=today - timedelta(days=200))
    latest, _ = _audit_with(partner, [("met", 2), ("not_met", 2)], held_on=today - timedelta(days=20))
    AuditFactory(partner=partner)  # scheduled, not yet held
    other, _ = _audit_with(other_partner, [("partly", 4), ("not_applicable", 5)])
    PartnerFactory()  # never audited

    points = latest_audit_points()

    assert points == {
        partner.pk: (Decimal(2), Decimal(4), latest.pk),
        other_partner.pk: (Decimal(2), Decimal(4), other.pk),
    }


def test_an_accepted_action_counts_as_met_and_an_overdue_one_as_not_met(partner):
    audit, (met, partly, accepted, overdue) = _audit_with(
        partner, [("met", 1), ("partly", 2), ("not_met", 3), ("partly", 4)]
    )
    CorrectiveActionFactory(partner=partner, audit=audit, question=partly.question)  # open, not yet due
    CorrectiveActionFactory(partner=partner, audit=audit, question=accepted.question, status="accepted")
    CorrectiveActionFactory(partner=partner, audit=audit, question=overdue.question, overdue=True)

    earned, applicable, audit_id = latest_audit_points()[partner.pk]

    # met 1 + partly 1 + accepted 3 + overdue 0, of 10
    assert (earned, applicable, audit_id) == (Decimal(5), Decimal(10), audit.pk)


def test_a_submitted_action_past_its_due_date_is_not_overdue(partner):
    audit, (answer,) = _audit_with(partner, [("partly", 2)])
    CorrectiveActionFactory(partner=partner, audit=audit, question=answer.question, overdue=True, status="submitted")
    assert latest_audit_points()[partner.pk][0] == Decimal(1)


def test_limited_to_the_partners_asked_for(partner, other_partner):
    _audit_with(partner, [("met", 1)])
    _audit_with(other_partner, [("met", 1)])
    assert set(latest_audit_points(partner_ids=[other_partner.pk])) == {other_partner.pk}


def test_one_query_whatever_the_number_of_partners(django_assert_num_queries):
    for _ in range(4):
        _audit_with(PartnerFactory(), [("met", 1), ("partly", 1)])
    with django_assert_num_queries(1):
        assert len(latest_audit_points()) == 4


def test_judged_on_a_past_day_only_what_had_happened_by_then_counts(partner):
    today = timezone.localdate()
    earlier, (answer,) = _audit_with(partner, [("partly", 2)], held_on=today - timedelta(days=90))
    CorrectiveActionFactory(partner=partner, audit=earlier, question=answer.question, due_on=today - timedelta(days=10))
    _audit_with(partner, [("met", 1)], held_on=today - timedelta(days=2))

    # A month ago the action was not yet due; three days ago it was overdue; today a later audit is the latest.
    assert latest_audit_points(on=today - timedelta(days=30))[partner.pk] == (Decimal(1), Decimal(2), earlier.pk)
    assert latest_audit_points(on=today - timedelta(days=3))[partner.pk] == (Decimal(0), Decimal(2), earlier.pk)
    assert latest_audit_points()[partner.pk][:2] == (Decimal(1), Decimal(1))
