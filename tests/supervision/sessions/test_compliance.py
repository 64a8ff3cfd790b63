"""Supervision compliance: last held session attended, next due date from each partner's own interval, state, and
unconfirmed 1:1 records — in one query."""

from datetime import timedelta

import pytest
from django.utils import timezone

from supervision.models import Person
from supervision.sessions.compliance import compliance_visible_to, supervision_compliance
from tests.factories import PartnerFactory
from tests.supervision.factories import (
    PersonFactory,
    PersonTransitionFactory,
    SessionAttendanceFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import days_from_now, person_of, set_policy

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _held(mentor, days_ago, **fields):
    """A held 1:1 of `mentor` `days_ago` days ago, with them present."""
    return SupervisionSessionFactory(
        partner=mentor.partner, supervisee=mentor, held=True, starts_at=days_from_now(-days_ago), **fields
    )


def _row(person, **kwargs):
    return supervision_compliance(**kwargs).get(pk=person.pk)


@pytest.fixture
def mentor(partner):
    set_policy(partner, supervision_interval_days=28)
    return PersonFactory(partner=partner, active_mentor=True)


def test_next_due_is_the_last_held_session_plus_the_partners_interval(mentor):
    _held(mentor, 40)
    _held(mentor, 10)

    row = _row(mentor)

    assert row.last_supervised_on == _today() - timedelta(days=10)
    assert row.interval_days == 28
    assert row.next_due_on == _today() + timedelta(days=18)
    assert row.state == "ok"


@pytest.mark.parametrize(
    ("days_ago", "state"),
    [(20, "ok"), (21, "due_soon"), (27, "due_soon"), (28, "due_soon"), (29, "overdue")],
)
def test_the_state_turns_due_soon_seven_days_ahead_and_overdue_after_the_due_date(mentor, days_ago, state):
    _held(mentor, days_ago)

    assert _row(mentor).state == state


def test_partners_with_different_intervals_are_compared_in_the_same_query(mentor, django_assert_num_queries):
    other = PartnerFactory()
    set_policy(other, supervision_interval_days=42)
    elsewhere = PersonFactory(partner=other, active_mentor=True)
    _held(mentor, 30)
    _held(elsewhere, 30)

    with django_assert_num_queries(1):
        rows = {row.pk: row for row in supervision_compliance()}

    assert (rows[mentor.pk].state, rows[mentor.pk].interval_days) == ("overdue", 28)
    assert (rows[elsewhere.pk].state, rows[elsewhere.pk].interval_days) == ("ok", 42)


def test_a_partner_without_a_policy_version_uses_the_baseline():
    person = PersonFactory(partner=PartnerFactory(), active_mentor=True)
    _held(person, 40)

    row = _row(person)

    assert row.interval_days == 42
    assert row.state == "due_soon"


def test_the_query_count_does_not_grow_with_the_number_of_mentors(partner, django_assert_num_queries):
    for _ in range(15):
        _held(PersonFactory(partner=partner, active_mentor=True), 12)

    with django_assert_num_queries(1):
        assert len(list(supervision_compliance())) == 15


def test_missed_scheduled_and_absent_sessions_do_not_count(mentor):
    _held(mentor, 50)
    SupervisionSessionFactory(partner=mentor.partner, supervisee=mentor, starts_at=days_from_now(-5), status="missed")
    SupervisionSessionFactory(partner=mentor.partner, supervisee=mentor, starts_at=days_from_now(3))
    group_session = SupervisionSessionFactory(
        partner=mentor.partner, group_session=True, held=True, starts_at=days_from_now(-4)
    )
    SessionAttendanceFactory(partner=mentor.partner, session=group_session, person=mentor, attendance="apologies")

    assert _row(mentor).last_supervised_on == _today() - timedelta(days=50)


def test_a_held_group_session_attended_counts(mentor):
    group = SupervisionGroupFactory(partner=mentor.partner, active=True, members=3)
    session = SupervisionSessionFactory(
        partner=mentor.partner, group_session=True, group=group, held=True, starts_at=days_from_now(-3)
    )
    SessionAttendanceFactory(partner=mentor.partner, session=session, person=mentor, attendance="present")

    assert _row(mentor).last_supervised_on == _today() - timedelta(days=3)


def test_a_mentor_never_supervised_is_due_an_interval_after_becoming_active(mentor):
    activated_at = timezone.now() - timedelta(days=30)
    PersonTransitionFactory(
        partner=mentor.partner,
        person=mentor,
        from_status="shadowing",
        to_status="active",
        at=activated_at,
    )

    row = _row(mentor)

    assert row.last_supervised_on is None
    # Counted from the local date of activation (30 days ago may be another wall-clock date across a clock change).
    assert row.next_due_on == timezone.localdate(activated_at) + timedelta(days=28)
    assert row.state == "overdue"


def test_only_active_mentors_are_listed(partner):
    active = PersonFactory(partner=partner, active_mentor=True)
    PersonFactory(partner=partner, paused=True)
    PersonFactory(partner=partner, shadowing=True)
    PersonFactory(partner=partner)

    assert list(supervision_compliance().values_list("pk", flat=True)) == [active.pk]


def test_the_queryset_filters_by_state_and_partner(mentor):
    other = PartnerFactory()
    late_elsewhere = PersonFactory(partner=other, active_mentor=True)
    _held(late_elsewhere, 100)
    _held(mentor, 100)
    fine = PersonFactory(partner=mentor.partner, active_mentor=True)
    _held(fine, 1)

    overdue = supervision_compliance().filter(state="overdue")

    assert set(overdue.values_list("pk", flat=True)) == {mentor.pk, late_elsewhere.pk}
    assert list(overdue.filter(partner=mentor.partner).values_list("pk", flat=True)) == [mentor.pk]


def test_unconfirmed_one_to_one_records_older_than_a_week_are_counted(mentor):
    _held(mentor, 20)
    _held(mentor, 10)
    _held(mentor, 3)  # recent: the supervisee still has time to confirm it
    _held(mentor, 12, confirmed_at=timezone.now())

    assert _row(mentor).unconfirmed_records == 2


def test_the_version_in_force_supplies_the_interval(mentor):
    _held(mentor, 30)
    set_policy(mentor.partner, supervision_interval_days=21)

    row = _row(mentor)

    assert (row.interval_days, row.state) == (21, "overdue")


def test_rows_visible_to_staff_of_the_partner_and_to_the_mentor_themself(
    partner, coordinator, supervisor, mentor_user, other_coordinator, licensor
):
    own = person_of(mentor_user, partner, active_mentor=True)
    colleague = PersonFactory(partner=partner, active_mentor=True)

    def visible(user):
        return set(compliance_visible_to(user, supervision_compliance()).values_list("pk", flat=True))

    assert visible(coordinator) == visible(supervisor) == visible(licensor) == {own.pk, colleague.pk}
    assert visible(mentor_user) == {own.pk}
    assert visible(other_coordinator) == set()


def test_a_person_queryset_can_be_narrowed_first(partner):
    mentors = [PersonFactory(partner=partner, active_mentor=True) for _ in range(3)]

    rows = supervision_compliance(Person.objects.filter(pk=mentors[0].pk))

    assert [row.pk for row in rows] == [mentors[0].pk]
