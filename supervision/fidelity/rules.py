"""What a partner's latest fidelity audit is worth today.

An audit's points are its answered questions' weights: a `met` earns the whole weight, `partly` half, `not met`
nothing, `not applicable` leaves the question out. The points move after the audit: a shortfall whose corrective
action the licensor accepted earns the whole weight, one whose action is still open past its due date earns
nothing.
"""

from decimal import Decimal

from django.utils import timezone

from supervision.fidelity.models import Audit, AuditAnswer, CorrectiveAction

__all__ = ["latest_audit_points"]


def latest_audit_points(partner_ids=None, on=None):
    """{partner_id: (earned, applicable, audit_id)} for the latest completed audit (held on or before `on`) of
    each partner (of `partner_ids`, every partner when None); a partner never audited is absent. Three queries,
    whatever the number of partners."""
    on = on or timezone.localdate()
    audits = Audit.objects.completed().filter(held_on__lte=on)
    if partner_ids is not None:
        audits = audits.filter(partner_id__in=list(partner_ids))
    latest = {}
    for partner_id, audit_id, _held_on, _completed_at in audits.order_by(
        "partner_id", "held_on", "completed_at", "created_at"
    ).values_list("partner_id", "pk", "held_on", "completed_at"):
        latest[partner_id] = audit_id
    audit_ids = list(latest.values())
    actions = {
        (audit_id, question_id): (status, due_on)
        for audit_id, question_id, status, due_on in CorrectiveAction.objects.filter(audit_id__in=audit_ids)
        .order_by()
        .values_list("audit_id", "question_id", "status", "due_on")
    }
    points = {audit_id: [Decimal(0), Decimal(0)] for audit_id in audit_ids}
    answers = AuditAnswer.objects.filter(audit_id__in=audit_ids).exclude(answer=AuditAnswer.Answer.NOT_APPLICABLE)
    for audit_id, question_id, answer, weight in answers.order_by().values_list(
        "audit_id", "question_id", "answer", "question__weight"
    ):
        credit = Decimal(str(AuditAnswer.CREDIT[answer]))
        status, due_on = actions.get((audit_id, question_id), (None, None))
        if status == CorrectiveAction.Status.ACCEPTED:
            credit = Decimal(1)
        elif status == CorrectiveAction.Status.OPEN and due_on < on:
            credit = Decimal(0)
        points[audit_id][0] += credit * weight
        points[audit_id][1] += weight
    return {partner_id: (*points[audit_id], audit_id) for partner_id, audit_id in latest.items()}
