"""Who supervises whom 1:1: the assignments a partner's coordinators make, and the rule that 1:1s follow them.

A supervisor's rights over a mentor's records follow a current assignment
(supervision.incidents.querysets), so an assignment is never a side effect of
what a supervisor books: coordinators make it, explicitly or by scheduling a
1:1 themselves, and a supervisor schedules 1:1s only with the supervisees
currently assigned to them.

Dates are days of the deployment's calendar (TIME_ZONE); an assignment holds
from `starts_on` up to the day before `ends_on`, so ending one today takes
effect at once.
"""

from django.db import connection, transaction
from django.utils import timezone

from core.errors import Invalid
from core.tenancy import COORDINATOR, access_for, require_role
from supervision.models import MentorStatus, Person, SupervisionAssignment

__all__ = ["assign_supervisor", "end_assignment", "is_assigned", "require_assignment"]

_COORDINATORS_ONLY = "Only the partner's coordinators decide who supervises whom."


def _lock_pair(supervisor, supervisee):
    # Two coordinators assigning the same pair at once wait for each other instead of both passing the
    # overlap check (PostgreSQL; SQLite serialises writers).
    if connection.features.has_select_for_update:
        list(Person.objects.select_for_update().filter(pk__in=[supervisor.pk, supervisee.pk]).order_by("pk"))


def _check_people(partner, supervisor, supervisee):
    for field, person in (("supervisor", supervisor), ("supervisee", supervisee)):
        if person is None:
            raise Invalid(f"Say who the {field} is.", field=field)
        if person.partner_id != partner.pk:
            raise Invalid(f"{person.name} does not belong to this partner.", field=field)
        if person.mentor_status == MentorStatus.EXITED:
            raise Invalid(f"{person.name} has left the programme.", field=field, code="person_exited")
    if supervisor.pk == supervisee.pk:
        raise Invalid("Supervisor and supervisee are two different people.", field="supervisee")


def is_assigned(supervisor, supervisee, on=None):
    """Does a current assignment make `supervisor` the 1:1 supervisor of `supervisee`?"""
    return SupervisionAssignment.objects.current(on).filter(supervisor=supervisor, supervisee=supervisee).exists()


@transaction.atomic
def assign_supervisor(*, by, partner, supervisor, supervisee, starts_on=None, ends_on=None):
    """Make `supervisor` the 1:1 supervisor of `supervisee` from `starts_on` (today when None). The pair may hold
    no other assignment on any of those days."""
    require_role(by, partner, (COORDINATOR,), licensor=False, message=_COORDINATORS_ONLY)
    _check_people(partner, supervisor, supervisee)
    starts_on = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < starts_on:
        raise Invalid("An assignment ends on or after the day it starts.", field="ends_on")
    _lock_pair(supervisor, supervisee)
    overlapping = (
        SupervisionAssignment.objects.filter(supervisor=supervisor, supervisee=supervisee)
        .overlapping(starts_on, ends_on)
        .first()
    )
    if overlapping is not None:
        until = f"until {overlapping.ends_on}" if overlapping.ends_on else "with no end"
        raise Invalid(
            f"{supervisor.name} is already assigned to supervise {supervisee.name} from {overlapping.starts_on} "
            f"{until}.",
            field="supervisee",
            code="assignment_overlaps",
        )
    return SupervisionAssignment.objects.create(
        partner=partner,
        supervisor=supervisor,
        supervisee=supervisee,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )


@transaction.atomic
def end_assignment(*, by, assignment, ends_on=None):
    """End an assignment from `ends_on` (today when None): from that day the supervisor's rights stop."""
    require_role(by, assignment.partner_id, (COORDINATOR,), licensor=False, message=_COORDINATORS_ONLY)
    assignment = SupervisionAssignment.objects.select_for_update().get(pk=assignment.pk)
    ends_on = ends_on or timezone.localdate()
    if assignment.ends_on is not None and assignment.ends_on <= ends_on:
        raise Invalid(f"This assignment already ended on {assignment.ends_on}.", code="assignment_ended")
    if ends_on < assignment.starts_on:
        # An assignment that has not begun ends before it starts: it never holds.
        ends_on = assignment.starts_on
    assignment.ends_on = ends_on
    assignment.ended_by = by
    assignment.save(update_fields=["ends_on", "ended_by", "updated_at"])
    return assignment


def require_assignment(*, by, partner, supervisor, supervisee):
    """Called by the scheduling of a 1:1 (inside its transaction, after its parties are checked).

    A coordinator of the partner scheduling a 1:1 decides who supervises whom:
    the assignment is made when none is current. Anyone else (a supervisor)
    schedules only with a supervisee currently assigned to the session's
    supervisor, so booking a session never grants a right over a mentor.
    """
    if is_assigned(supervisor, supervisee):
        return
    if access_for(by).has_role(partner.pk, (COORDINATOR,)):
        _lock_pair(supervisor, supervisee)
        SupervisionAssignment.objects.create(
            partner=partner,
            supervisor=supervisor,
            supervisee=supervisee,
            starts_on=timezone.localdate(),
            created_by=by,
        )
        return
    raise Invalid(
        f"{supervisee.name} is not currently assigned to {supervisor.name} for supervision; the partner's "
        "coordinators make that assignment.",
        field="supervisee",
        code="not_assigned_supervisee",
    )
