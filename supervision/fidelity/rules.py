"""The audit score: what the answers earn of their questions' weights.

Each answer earns met = 1, partly = ½, not met = 0 of its question's weight; a question answered not applicable
is left out of both sides. The score is 100 × earned / applicable weight, rounded half up to a whole number, and
None when nothing was applicable.

The partner scorecard uses the *current* value of a partner's latest completed audit: the same sum, except that
a question whose corrective action the licensor has accepted counts as met, and one whose action is overdue
(still open after its due date) counts as not met — so closing a shortfall raises the score and letting it lapse
lowers it, without touching the audit's own score.

Sums are kept in half-points (whole numbers) inside the database, so SQLite and PostgreSQL agree exactly.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from supervision.fidelity.models import Audit, AuditAnswer, CorrectiveAction

__all__ = ["audit_points", "audit_score", "latest_audit_points", "latest_completed_audits", "score_from_points"]

Answer = AuditAnswer.Answer

# Half-points earned per unit of weight: met earns all of it, partly half, not met nothing.
HALF_POINTS = {Answer.MET: 2, Answer.PARTLY: 1, Answer.NOT_MET: 0}


def score_from_points(earned, applicable):
    """100 × earned / applicable, rounded half up; None when nothing was applicable."""
    if not applicable:
        return None
    return int((Decimal(100) * Decimal(earned) / Decimal(applicable)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def audit_points(answers):
    """(earned, applicable) as Decimals for `answers`, pairs of (answer, weight)."""
    earned_halves = applicable = 0
    for answer, weight in answers:
        if answer == Answer.NOT_APPLICABLE:
            continue
        earned_halves += HALF_POINTS[answer] * weight
        applicable += weight
    return Decimal(earned_halves) / 2, Decimal(applicable)


def audit_score(answers):
    """The score of `answers` (pairs of (answer, weight)): a whole number 0–100, or None."""
    return score_from_points(*audit_points(answers))


def latest_completed_audits(partner_ids=None, on=None):
    """Each partner's latest audit completed (held) on or before `on`: one row per partner, in one query."""
    on = on or timezone.localdate()
    completed = Audit.objects.completed().filter(held_on__lte=on)
    latest = completed.filter(partner_id=OuterRef("partner_id")).order_by("-held_on", "-completed_at", "-pk")
    audits = completed.filter(pk=Subquery(latest.values("pk")[:1]))
    if partner_ids is not None:
        audits = audits.filter(partner_id__in=list(partner_ids))
    return audits


def _current_half_points(on):
    """Half-points per unit of weight an answer earns today, its corrective action's state taken in."""
    action = CorrectiveAction.objects.filter(audit_id=OuterRef("audit_id"), question_id=OuterRef("question_id"))
    return Case(
        When(Exists(action.filter(status=CorrectiveAction.Status.ACCEPTED)), then=Value(HALF_POINTS[Answer.MET])),
        When(Exists(action.overdue(on)), then=Value(HALF_POINTS[Answer.NOT_MET])),
        *(When(answer=answer, then=Value(points)) for answer, points in HALF_POINTS.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def latest_audit_points(partner_ids=None, on=None):
    """{partner_id: (earned, applicable, audit_id)} for every partner's latest completed audit, by the current
    rule (an accepted corrective action counts as met, an overdue one as not met); earned and applicable are
    Decimals of weight. A partner never audited is absent. One query, whatever the number of partners.

    `partner_ids` limits it to those partners (None: all); `on` is the day it is judged on (today by default).
    """
    on = on or timezone.localdate()
    applicable = ~Q(answer=Answer.NOT_APPLICABLE)
    rows = (
        AuditAnswer.objects.filter(audit__in=latest_completed_audits(partner_ids, on).values("pk"))
        .annotate(half_points=_current_half_points(on))
        .values("audit_id", "audit__partner_id")
        .annotate(
            earned_halves=Coalesce(
                Sum(F("half_points") * F("question__weight"), filter=applicable), 0, output_field=IntegerField()
            ),
            applicable_weight=Coalesce(Sum("question__weight", filter=applicable), 0, output_field=IntegerField()),
        )
        .order_by()
    )
    return {
        row["audit__partner_id"]: (
            Decimal(row["earned_halves"]) / 2,
            Decimal(row["applicable_weight"]),
            row["audit_id"],
        )
        for row in rows
    }
