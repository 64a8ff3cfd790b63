"""Who supervises whom 1:1: assignments coordinators make, and 1:1s that follow them (no HTTP)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from supervision.models import SupervisionAssignment, SupervisionSeries, SupervisionSession
from supervision.sessions import services as sessions
from supervision.sessions.assignments import assign_supervisor, end_assignment, is_assigned
from tests.supervision.factories import PersonFactory, SupervisionAssignmentFactory
from tests.supervision.sessions.helpers import days_from_now, person_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def supervisor_person(partner, supervisor):
    return person_of(supervisor, partner)


@pytest.fixture
def mentee(partner, mentor_user):
    return person_of(mentor_user, partner, active_mentor=True)


def _one_to_one(by, partner, supervisor, supervisee, day=2):
    starts_at = days_from_now(day)
    return sessions.schedule_session(
        by=by,
        partner=partner,
        kind="one_to_one",
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )


def _series(by, partner, supervisor, supervisee):
    starts_at = days_from_now(3)
    return sessions.schedule_series(
        by=by,
        partner=partner,
        rrule="FREQ=WEEKLY;COUNT=3",
        kind="one_to_one",
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )


# --- a supervisor schedules only with their assigned supervisees -------------------------


@pytest.mark.parametrize("schedule", [_one_to_one, _series], ids=["session", "series"])
def test_a_supervisor_cannot_book_a_one_to_one_with_a_mentor_not_assigned_to_them(
    schedule, partner, supervisor, supervisor_person, mentee
):
    with pytest.raises(Invalid) as excinfo:
        schedule(supervisor, partner, supervisor_person, mentee)

    assert (excinfo.value.field, excinfo.value.code) == ("supervisee", "not_assigned_supervisee")
    assert mentee.name in excinfo.value.message
    assert not SupervisionSession.objects.exists()
    assert not SupervisionSeries.objects.exists()
    assert not SupervisionAssignment.objects.exists()


@pytest.mark.parametrize(
    "dates",
    [{"ended": True}, {"starts_on": TODAY() + timedelta(days=1)}],
    ids=["ended", "not_yet_begun"],
)
def test_an_assignment_not_in_force_today_does_not_let_a_supervisor_book(
    dates, partner, supervisor, supervisor_person, mentee
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee, **dates)

    with pytest.raises(Invalid) as excinfo:
        _one_to_one(supervisor, partner, supervisor_person, mentee)

    assert excinfo.value.code == "not_assigned_supervisee"
    assert not SupervisionSession.objects.exists()


def test_an_assignment_to_another_supervisor_does_not_let_this_one_book(partner, supervisor, supervisor_person, mentee):
    SupervisionAssignmentFactory(partner=partner, supervisee=mentee)

    with pytest.raises(Invalid):
        _one_to_one(supervisor, partner, supervisor_person, mentee)


@pytest.mark.parametrize("schedule", [_one_to_one, _series], ids=["session", "series"])
def test_a_supervisor_books_one_to_ones_with_a_currently_assigned_supervisee(
    schedule, partner, supervisor, supervisor_person, mentee
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)

    schedule(supervisor, partner, supervisor_person, mentee)

    assert SupervisionSession.objects.filter(supervisee=mentee).exists()
    assert SupervisionAssignment.objects.count() == 1


# --- coordinators decide ----------------------------------------------------------------------


def test_a_coordinator_scheduling_a_one_to_one_makes_the_assignment(partner, coordinator, supervisor_person, mentee):
    _one_to_one(coordinator, partner, supervisor_person, mentee)
    _one_to_one(coordinator, partner, supervisor_person, mentee, day=9)

    assignment = SupervisionAssignment.objects.get()
    assert (assignment.supervisor, assignment.supervisee, assignment.created_by) == (
        supervisor_person,
        mentee,
        coordinator,
    )
    assert assignment.starts_on == TODAY() and assignment.ends_on is None
    assert is_assigned(supervisor_person, mentee)


def test_a_coordinator_scheduling_a_series_makes_the_assignment(partner, coordinator, supervisor_person, mentee):
    _series(coordinator, partner, supervisor_person, mentee)
    assert is_assigned(supervisor_person, mentee)


def test_a_coordinator_assigns_and_ends_an_assignment(partner, coordinator, supervisor_person, mentee):
    assignment = assign_supervisor(by=coordinator, partner=partner, supervisor=supervisor_person, supervisee=mentee)
    assert assignment.is_current() and assignment.created_by == coordinator

    ended = end_assignment(by=coordinator, assignment=assignment)

    assert ended.ends_on == TODAY() and ended.ended_by == coordinator
    assert not is_assigned(supervisor_person, mentee)


def test_an_assignment_ended_today_stops_at_once_and_cannot_end_twice(partner, coordinator, supervisor_person, mentee):
    assignment = SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)
    end_assignment(by=coordinator, assignment=assignment)

    with pytest.raises(Invalid) as excinfo:
        end_assignment(by=coordinator, assignment=assignment)
    assert excinfo.value.code == "assignment_ended"


@pytest.mark.parametrize("role", ["supervisor", "mentor_user", "licensor"])
def test_only_the_partners_coordinators_assign(role, request, partner, supervisor_person, mentee):
    with pytest.raises(NotPermitted):
        assign_supervisor(
            by=request.getfixturevalue(role), partner=partner, supervisor=supervisor_person, supervisee=mentee
        )
    assert not SupervisionAssignment.objects.exists()


def test_a_supervisor_cannot_end_an_assignment(partner, supervisor, supervisor_person, mentee):
    assignment = SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)
    with pytest.raises(NotPermitted):
        end_assignment(by=supervisor, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.ends_on is None


def test_a_coordinator_of_another_partner_cannot_assign(partner, other_coordinator, supervisor_person, mentee):
    from core.errors import NotFound

    with pytest.raises(NotFound):
        assign_supervisor(by=other_coordinator, partner=partner, supervisor=supervisor_person, supervisee=mentee)


def test_one_pair_holds_no_overlapping_assignments(partner, coordinator, supervisor_person, mentee):
    first = assign_supervisor(
        by=coordinator,
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentee,
        ends_on=TODAY() + timedelta(30),
    )

    with pytest.raises(Invalid) as excinfo:
        assign_supervisor(
            by=coordinator,
            partner=partner,
            supervisor=supervisor_person,
            supervisee=mentee,
            starts_on=TODAY() + timedelta(days=29),
        )
    assert (excinfo.value.field, excinfo.value.code) == ("supervisee", "assignment_overlaps")
    assert SupervisionAssignment.objects.count() == 1

    # From the day the first one ends, the pair may be assigned again.
    again = assign_supervisor(
        by=coordinator, partner=partner, supervisor=supervisor_person, supervisee=mentee, starts_on=first.ends_on
    )
    assert again.pk != first.pk


def test_the_database_keeps_one_open_assignment_per_pair(partner, supervisor_person, mentee):
    from django.db import IntegrityError, transaction

    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)


@pytest.mark.parametrize("who", ["supervisor", "supervisee"])
def test_both_people_belong_to_the_partner(who, partner, other_partner, coordinator, supervisor_person, mentee):
    people = {"supervisor": supervisor_person, "supervisee": mentee, who: PersonFactory(partner=other_partner)}
    with pytest.raises(Invalid) as excinfo:
        assign_supervisor(by=coordinator, partner=partner, **people)
    assert excinfo.value.field == who
    assert not SupervisionAssignment.objects.exists()


def test_a_person_does_not_supervise_themselves_nor_someone_who_has_exited(partner, coordinator, supervisor_person):
    with pytest.raises(Invalid) as excinfo:
        assign_supervisor(by=coordinator, partner=partner, supervisor=supervisor_person, supervisee=supervisor_person)
    assert excinfo.value.field == "supervisee"

    exited = PersonFactory(partner=partner, mentor_status="exited")
    with pytest.raises(Invalid) as excinfo:
        assign_supervisor(by=coordinator, partner=partner, supervisor=supervisor_person, supervisee=exited)
    assert excinfo.value.code == "person_exited"
    assert not SupervisionAssignment.objects.exists()


def test_an_assignment_ends_on_or_after_it_starts(partner, coordinator, supervisor_person, mentee):
    with pytest.raises(Invalid) as excinfo:
        assign_supervisor(
            by=coordinator,
            partner=partner,
            supervisor=supervisor_person,
            supervisee=mentee,
            starts_on=TODAY(),
            ends_on=TODAY() - timedelta(days=1),
        )
    assert excinfo.value.field == "ends_on"


def test_the_supervisor_and_supervisee_read_their_own_assignments_only(
    partner, coordinator, supervisor, mentor_user, supervisor_person, mentee, licensor, trainer
):
    own = SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)
    other = SupervisionAssignmentFactory(partner=partner)

    assert set(SupervisionAssignment.objects.visible_to(supervisor)) == {own}
    assert set(SupervisionAssignment.objects.visible_to(mentor_user)) == {own}
    assert set(SupervisionAssignment.objects.visible_to(coordinator)) == {own, other}
    assert set(SupervisionAssignment.objects.visible_to(licensor)) == {own, other}
    assert set(SupervisionAssignment.objects.visible_to(trainer)) == set()
