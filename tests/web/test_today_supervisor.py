"""The supervisor's part of a partner's home: their supervisees, next sessions, what is overdue."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchise.models import Role
from supervision.models import SupervisionSession
from supervision.sessions.caseload import caseload
from tests.factories import MembershipFactory, user_with_role
from tests.supervision.factories import (
    PersonFactory,
    SessionActionFactory,
    SupervisionAssignmentFactory,
    SupervisionSessionFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    """What a person reads: the page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def home(partner):
    return reverse("partner-home", args=[partner.slug])


@pytest.fixture
def me(partner, supervisor):
    return PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor", email=supervisor.email)


def supervisee_of(me, **person):
    mentee = PersonFactory(partner=me.partner, active_mentor=True, **person)
    SupervisionAssignmentFactory(partner=me.partner, supervisor=me, supervisee=mentee)
    return mentee


def held_long_ago(me, mentee, days):
    return SupervisionSessionFactory(
        partner=me.partner,
        supervisor=me,
        supervisee=mentee,
        held=True,
        starts_at=timezone.now() - timedelta(days=days),
    )


def test_lists_current_supervisees_with_their_next_session(page_for, supervisor, me):
    mentee = supervisee_of(me, name="Amira Hassan")
    SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee, location="Room 7, the centre")

    response = page_for(supervisor).get(home(me.partner))

    assert response.status_code == 200
    page = response.content.decode()
    assert "As supervisor" in page
    assert "Amira Hassan" in page
    assert "Room 7, the centre" in page
    assert "Supervision up to date" in page


def test_overdue_supervision_is_said_in_words_and_colour(page_for, supervisor, me):
    mentee = supervisee_of(me, name="Dionne Clarke")
    held_long_ago(me, mentee, days=120)

    page = page_for(supervisor).get(home(me.partner)).content.decode()

    assert '<span class="badge badge--bad">Supervision overdue</span>' in page
    assert "was due" in page


def test_a_session_held_but_not_recorded_and_actions_past_due_are_shown(page_for, supervisor, me):
    mentee = supervisee_of(me, name="Bethany Cole")
    SupervisionSessionFactory(
        partner=me.partner, supervisor=me, supervisee=mentee, starts_at=timezone.now() - timedelta(days=3)
    )
    held = held_long_ago(me, mentee, days=20)
    SessionActionFactory(partner=me.partner, session=held, owner=mentee, due_on=timezone.localdate() - timedelta(1))

    row = caseload(supervisor, me)[0]
    page = text(page_for(supervisor).get(home(me.partner)))

    assert row.unrecorded_sessions == 1
    assert row.overdue_actions == 1
    assert "1 session held but not recorded" in page
    assert "1 agreed action past due" in page
    assert "1 held on or before" in page


def test_the_supervisor_sees_only_their_own_supervisees(page_for, partner, supervisor, me):
    supervisee_of(me, name="Mine Only")
    someone_else = PersonFactory(partner=partner, staff=True)
    SupervisionAssignmentFactory(
        partner=partner, supervisor=someone_else, supervisee=PersonFactory(partner=partner, name="Not Mine")
    )
    SupervisionAssignmentFactory(
        partner=partner, supervisor=me, supervisee=PersonFactory(partner=partner, name="Ended Long Ago"), ended=True
    )

    page = page_for(supervisor).get(home(partner)).content.decode()

    assert "Mine Only" in page
    assert "Not Mine" not in page
    assert "Ended Long Ago" not in page


def test_nothing_from_another_partner(page_for, partner, other_partner, supervisor, me):
    MembershipFactory(user=supervisor, partner=other_partner, role=Role.SUPERVISOR)
    there = PersonFactory(partner=other_partner, user=supervisor, name="Sam There")
    SupervisionAssignmentFactory(
        partner=other_partner, supervisor=there, supervisee=PersonFactory(partner=other_partner, name="Harbour Mentee")
    )
    supervisee_of(me, name="Northside Mentee")

    page = page_for(supervisor).get(home(partner)).content.decode()

    assert "Northside Mentee" in page
    assert "Harbour Mentee" not in page


def test_a_coordinator_who_does_not_supervise_sees_no_supervisor_part(page_for, partner, coordinator):
    response = page_for(coordinator).get(home(partner))

    assert response.status_code == 200
    assert "As supervisor" not in response.content.decode()


def test_a_mentor_sees_no_supervisor_part(page_for, partner, mentor_user):
    assert "As supervisor" not in page_for(mentor_user).get(home(partner)).content.decode()


