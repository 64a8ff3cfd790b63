"""A member who leaves sees nothing more: every "their own" read starts from a current membership.

A mentor sees their sessions (with notes and other partners' attendees), actions,
series, groups, compliance row, the incidents they reported, matches, shadowing,
enrolments, certificates and reminders. Once a coordinator removes their
membership (franchise.services.remove_membership), or once they exit the
programme, every one of those reads answers nothing, their actions answer 404
and their calendar feed stops.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import services as franchise_services
from franchise.models import Membership, User
from reminders.models import Reminder
from supervision.models import (
    BoundaryIncident,
    GroupMembership,
    Match,
    Person,
    PersonTransition,
    SessionAction,
    SessionAttendance,
    ShadowingLog,
    SupervisionAssignment,
    SupervisionGroup,
    SupervisionSeries,
    SupervisionSession,
)
from supervision.people import services as people_services
from supervision.sessions import compliance
from tests.reminders.factories import ReminderFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    GroupMembershipFactory,
    MatchFactory,
    PersonFactory,
    PersonTransitionFactory,
    SessionActionFactory,
    ShadowingLogFactory,
    SupervisionAssignmentFactory,
    SupervisionGroupFactory,
    SupervisionSeriesFactory,
    SupervisionSessionFactory,
)
from tests.training.factories import CertificateFactory, CPDRecordFactory, EnrolmentFactory
from training.models import Certificate, Course, CPDRecord, Enrolment

pytestmark = pytest.mark.django_db

DEPARTURES = ["membership_removed", "exited"]

READS = {
    "person": lambda user: Person.objects.visible_to(user),
    "person_transitions": lambda user: PersonTransition.objects.visible_to(user),
    "shadowing_logs": lambda user: ShadowingLog.objects.visible_to(user),
    "matches": lambda user: Match.objects.visible_to(user),
    "groups": lambda user: SupervisionGroup.objects.visible_to(user),
    "group_memberships": lambda user: GroupMembership.objects.visible_to(user),
    "series": lambda user: SupervisionSeries.objects.visible_to(user),
    "sessions": lambda user: SupervisionSession.objects.visible_to(user),
    "session_notes": lambda user: SupervisionSession.objects.with_notes_visibility(user).filter(notes_visible=True),
    "attendances": lambda user: SessionAttendance.objects.visible_to(user),
    "actions": lambda user: SessionAction.objects.visible_to(user),
    "assignments": lambda user: SupervisionAssignment.objects.visible_to(user),
    "compliance": lambda user: compliance.compliance_visible_to(user, compliance.supervision_compliance()),
    "incidents_reported": lambda user: BoundaryIncident.objects.visible_to(user),
    "enrolments": lambda user: Enrolment.objects.visible_to(user),
    "courses": lambda user: Course.objects.visible_to(user),
    "certificates": lambda user: Certificate.objects.visible_to(user),
    "cpd_records": lambda user: CPDRecord.objects.visible_to(user),
    "reminders": lambda user: Reminder.objects.visible_to(user),
}

LISTS = [
    "/api/v1/people/",
    "/api/v1/shadowing-logs/",
    "/api/v1/matches/",
    "/api/v1/supervision-groups/",
    "/api/v1/supervision-sessions/",
    "/api/v1/supervision-series/",
    "/api/v1/supervision-actions/",
    "/api/v1/supervision-assignments/",
    "/api/v1/compliance/supervision/",
    "/api/v1/incidents/",
    "/api/v1/enrolments/",
    "/api/v1/courses/",
    "/api/v1/certificates/",
    "/api/v1/cpd-records/",
    "/api/v1/reminders/",
]


@pytest.fixture
def world(partner, other_partner, mentor_user, supervisor, coordinator):
    """Everything a mentor of `partner` sees through their own Person and login."""
    mentor = PersonFactory(partner=partner, user=mentor_user, active_mentor=True, name="Mo Mentor")
    supervisor_person = PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")
    held = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor, held=True)
    series = SupervisionSeriesFactory(partner=partner)
    SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentor,
        series=series,
        starts_at=timezone.now() + timedelta(days=5),
        ends_at=timezone.now() + timedelta(days=5, hours=1),
    )
    action = SessionActionFactory(partner=partner, session=held, owner=mentor)
    SupervisionGroupFactory(
        partner=partner, active=True, members=[mentor, *PersonFactory.create_batch(3, partner=partner)]
    )
    # An external peer group of another partner: its sessions name that partner's people.
    external = SupervisionGroupFactory(partner=other_partner, external=True, active=True, members=3)
    external.guest_partners.add(partner)
    GroupMembershipFactory(partner=other_partner, group=external, person=mentor)
    SupervisionSessionFactory(partner=other_partner, group_session=True, group=external, held=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    PersonTransitionFactory(partner=partner, person=mentor)
    ShadowingLogFactory(partner=partner, mentor=mentor)
    MatchFactory(partner=partner, mentor=mentor)
    BoundaryIncidentFactory(partner=partner, reporter=mentor_user)
    enrolment = EnrolmentFactory(partner=partner, learner=mentor, passed=True)
    CertificateFactory(partner=partner, enrolment=enrolment)
    CPDRecordFactory(partner=partner, person=mentor)
    ReminderFactory(partner=partner, recipient_user=mentor_user)
    return {"mentor": mentor, "held": held, "action": action}


def _depart(departure, coordinator, mentor):
    if departure == "membership_removed":
        for membership in Membership.objects.filter(user_id=mentor.user_id, partner_id=mentor.partner_id):
            franchise_services.remove_membership(by=coordinator, membership=membership)
    else:
        people_services.transition_person(by=coordinator, person=mentor, to="exited", reason="Moved away.")


def _fresh(user):
    # A new request loads the user afresh: nothing remembered on the old object.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("departure", DEPARTURES)
@pytest.mark.parametrize("read", list(READS))
def test_a_member_who_leaves_sees_nothing_more_through_their_person(read, departure, world, coordinator, mentor_user):
    assert READS[read](_fresh(mentor_user)).exists(), "the mentor saw this before leaving"

    _depart(departure, coordinator, world["mentor"])

    assert not READS[read](_fresh(mentor_user)).exists()


@pytest.mark.parametrize("departure", DEPARTURES)
@pytest.mark.parametrize("url", LISTS)
def test_a_member_who_leaves_lists_nothing_more(url, departure, world, coordinator, mentor_user, token_client_for):
    client = token_client_for(mentor_user)
    before = client.get(url)
    assert before.status_code == 200 and before.json()["count"] >= 1, before.content

    _depart(departure, coordinator, world["mentor"])

    after = client.get(url)
    assert after.status_code in (200, 403, 404), after.content
    if after.status_code == 200:
        assert after.json()["count"] == 0, after.json()


@pytest.mark.parametrize("departure", DEPARTURES)
def test_a_member_who_leaves_can_no_longer_act_on_their_records(
    departure, world, coordinator, mentor_user, token_client_for
):
    client = token_client_for(mentor_user)
    held, action = world["held"], world["action"]
    session_url = f"/api/v1/supervision-sessions/{held.pk}/"
    assert client.get(session_url).json()["notes"]

    _depart(departure, coordinator, world["mentor"])

    assert client.get(session_url).status_code == 404
    assert client.post(f"{session_url}confirm/", {"comment": "Fine."}, format="json").status_code == 404
    assert client.post(f"/api/v1/supervision-actions/{action.pk}/done/", {}, format="json").status_code == 404
    held.refresh_from_db()
    action.refresh_from_db()
    assert (held.confirmed_at, held.supervisee_comment, action.done_at) == (None, "", None)


@pytest.mark.parametrize("departure", DEPARTURES)
def test_the_services_refuse_a_member_who_has_left(departure, world, coordinator, mentor_user):
    from core.errors import NotPermitted
    from supervision.sessions import services as sessions_services

    _depart(departure, coordinator, world["mentor"])
    user = _fresh(mentor_user)

    session = SupervisionSession.objects.get(pk=world["held"].pk)
    with pytest.raises(NotPermitted):
        sessions_services.confirm_session(by=user, session=session, comment="Fine.")
    with pytest.raises(NotPermitted):
        sessions_services.complete_action(by=user, action=SessionAction.objects.get(pk=world["action"].pk))
    assert SessionAction.objects.get(pk=world["action"].pk).done_at is None
    assert SupervisionSession.objects.get(pk=world["held"].pk).confirmed_at is None


@pytest.mark.parametrize("departure", DEPARTURES)
def test_the_calendar_feed_of_a_member_who_leaves_stops(departure, world, coordinator, api):
    url = f"/calendar/{world['mentor'].calendar_secret}.ics"
    assert api.get(url).status_code == 200

    _depart(departure, coordinator, world["mentor"])

    assert api.get(url).status_code == 404


def test_a_person_without_a_login_keeps_their_feed_until_they_exit(partner, coordinator, api):
    person = PersonFactory(partner=partner, active_mentor=True)
    url = f"/calendar/{person.calendar_secret}.ics"
    assert api.get(url).status_code == 200

    people_services.transition_person(by=coordinator, person=person, to="exited", reason="Moved away.")

    assert api.get(url).status_code == 404


def test_a_member_who_keeps_another_role_in_the_partner_keeps_their_own_records(
    partner, coordinator, mentor_user, world
):
    from franchise.models import Role
    from tests.factories import MembershipFactory

    kept = MembershipFactory(user=mentor_user, partner=partner, role=Role.TRAINER)
    mentor_role = Membership.objects.get(user=mentor_user, partner=partner, role=Role.MENTOR)
    franchise_services.remove_membership(by=coordinator, membership=mentor_role)

    assert Membership.objects.filter(pk=kept.pk).exists()
    assert SupervisionSession.objects.visible_to(_fresh(mentor_user)).filter(pk=world["held"].pk).exists()
