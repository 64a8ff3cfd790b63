"""Compliance over one hand-built world that holds every case at once, each row's answer written out by hand.

Three partners (an interval of 28 days with an older and a future version around it, 42 days, and none of their
own, so the baseline's), mentors in every state, people who are not active mentors, and sessions held, missed,
cancelled, scheduled, attended, absent, 1:1 and group. The set-based query must give exactly these answers for
every row, and the same answers however the people are narrowed first (a partner, a caller, one person).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import policy_fields
from franchise.models import BaselinePolicy, Role
from supervision.models import Person
from supervision.sessions.compliance import ROW, compliance_rows, supervision_compliance
from tests.factories import MembershipFactory, PartnerFactory
from tests.franchise.factories import PolicyVersionFactory
from tests.supervision.factories import (
    PersonFactory,
    PersonTransitionFactory,
    SessionAttendanceFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import days_from_now, set_policy

pytestmark = pytest.mark.django_db

BASELINE_INTERVAL = 40


def _policy(**values):
    return {**policy_fields.defaults(), **values}


def _today():
    return timezone.localdate()


def _days(n):
    return _today() + timedelta(days=n)


def _one_to_one(mentor, days, status="held", *, attendance="present", confirmed=True):
    """A 1:1 of `mentor` `days` days from now (negative: past), with the mentor's attendance as given."""
    session = SupervisionSessionFactory(
        partner=mentor.partner,
        supervisee=mentor,
        starts_at=days_from_now(days),
        status=status,
        confirmed_at=timezone.now() if confirmed else None,
        attendees=False,
    )
    SessionAttendanceFactory(partner=mentor.partner, session=session, person=session.supervisor, attendance="present")
    SessionAttendanceFactory(partner=mentor.partner, session=session, person=mentor, attendance=attendance)
    return session


def _group_session(group, days, attendance_of, status="held"):
    session = SupervisionSessionFactory(
        partner=group.partner,
        group_session=True,
        group=group,
        starts_at=days_from_now(days),
        status=status,
        attendees=False,
    )
    for person, attendance in attendance_of.items():
        SessionAttendanceFactory(partner=group.partner, session=session, person=person, attendance=attendance)
    return session


