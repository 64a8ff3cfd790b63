"""Incidents feed supervision: the agenda of a mentor's 1:1s and group sessions, and the reflective note."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from franchise.models import Role
from supervision.incidents import services as incidents
from supervision.incidents.querysets import incidents_for_agenda
from supervision.models import IncidentDiscussion
from tests.factories import user_with_role
from tests.supervision.factories import BoundaryIncidentFactory, SupervisionAssignmentFactory, SupervisionSessionFactory


def test_an_open_incident_is_on_the_agenda_of_the_mentors_next_one_to_one(partner, mentor, one_to_one):
    incident = BoundaryIncidentFactory(partner=partner, mentor=mentor, under_review=True)
    assert list(incidents_for_agenda(one_to_one)) == [incident]


@pytest.mark.parametrize(
    "fields",
    [{"closed": True}, {"safeguarding": True}],
    ids=["closed", "safeguarding"],
)
def test_closed_incidents_and_safeguarding_matters_are_not_on_the_agenda(fields, partner, mentor, one_to_one):
    BoundaryIncidentFactory(partner=partner, mentor=mentor, **fields)
    assert list(incidents_for_agenda(one_to_one)) == []


def test_an_incident_about_another_mentor_is_not_on_the_agenda(partner, one_to_one):
    BoundaryIncidentFactory(partner=partner)
    assert list(incidents_for_agenda(one_to_one)) == []


def test_a_cancelled_session_carries_no_incident(partner, mentor, supervisor_person):
    BoundaryIncidentFactory(partner=partner, mentor=mentor)
    cancelled = SupervisionSessionFactory(
        partner=partner, supervisor=supervisor_person, supervisee=mentor, cancelled=True
    )
    assert list(incidents_for_agenda(cancelled)) == []


# --- peer-group sessions ----------------------------------------------------------------


@pytest.fixture
def group_session(partner):
    return SupervisionSessionFactory(partner=partner, group_session=True)


def _a_member(session):
    return session.attendances.select_related("person__user").first().person


def test_a_members_open_incident_is_on_the_agenda_of_their_group_session(partner, group_session):
    member = _a_member(group_session)
    incident = BoundaryIncidentFactory(partner=partner, mentor=member, under_review=True)
    BoundaryIncidentFactory(partner=partner)  # about someone who is not in the group
    assert list(incidents_for_agenda(group_session)) == [incident]


def test_only_coordinators_read_a_group_sessions_agenda_never_the_members(partner, group_session, coordinator):
    member = _a_member(group_session)
    BoundaryIncidentFactory(partner=partner, mentor=member)
    assert incidents.agenda_for(by=coordinator, session=group_session).count() == 1
    other_members = [a.person for a in group_session.attendances.select_related("person__user") if a.person != member]
    outsiders = [user_with_role(Role.SUPERVISOR, partner), user_with_role(Role.MENTOR, partner)]
    outsiders += [person.user for person in other_members if person.user is not None]
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            incidents.agenda_for(by=outsider, session=group_session)


def test_in_a_group_across_partners_each_coordinator_reads_only_their_own_members_incidents(
    partner, other_partner, group_session, coordinator, other_coordinator
):
    from tests.supervision.factories import PersonFactory, SessionAttendanceFactory

    guest = PersonFactory(partner=other_partner, active_mentor=True)
    SessionAttendanceFactory(partner=partner, session=group_session, person=guest)
    ours = BoundaryIncidentFactory(partner=partner, mentor=_a_member(group_session))
    theirs = BoundaryIncidentFactory(partner=other_partner, mentor=guest)

    assert list(incidents.agenda_for(by=coordinator, session=group_session)) == [ours]
    assert list(incidents.agenda_for(by=other_coordinator, session=group_session)) == [theirs]
    with pytest.raises(Invalid):
        incidents.record_discussion(by=coordinator, session=group_session, incident=theirs, note="Not ours.")


def test_a_coordinator_records_the_reflective_note_of_a_held_group_session(partner, coordinator):
    from supervision.incidents.rules import may_read_reflection

    held = SupervisionSessionFactory(partner=partner, group_session=True, held=True)
    member = _a_member(held)
    incident = BoundaryIncidentFactory(partner=partner, mentor=member, under_review=True)

    discussion = incidents.record_discussion(by=coordinator, session=held, incident=incident, note="Reflected.")

    assert discussion.session == held
    assert may_read_reflection(discussion, coordinator)
    assert member.user is None or not may_read_reflection(discussion, member.user)


def test_the_agenda_is_for_the_sessions_supervisor_and_the_coordinators(
    partner, mentor, one_to_one, supervisor, coordinator
):
    BoundaryIncidentFactory(partner=partner, mentor=mentor)
    assert incidents.agenda_for(by=supervisor, session=one_to_one).count() == 1
    assert incidents.agenda_for(by=coordinator, session=one_to_one).count() == 1
    for outsider in (user_with_role(Role.SUPERVISOR, partner), user_with_role(Role.TRAINER, partner), mentor.user):
        with pytest.raises(NotPermitted):
            incidents.agenda_for(by=outsider, session=one_to_one)


def test_a_one_to_one_without_a_current_assignment_opens_no_agenda_to_its_supervisor(
    partner, mentor, supervisor_person, supervisor, coordinator
):
    # Booked by the supervisor themselves (bypassing the scheduling rule), or left over from an ended assignment.
    session = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor, ended=True)
    BoundaryIncidentFactory(partner=partner, mentor=mentor)

    with pytest.raises(NotPermitted):
        incidents.agenda_for(by=supervisor, session=session)
    assert incidents.agenda_for(by=coordinator, session=session).count() == 1


def test_without_an_assignment_the_supervisor_records_no_reflective_note(
    partner, mentor, supervisor_person, supervisor
):
    starts_at = timezone.now() - timedelta(hours=1)
    session = SupervisionSessionFactory(
        partner=partner, supervisor=supervisor_person, supervisee=mentor, starts_at=starts_at, status="held"
    )
    incident = BoundaryIncidentFactory(partner=partner, mentor=mentor, under_review=True)

    with pytest.raises(NotPermitted):
        incidents.record_discussion(by=supervisor, session=session, incident=incident.pk, note="Talked it through.")
    assert not IncidentDiscussion.objects.exists()


# --- the reflective note --------------------------------------------------------------


@pytest.fixture
def open_incident(partner, mentor):
    return BoundaryIncidentFactory(partner=partner, mentor=mentor, under_review=True)


def test_the_supervisor_records_the_reflective_note_of_a_session_held(open_incident, held_one_to_one, supervisor):
    discussion = incidents.record_discussion(
        by=supervisor, session=held_one_to_one, incident=open_incident.pk, note="Talked it through."
    )
    assert (discussion.incident, discussion.session, discussion.recorded_by) == (
        open_incident,
        held_one_to_one,
        supervisor,
    )
    assert open_incident.access_log.filter(action="update", user=supervisor).exists()


def test_a_supervisor_records_the_note_even_where_the_policy_keeps_incidents_from_them(
    open_incident, held_one_to_one, supervisor
):
    from supervision.models import BoundaryIncident

    assert not BoundaryIncident.objects.visible_to(supervisor).exists()
    assert incidents.record_discussion(by=supervisor, session=held_one_to_one, incident=open_incident, note="Done.")


def test_only_an_incident_on_the_sessions_agenda_can_be_noted(partner, held_one_to_one, coordinator):
    elsewhere = BoundaryIncidentFactory(partner=partner)
    with pytest.raises(Invalid) as refused:
        incidents.record_discussion(by=coordinator, session=held_one_to_one, incident=elsewhere, note="Hm.")
    assert refused.value.code == "not_on_agenda"
    assert not IncidentDiscussion.objects.exists()


def test_someone_else_does_not_record_the_note(open_incident, held_one_to_one, partner):
    with pytest.raises(NotPermitted):
        incidents.record_discussion(
            by=user_with_role(Role.SUPERVISOR, partner), session=held_one_to_one, incident=open_incident, note="Hm."
        )


def test_a_note_waits_for_the_session_to_start(open_incident, one_to_one, supervisor):
    with pytest.raises(Invalid) as refused:
        incidents.record_discussion(by=supervisor, session=one_to_one, incident=open_incident, note="Early.")
    assert refused.value.code == "session_not_held"


def test_a_note_is_recorded_once_per_session(open_incident, held_one_to_one, supervisor):
    incidents.record_discussion(by=supervisor, session=held_one_to_one, incident=open_incident, note="First.")
    with pytest.raises(Invalid) as refused:
        incidents.record_discussion(by=supervisor, session=held_one_to_one, incident=open_incident, note="Again.")
    assert refused.value.code == "already_recorded"
    assert IncidentDiscussion.objects.count() == 1


def test_a_note_needs_words(open_incident, held_one_to_one, supervisor):
    with pytest.raises(Invalid) as refused:
        incidents.record_discussion(by=supervisor, session=held_one_to_one, incident=open_incident, note=" ")
    assert refused.value.field == "note"


def test_the_reflective_note_lets_the_incident_close(open_incident, held_one_to_one, supervisor, coordinator):
    incidents.transition_incident(by=coordinator, incident=open_incident, to="action_agreed", note="Plan.")
    incidents.record_discussion(by=supervisor, session=held_one_to_one, incident=open_incident, note="Reflected.")
    closed = incidents.transition_incident(
        by=coordinator, incident=open_incident, to="closed", note="Resolved.", now=timezone.now() + timedelta(seconds=1)
    )
    assert closed.status == "closed"


def test_a_reflective_note_is_read_by_coordinators_and_the_sessions_parties_only(
    partner, mentor, held_one_to_one, supervisor, coordinator, licensor
):
    from supervision.incidents.rules import may_read_reflection
    from tests.supervision.factories import IncidentDiscussionFactory

    discussion = IncidentDiscussionFactory(
        partner=partner,
        incident=BoundaryIncidentFactory(partner=partner, mentor=mentor, escalated=True),
        session=held_one_to_one,
    )
    another_reporter = user_with_role(Role.MENTOR, partner)
    assert [
        may_read_reflection(discussion, user)
        for user in (coordinator, supervisor, mentor.user, another_reporter, licensor)
    ] == [True, True, True, False, False]
