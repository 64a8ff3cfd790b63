"""A supervisor's caseload: the mentors currently assigned to them, with what each needs from them.

Set-based, like compliance: for any number of supervisees the caseload is two
queries after the user's own Person (the supervisees with their sessions and
actions as subqueries, and their compliance rows), so a supervisor's home costs
the same at three supervisees as at three hundred.

Every read starts from `visible_to(user)`, and only the user's *own* 1:1s count:
a coordinator who also supervises sees their own caseload here, not the
partner's (that is the coordinator's home).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from supervision.models import Person, SessionAction, SupervisionAssignment, SupervisionSession
from supervision.sessions.compliance import compliance_visible_to, supervision_compliance

__all__ = ["CaseloadRow", "caseload", "own_person"]


def own_person(user, partner):
    """The user's own Person in `partner` (None when their login is linked to none, or they have exited)."""
    return Person.objects.visible_to(user).filter(partner=partner, user=user).first()


@dataclass(frozen=True)
class CaseloadRow:
    """One supervisee. `state` is the compliance state (ok, due_soon, overdue), or None for a supervisee who
    is not an active mentor (paused, still shadowing): compliance follows active mentors only."""

    person: Person
    state: str | None
    next_due_on: date | None
    last_supervised_on: date | None
    unconfirmed_records: int
    next_session_id: object
    next_session_at: datetime | None
    next_session_location: str
    unrecorded_session_id: object
    unrecorded_session_at: datetime | None
    unrecorded_sessions: int
    overdue_actions: int

    @property
    def needs_attention(self):
        return self.state == "overdue" or self.unrecorded_sessions > 0 or self.overdue_actions > 0


def _count(rows, per):
    """How many of `rows` there are for the outer person (`per`: the field naming them), as a subquery."""
    counted = rows.order_by().values(per).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def caseload(user, supervisor, *, now=None):
    """The current supervisees of `supervisor` (the user's own Person), in name order, each with their next
    1:1 with this supervisor, the 1:1s that have started but were never recorded (the latest of them first),
    their agreed actions past due, and their compliance state."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    assigned = (
        SupervisionAssignment.objects.visible_to(user)
        .current(today)
        .filter(partner=supervisor.partner_id, supervisor=supervisor)
        .values("supervisee")
    )
    my_one_to_ones = SupervisionSession.objects.visible_to(user).filter(
        kind=SupervisionSession.Kind.ONE_TO_ONE, supervisor=supervisor, supervisee=OuterRef("pk")
    )
    upcoming = my_one_to_ones.filter(status=SupervisionSession.Status.SCHEDULED, starts_at__gte=now).order_by(
        "starts_at", "pk"
    )
    unrecorded = my_one_to_ones.filter(status=SupervisionSession.Status.SCHEDULED, starts_at__lt=now)
    overdue_actions = SessionAction.objects.visible_to(user).open().filter(owner=OuterRef("pk"), due_on__lt=today)
    people = list(
        Person.objects.visible_to(user)
        .filter(pk__in=assigned, partner=supervisor.partner_id)
        .annotate(
            next_session_id=Subquery(upcoming.values("pk")[:1]),
            next_session_at=Subquery(upcoming.values("starts_at")[:1]),
            next_session_location=Subquery(upcoming.values("location")[:1]),
            unrecorded_session_id=Subquery(unrecorded.order_by("-starts_at", "-pk").values("pk")[:1]),
            unrecorded_session_at=Subquery(unrecorded.order_by("-starts_at", "-pk").values("starts_at")[:1]),
            unrecorded_sessions=_count(unrecorded, "supervisee"),
            overdue_actions=_count(overdue_actions, "owner"),
        )
        .order_by("name", "pk")
    )
    compliance = {
        row["pk"]: row
        for row in compliance_visible_to(
            user, supervision_compliance(Person.objects.filter(pk__in=assigned), now=now)
        ).values("pk", "state", "next_due_on", "last_supervised_on", "unconfirmed_records")
    }
    return [
        CaseloadRow(
            person=person,
            state=compliance.get(person.pk, {}).get("state"),
            next_due_on=compliance.get(person.pk, {}).get("next_due_on"),
            last_supervised_on=compliance.get(person.pk, {}).get("last_supervised_on"),
            unconfirmed_records=compliance.get(person.pk, {}).get("unconfirmed_records") or 0,
            next_session_id=person.next_session_id,
            next_session_at=person.next_session_at,
            next_session_location=person.next_session_location or "",
            unrecorded_session_id=person.unrecorded_session_id,
            unrecorded_session_at=person.unrecorded_session_at,
            unrecorded_sessions=person.unrecorded_sessions,
            overdue_actions=person.overdue_actions,
        )
        for person in people
    ]