def _activated(mentor, days_ago):
    PersonTransitionFactory(
        partner=mentor.partner,
        person=mentor,
        from_status="shadowing",
        to_status="active",
        at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def world():
    """The world and, per mentor, the row expected: (last_supervised_on, next_due_on, state, interval_days,
    policy version, unconfirmed_records)."""
    baseline = BaselinePolicy.load()
    baseline.supervision_interval_days = BASELINE_INTERVAL
    baseline.save()

    north, south, east = PartnerFactory(), PartnerFactory(), PartnerFactory()
    # North: an older version (35 days) and one that takes effect next week (14 days) around the one in force.
    PolicyVersionFactory(
        partner=north, values=_policy(supervision_interval_days=35), effective_from=timezone.now() - timedelta(days=200)
    )
    north_version = set_policy(north, supervision_interval_days=28)
    PolicyVersionFactory(
        partner=north, values=_policy(supervision_interval_days=14), effective_from=timezone.now() + timedelta(days=7)
    )
    south_version = set_policy(south, supervision_interval_days=42)
    # East has no version of its own: the baseline's interval applies.

    def mentor(partner, name):
        return PersonFactory(partner=partner, active_mentor=True, name=name)

    expected = {}

    # North, 28 days.
    recent = mentor(north, "Recent")
    _one_to_one(recent, -20, confirmed=False)  # unconfirmed, over a week old
    _one_to_one(recent, -12)  # confirmed
    _one_to_one(recent, -10, confirmed=False)  # unconfirmed, over a week old
    _one_to_one(recent, -3, confirmed=False)  # unconfirmed, but the mentor still has time
    expected[recent] = (_days(-3), _days(25), "ok", 28, north_version, 2)

    soon = mentor(north, "Soon")
    _one_to_one(soon, -25)
    _one_to_one(soon, -2, "missed", attendance="absent")
    _one_to_one(soon, -1, "cancelled", attendance="")
    _one_to_one(soon, 4, "scheduled", attendance="")
    expected[soon] = (_days(-25), _days(3), "due_soon", 28, north_version, 0)

    due_today = mentor(north, "Due today")
    _one_to_one(due_today, -28)
    expected[due_today] = (_days(-28), _days(0), "due_soon", 28, north_version, 0)

    a_day_late = mentor(north, "A day late")
    _one_to_one(a_day_late, -29)
    expected[a_day_late] = (_days(-29), _days(-1), "overdue", 28, north_version, 0)

    a_week_ahead = mentor(north, "A week ahead")
    _one_to_one(a_week_ahead, -21)
    expected[a_week_ahead] = (_days(-21), _days(7), "due_soon", 28, north_version, 0)

    eight_days_ahead = mentor(north, "Eight days ahead")
    _one_to_one(eight_days_ahead, -20)
    expected[eight_days_ahead] = (_days(-20), _days(8), "ok", 28, north_version, 0)

    absent = mentor(north, "Absent")
    _one_to_one(absent, -40)
    # Held, but the mentor was marked absent: the supervisor's presence is not the mentor's supervision.
    _one_to_one(absent, -5, attendance="absent")
    expected[absent] = (_days(-40), _days(-12), "overdue", 28, north_version, 0)

    reactivated = mentor(north, "Reactivated")
    _activated(reactivated, 60)
    _activated(reactivated, 5)  # back from a pause: the latest activation counts
    expected[reactivated] = (None, _days(23), "ok", 28, north_version, 0)

    new_on_file = mentor(north, "New on file")
    Person.objects.filter(pk=new_on_file.pk).update(created_at=timezone.now() - timedelta(days=30))
    expected[new_on_file] = (None, _days(-2), "overdue", 28, north_version, 0)

    in_group = mentor(north, "In a group")
    sent_apologies = mentor(north, "Sent apologies")
    group = SupervisionGroupFactory(partner=north, active=True, members=[in_group, sent_apologies])
    _group_session(group, -3, {in_group: "present", sent_apologies: "apologies"})
    _group_session(group, -1, {in_group: "present", sent_apologies: "present"}, status="cancelled")
    _one_to_one(sent_apologies, -50)
    _one_to_one(in_group, -30)
    expected[in_group] = (_days(-3), _days(25), "ok", 28, north_version, 0)
    expected[sent_apologies] = (_days(-50), _days(-22), "overdue", 28, north_version, 0)

    # People who are listed nowhere, whatever their sessions.
    for traits in ({"paused": True}, {"shadowing": True}, {"mentor_status": "exited"}, {}):
        someone = PersonFactory(partner=north, **traits)
        SessionAttendanceFactory(partner=north, session=_one_to_one(recent, -60), person=someone, attendance="present")

    # South, 42 days.
    thirty_days = mentor(south, "Thirty days")
    _one_to_one(thirty_days, -30)
    expected[thirty_days] = (_days(-30), _days(12), "ok", 42, south_version, 0)

    thirty_six_days = mentor(south, "Thirty-six days")
    _one_to_one(thirty_six_days, -36, confirmed=False)
    _one_to_one(thirty_six_days, -60, "missed", confirmed=False)  # not held: not a record to confirm
    expected[thirty_six_days] = (_days(-36), _days(6), "due_soon", 42, south_version, 1)

    # East, the baseline's 40 days.
    baseline_late = mentor(east, "Baseline late")
    _one_to_one(baseline_late, -45)
    _activated(baseline_late, 100)  # a session held counts, not the activation
    expected[baseline_late] = (_days(-45), _days(-5), "overdue", BASELINE_INTERVAL, None, 0)

    never = mentor(east, "Never supervised")
    _activated(never, 10)
    expected[never] = (None, _days(30), "ok", BASELINE_INTERVAL, None, 0)

    return {"partners": (north, south, east), "expected": expected}


def _answers(rows):
    return {
        row["pk"]: (
            row["last_supervised_on"],
            row["next_due_on"],
            row["state"],
            row["interval_days"],
            row["policy_version"],
            row["unconfirmed_records"],
        )
        for row in rows
    }


def _expected(world, keep=lambda person: True):
    return {
        person.pk: (*answer[:4], answer[4].pk if answer[4] else None, answer[5])
        for person, answer in world["expected"].items()
        if keep(person)
    }


def test_every_row_gives_the_answer_worked_out_by_hand(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(supervision_compliance().values(*ROW))

    assert _answers(rows) == _expected(world)


def test_narrowing_the_people_first_changes_no_answer(world):
    north, south, _ = world["partners"]
    expected = _expected(world)

    by_partner = _answers(supervision_compliance(Person.objects.filter(partner=north)).values(*ROW))
    assert by_partner == _expected(world, lambda person: person.partner_id == north.pk)

    for person in world["expected"]:
        one = _answers(supervision_compliance(Person.objects.filter(pk=person.pk)).values(*ROW))
        assert one == {person.pk: expected[person.pk]}, person.name

    coordinator = MembershipFactory(partner=south, role=Role.COORDINATOR).user
    assert _answers(compliance_rows(coordinator)) == _expected(world, lambda person: person.partner_id == south.pk)


def test_the_state_filter_keeps_exactly_the_rows_in_that_state(world, licensor):
    north, _, _ = world["partners"]
    expected = _expected(world)

    for state in ("ok", "due_soon", "overdue"):
        rows = _answers(compliance_rows(licensor, state=state))
        assert rows == {pk: answer for pk, answer in expected.items() if answer[2] == state}, state

    north_overdue = _answers(compliance_rows(licensor, partner=north, state="overdue"))
    assert set(north_overdue) == {
        person.pk for person, answer in world["expected"].items() if person.partner == north and answer[2] == "overdue"
    }


def test_the_list_is_ordered_by_next_due_date_then_name(world, licensor):
    rows = list(compliance_rows(licensor))

    assert [row["pk"] for row in rows] == [
        person.pk for person, answer in sorted(world["expected"].items(), key=lambda item: (item[1][1], item[0].name))
    ]
