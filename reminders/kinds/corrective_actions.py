"""Corrective actions after a fidelity audit: once an action is still open after its due date, to its owner at
the partner (or, while it has none, the partner's coordinators) and to the licensor admins. Once per action and
due date: a date the licensor moves is announced again if it passes too."""

from django.db.models import Q, Value
from django.utils import timezone

from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import (
    CATCH_UP,
    KeyText,
    insert,
    planner,
    rows,
    subject_type,
    switched_off,
    to_licensor_admins,
    with_coordinators,
)
from supervision.models import CorrectiveAction

OVERDUE = Kind.CORRECTIVE_ACTION_OVERDUE


@planner(OVERDUE, daily=True)
def plan_corrective_action_overdue(now):
    """Actions still open past their due date (within the last week: older ones are on the partner's and the
    console's lists, not announced late)."""
    today = timezone.localdate(now)
    overdue = CorrectiveAction.objects.overdue(today).filter(due_on__gte=today - CATCH_UP)
    columns = dict(
        subject="pk",
        due_at=Value(now),
        key=("pk", "due_on"),
        details={"due_on": KeyText("due_on")},
    )
    # An owner who can no longer sign in is no owner: the coordinators hear of it instead.
    owned = Q(owner__isnull=False, owner__is_active=True)
    to_owner = overdue.filter(owned).exclude(switched_off(OVERDUE, "owner_id"))
    to_coordinators = with_coordinators(overdue.exclude(owned), OVERDUE)
    return insert(
        OVERDUE,
        rows(to_owner, OVERDUE, partner="partner_id", user="owner_id", **columns),
        rows(to_coordinators, OVERDUE, partner="partner_id", user="coordinator_id", distinct=True, **columns),
        *to_licensor_admins(overdue, OVERDUE, **columns),
        subject_type=subject_type(CorrectiveAction),
    )


def _actions(ids):
    return CorrectiveAction.objects.select_related("partner", "question", "audit").in_bulk(ids)


@content(OVERDUE, load=_actions)
def corrective_action_overdue(reminder, action, now):
    # Submitted or accepted since, or given another date: the reminder no longer says anything true.
    if action.status != CorrectiveAction.Status.OPEN or action.due_on.isoformat() != reminder.details.get("due_on"):
        return None
    return {
        "title": f"Corrective action {action.question.code} of {action.partner.name} is overdue",
        "action": action,
        "link": site_link(f"/api/v1/corrective-actions/{action.pk}/"),
    }