def test_a_coordinator_who_also_supervises_sees_their_own_caseload(page_for, partner, coordinator):
    MembershipFactory(user=coordinator, partner=partner, role=Role.SUPERVISOR)
    me = PersonFactory(partner=partner, user=coordinator)
    supervisee_of(me, name="Assigned To Cora")
    SupervisionAssignmentFactory(partner=partner, supervisee=PersonFactory(partner=partner, name="Assigned Elsewhere"))

    page = page_for(coordinator).get(home(partner)).content.decode()

    assert "As supervisor" in page
    assert "Assigned To Cora" in page
    assert "Assigned Elsewhere" not in page.split("As supervisor")[1].split("</section>")[0]


def test_a_supervisor_without_a_person_is_told_why_there_is_nothing(page_for, partner, supervisor):
    page = page_for(supervisor).get(home(partner)).content.decode()

    assert "Your sign-in is not linked to a person at Northside Women" in page


def test_a_supervisor_with_no_supervisees_is_told_who_decides(page_for, supervisor, me):
    page = page_for(supervisor).get(home(me.partner)).content.decode()

    assert "No one is assigned to you for supervision" in page


def test_a_paused_supervisee_is_listed_without_a_compliance_state(page_for, supervisor, me):
    mentee = PersonFactory(partner=me.partner, paused=True, name="Fatima Begum")
    SupervisionAssignmentFactory(partner=me.partner, supervisor=me, supervisee=mentee)

    page = page_for(supervisor).get(home(me.partner)).content.decode()

    assert "Fatima Begum" in page
    assert "Paused (not counted)" in page


def test_another_partners_supervisor_gets_404(page_for, partner, other_partner):
    outsider = user_with_role(Role.SUPERVISOR, other_partner)

    assert page_for(outsider).get(home(partner)).status_code == 404


def _supervisees(me, count):
    for _ in range(count):
        mentee = supervisee_of(me)
        SupervisionSessionFactory(partner=me.partner, supervisor=me, supervisee=mentee)
        held = held_long_ago(me, mentee, days=40)
        SupervisionSessionFactory(
            partner=me.partner, supervisor=me, supervisee=mentee, starts_at=timezone.now() - timedelta(days=2)
        )
        SessionActionFactory(
            partner=me.partner, session=held, owner=mentee, due_on=timezone.localdate() - timedelta(days=1)
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_caseload(page_for, supervisor, me):
    client = page_for(supervisor)
    _supervisees(me, 2)
    few = _queries(client, home(me.partner))
    _supervisees(me, 15)
    many = _queries(client, home(me.partner))

    assert len(caseload(supervisor, me)) == 17
    assert SupervisionSession.objects.filter(supervisor=me).count() == 51
    assert many == few


def test_the_demo_supervisor_sees_their_supervisees_and_who_is_overdue(demo, page_for):
    supervisor = demo["staff"][("northside", Role.SUPERVISOR)]
    assert supervisor.email == "supervisor@northside.example"

    page = text(page_for(supervisor).get(home(demo["northside"])))

    assert "Amira Hassan" in page
    assert "Dionne Clarke" in page
    assert "Supervision overdue" in page
    assert "agreed action past due" in page
    assert "Harbour" not in page.split("As supervisor")[1]


def _resolves(name, *args):
    from web.today.links import url_or_none

    return url_or_none(name, *args)


def test_links_to_record_the_unrecorded_session_and_to_schedule_one(page_for, supervisor, me):
    waiting = supervisee_of(me, name="Needs Recording")
    unrecorded = SupervisionSessionFactory(
        partner=me.partner, supervisor=me, supervisee=waiting, starts_at=timezone.now() - timedelta(days=1)
    )
    nothing_booked = supervisee_of(me, name="Nothing Booked")
    record_url = _resolves("session-record", me.partner.slug, unrecorded.pk) or _resolves(
        "session-detail", me.partner.slug, unrecorded.pk
    )
    schedule_url = _resolves("session-new", me.partner.slug)
    if record_url is None or schedule_url is None:
        pytest.skip("The sessions pages are not there yet.")

    page = page_for(supervisor).get(home(me.partner)).content.decode()

    assert f'href="{record_url}">Record the session' in page
    assert f'href="{schedule_url}?supervisee={nothing_booked.pk}">Schedule a 1:1' in page


def test_the_record_link_never_names_another_supervisors_session(page_for, partner, supervisor, me):
    mentee = supervisee_of(me)
    theirs = SupervisionSessionFactory(partner=partner, supervisee=mentee, starts_at=timezone.now() - timedelta(days=1))

    page = page_for(supervisor).get(home(partner)).content.decode()

    assert str(theirs.pk) not in page
