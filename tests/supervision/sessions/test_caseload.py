"""A supervisor's caseload and a mentor's own agenda: set-based reads for their homes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchise.models import Role
from supervision.sessions import agenda
from supervision.sessions.caseload import caseload, own_person
from tests.factories import MembershipFactory, PartnerFactory
from tests.supervision.factories import (
    PersonFactory,
    SessionActionFactory,
    SupervisionAssignmentFactory,
    SupervisionSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return PersonFactory(partner=PartnerFactory(), staff=True, name="Sam Supervisor")


def assigned(me, **person):
    mentee = PersonFactory(partner=me.partner, active_mentor=True, **person)
    SupervisionAssignmentFactory(partner=me.partner, supervisor=me, supervisee=mentee)
    return mentee


def ago(days):
    return timezone.now() - timedelta(days=days)


def test_the_caseload_is_the_current_assignments_in_name_order(me):
    assigned(me, name="Zara")
    assigned(me, name="Abel")
    ended = PersonFactory(partner=me.partner, active_mentor=True, name="Ended")
    SupervisionAssignmentFactory(partner=me.partner, supervisor=me, supervisee=ended, ended=True)
    SupervisionAssignmentFactory(partner=me.partner, supervisee=PersonFactory(partner=me.partner, name="Other's"))

    assert [row.person.name for row in caseload(me.user, me)] == ["Abel", "Zara"]


def test_next_session_is_the_soonest_scheduled_one_to_one_with_this_supervisor(me):
    mentee = assigned(me)
    later = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(-9))
    sooner = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(-3))
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(-1), cancelled=True)
    SupervisionSessionFactory(partner=me.partner, supervisee=mentee, starts_at=ago(-2))

    row = caseload(me.user, me)[0]

    assert row.next_session_id == sooner.pk != later.pk
    assert row.next_session_at == sooner.starts_at


def test_sessions_started_but_never_recorded_are_counted_latest_first(me):
    mentee = assigned(me)
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(20))
    latest = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(2))
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, held=True)

    row = caseload(me.user, me)[0]

    assert (row.unrecorded_sessions, row.unrecorded_session_id) == (2, latest.pk)
    assert row.needs_attention


def test_open_actions_past_due_are_counted_done_ones_not(me):
    mentee = assigned(me)
    held = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, held=True)
    yesterday = timezone.localdate() - timedelta(days=1)
    SessionActionFactory(partner=me.partner, session=held, owner=mentee, due_on=yesterday)
    SessionActionFactory(partner=me.partner, session=held, owner=mentee, due_on=yesterday, done_at=timezone.now())
    SessionActionFactory(partner=me.partner, session=held, owner=mentee)

    assert caseload(me.user, me)[0].overdue_actions == 1


def test_compliance_state_comes_from_the_compliance_rows_and_is_none_off_the_active_pathway(me):
    overdue = assigned(me, name="A overdue")
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=overdue, held=True, starts_at=ago(200))
    paused = PersonFactory(partner=me.partner, paused=True, name="B paused")
    SupervisionAssignmentFactory(partner=me.partner, supervisor=me, supervisee=paused)

    rows = caseload(me.user, me)

    assert [(row.person.name, row.state) for row in rows] == [("A overdue", "overdue"), ("B paused", None)]
    assert rows[0].last_supervised_on == timezone.localdate(ago(200))


def test_own_person_is_none_for_a_login_linked_to_no_one_here(me):
    elsewhere = PartnerFactory()

    assert own_person(me.user, me.partner) == me
    assert own_person(me.user, elsewhere) is None


def test_the_caseload_costs_the_same_at_any_size(me):
    def grow(count):
        for _ in range(count):
            mentee = assigned(me)
            SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee)
            SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(1))

    def cost():
        with CaptureQueriesContext(connection) as queries:
            caseload(me.user, me)
        return len(queries)

    grow(1)
    caseload(me.user, me)  # the user's memberships, read once per request
    few = cost()
    grow(12)
    assert cost() == few <= 2


# --- a mentor's agenda -------------------------------------------------------------------------------


@pytest.fixture
def mentee(me):
    person = PersonFactory(partner=me.partner, active_mentor=True, with_user=True)
    MembershipFactory(user=person.user, partner=me.partner, role=Role.MENTOR)
    return person


def test_next_sessions_are_the_scheduled_ones_to_come_soonest_first(me, mentee):
    later = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(-8))
    sooner = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(-1))
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, starts_at=ago(-2), cancelled=True)
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, held=True)
    SupervisionSessionFactory(partner=me.partner, starts_at=ago(-1))

    assert agenda.next_sessions(mentee.user, mentee) == [sooner, later]


def test_records_to_confirm_are_recorded_unconfirmed_one_to_ones_of_the_supervisee(me, mentee):
    waiting = SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, held=True)
    SupervisionSessionFactory(
        partner=me.partner, supervisor=me, supervisee=mentee, held=True, starts_at=ago(30), confirmed_at=ago(20)
    )
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee)
    SupervisionSessionFactory(partner=me.partner, held=True)

    assert agenda.records_to_confirm(mentee.user, mentee) == [waiting]
