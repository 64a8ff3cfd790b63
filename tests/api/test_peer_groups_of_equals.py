"""HTTP of peer groups of equals and of the toolkit: invitations, joining and leaving by the member themselves,
`not_equal_standing` in the 400's `unmet`, the toolkit's processes and the process a session names. The rules
themselves are tested in tests/supervision/sessions/test_equal_standing.py and test_toolkit.py."""

import pytest

from supervision.models import GroupInvitation, GroupMembership, SupervisionSession, ToolkitProcess
from tests.supervision.factories import (
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
    ToolkitProcessFactory,
)
from tests.supervision.sessions.helpers import days_from_now, mentors, person_of

pytestmark = pytest.mark.django_db

GROUPS = "/api/v1/supervision-groups/"
SESSIONS = "/api/v1/supervision-sessions/"
TOOLKIT = "/api/v1/toolkit-processes/"
STEPS = [
    {"title": "Presenter describes", "minutes": 5},
    {"title": "Silent reflection", "minutes": 3},
    {"title": "Group offers questions, not advice", "minutes": 10},
]


@pytest.fixture
def invitee(partner, mentor_user):
    return person_of(mentor_user, partner, active_mentor=True)


@pytest.fixture
def group(partner):
    return SupervisionGroupFactory(partner=partner, members=3)


# --- invitations, joining, leaving -------------------------------------------------------------------------


def test_the_coordinator_invites_and_the_mentor_joins_themselves(client_for, coordinator, mentor_user, group, invitee):
    invited = client_for(coordinator).post(f"{GROUPS}{group.pk}/invite/", {"person": str(invitee.pk)})

    assert invited.status_code == 201, invited.content
    [invitation] = invited.json()["invitations"]
    assert set(invitation) == {"person", "name", "invited_at"}
    assert invitation["person"] == str(invitee.pk)

    mentor = client_for(mentor_user)
    seen = mentor.get(f"{GROUPS}{group.pk}/")
    assert seen.status_code == 200
    joined = mentor.post(f"{GROUPS}{group.pk}/join/")

    assert joined.status_code == 200, joined.content
    member = next(m for m in joined.json()["members"] if m["person"] == str(invitee.pk))
    assert member["opt_in"] == "own"
    assert member["consented"] is True
    assert joined.json()["invitations"] == []


def test_an_invited_mentor_sees_their_own_invitation_only(
    client_for, coordinator, mentor_user, group, invitee, partner
):
    other = PersonFactory(partner=partner, active_mentor=True)
    for person in (invitee, other):
        client_for(coordinator).post(f"{GROUPS}{group.pk}/invite/", {"person": str(person.pk)})

    seen = client_for(mentor_user).get(f"{GROUPS}{group.pk}/").json()

    assert [row["person"] for row in seen["invitations"]] == [str(invitee.pk)]


def test_a_mentor_declines_and_no_longer_sees_the_group(client_for, coordinator, mentor_user, group, invitee):
    client_for(coordinator).post(f"{GROUPS}{group.pk}/invite/", {"person": str(invitee.pk)})
    mentor = client_for(mentor_user)

    declined = mentor.post(f"{GROUPS}{group.pk}/decline/")

    assert declined.status_code == 204
    assert GroupInvitation.objects.get(person=invitee).status == GroupInvitation.Status.DECLINED
    assert mentor.get(f"{GROUPS}{group.pk}/").status_code == 404


def test_joining_is_for_the_invited_person_themselves(client_for, coordinator, supervisor, group, invitee):
    client_for(coordinator).post(f"{GROUPS}{group.pk}/invite/", {"person": str(invitee.pk)})

    for who in (coordinator, supervisor):
        response = client_for(who).post(f"{GROUPS}{group.pk}/join/")
        assert response.status_code == 400
        assert "no invitation" in response.json()["non_field_errors"][0]

    assert not GroupMembership.objects.filter(person=invitee).exists()


def test_only_coordinators_invite(client_for, supervisor, group, invitee):
    # A supervisor sees the partner's people and groups, but asking someone to join is the coordinator's.
    response = client_for(supervisor).post(f"{GROUPS}{group.pk}/invite/", {"person": str(invitee.pk)})

    assert response.status_code == 403
    assert not GroupInvitation.objects.exists()


def test_a_member_leaves_themselves(client_for, mentor_user, partner, invitee):
    group = SupervisionGroupFactory(partner=partner, members=[invitee, *mentors(partner, 2)])

    response = client_for(mentor_user).post(f"{GROUPS}{group.pk}/leave/")

    assert response.status_code == 204
    assert not group.memberships.filter(person=invitee).exists()


def test_leave_is_only_for_members_themselves(client_for, coordinator, group):
    response = client_for(coordinator).post(f"{GROUPS}{group.pk}/leave/")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["You are not a member of this group."]}
    assert group.memberships.count() == 3


@pytest.mark.parametrize("action", ["join", "decline", "leave", "invite", "activate"])
def test_another_partners_group_is_not_found(client_for, other_coordinator, group, action, invitee):
    response = client_for(other_coordinator).post(f"{GROUPS}{group.pk}/{action}/", {"person": str(invitee.pk)})

    assert response.status_code == 404
    assert group.memberships.count() == 3
    assert not GroupInvitation.objects.exists()


def test_adding_the_supervisee_of_a_member_names_the_pair(client_for, coordinator, partner):
    supervisor = PersonFactory(partner=partner, name="Sam Supervisor", staff=True, trained=True)
    supervisee = PersonFactory(partner=partner, name="Mia Mentor", active_mentor=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor, supervisee=supervisee)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor])

    response = client_for(coordinator).post(f"{GROUPS}{group.pk}/members/", {"person": str(supervisee.pk)})

    assert response.status_code == 400
    [unmet] = response.json()["unmet"]
    assert unmet["code"] == "not_equal_standing"
    assert "Sam Supervisor supervises Mia Mentor one-to-one" in unmet["message"]
    assert group.memberships.count() == 1


def test_activating_a_group_of_unequal_standing_answers_unmet(client_for, coordinator, partner):
    supervisor = PersonFactory(partner=partner, staff=True, trained=True)
    supervisee = PersonFactory(partner=partner, active_mentor=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor, supervisee=supervisee)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor, supervisee, *mentors(partner, 2)])

    response = client_for(coordinator).post(f"{GROUPS}{group.pk}/activate/")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["not_equal_standing"]
    group.refresh_from_db()
    assert group.status == "forming"


def test_a_signed_opt_in_keeps_the_date_it_was_signed(client_for, coordinator, group, invitee):
    response = client_for(coordinator).post(
        f"{GROUPS}{group.pk}/members/", {"person": str(invitee.pk), "opted_in_at": "2026-11-03T00:00:00+00:00"}
    )

    assert response.status_code == 201, response.content
    member = next(m for m in response.json()["members"] if m["person"] == str(invitee.pk))
    assert member["opt_in"] == "signed"
    assert member["opted_in_at"].startswith("2026-11-03")


# --- the toolkit -------------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_process_to_the_toolkit(client_for, coordinator, partner):
    response = client_for(coordinator).post(
        TOOLKIT,
        {"partner": str(partner.pk), "name": "Peer case review", "purpose": "Think it through.", "steps": STEPS},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "partner", "name", "purpose", "steps"}
    assert body["steps"] == STEPS


def test_every_member_of_the_partner_reads_the_toolkit_and_only_coordinators_write(
    client_for, mentor_user, supervisor, partner
):
    process = ToolkitProcessFactory(partner=partner)

    for who in (mentor_user, supervisor):
        client = client_for(who)
        assert [row["id"] for row in client.get(TOOLKIT).json()["results"]] == [str(process.pk)]
        created = client.post(TOOLKIT, {"partner": str(partner.pk), "name": "Mine", "steps": STEPS}, format="json")
        assert created.status_code == 403
        assert client.patch(f"{TOOLKIT}{process.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert ToolkitProcess.objects.get().name == process.name


def test_another_partners_process_is_not_found(client_for, other_coordinator, partner):
    process = ToolkitProcessFactory(partner=partner)
    client = client_for(other_coordinator)

    assert client.get(f"{TOOLKIT}{process.pk}/").status_code == 404
    assert client.delete(f"{TOOLKIT}{process.pk}/").status_code == 404
    assert client.get(TOOLKIT).json()["results"] == []


@pytest.mark.parametrize(
    "steps",
    [[], [{"title": "Silent reflection", "minutes": 0}], [{"title": "", "minutes": 3}], [{"minutes": 3}], "steps"],
)
def test_steps_without_a_title_or_a_sensible_time_are_a_400_on_steps(client_for, coordinator, partner, steps):
    response = client_for(coordinator).post(
        TOOLKIT, {"partner": str(partner.pk), "name": "Check-in", "steps": steps}, format="json"
    )

    assert response.status_code == 400
    assert "steps" in response.json()
    assert not ToolkitProcess.objects.exists()


def test_a_taken_name_is_a_400_on_name(client_for, coordinator, partner):
    ToolkitProcessFactory(partner=partner, name="Check-in")

    response = client_for(coordinator).post(
        TOOLKIT, {"partner": str(partner.pk), "name": "check-in", "steps": STEPS}, format="json"
    )

    assert response.status_code == 400
    assert "already has a process" in response.json()["name"][0]


def test_a_process_sessions_used_is_not_deleted(client_for, coordinator, partner):
    process = ToolkitProcessFactory(partner=partner)
    SupervisionSessionFactory(partner=partner, group_session=True, process=process)

    response = client_for(coordinator).delete(f"{TOOLKIT}{process.pk}/")

    assert response.status_code == 400
    assert ToolkitProcess.objects.filter(pk=process.pk).exists()


def test_the_steps_are_changed_with_patch(client_for, coordinator, partner):
    process = ToolkitProcessFactory(partner=partner)

    response = client_for(coordinator).patch(
        f"{TOOLKIT}{process.pk}/", {"steps": [{"title": "Check-in round", "minutes": 10}]}, format="json"
    )

    assert response.status_code == 200, response.content
    process.refresh_from_db()
    assert process.steps == [{"title": "Check-in round", "minutes": 10}]


# --- the process a session names ---------------------------------------------------------------------------


def test_a_coordinator_names_the_process_of_a_session_and_the_record_keeps_it(client_for, coordinator, partner):
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")
    session = SupervisionSessionFactory(partner=partner, group_session=True, starts_at=days_from_now(-1, 18))
    SupervisionSession.objects.filter(pk=session.pk).update(status="scheduled")
    client = client_for(coordinator)

    chosen = client.post(f"{SESSIONS}{session.pk}/process/", {"process": str(process.pk)}, format="json")
    recorded = client.post(f"{SESSIONS}{session.pk}/record/", {"status": "held"}, format="json")

    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["process"] == str(process.pk)
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["process"] == str(process.pk)
    assert recorded.json()["toolkit_process"] == "Peer case review"


def test_a_session_cannot_name_another_partners_process(client_for, coordinator, partner, other_partner):
    session = SupervisionSessionFactory(partner=partner, group_session=True)
    foreign = ToolkitProcessFactory(partner=other_partner)

    response = client_for(coordinator).post(f"{SESSIONS}{session.pk}/process/", {"process": str(foreign.pk)})

    assert response.status_code == 400
    assert "process" in response.json()
    session.refresh_from_db()
    assert session.process is None


def test_a_group_session_is_booked_with_its_process(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner, active=True, members=4)
    process = ToolkitProcessFactory(partner=partner)

    response = client_for(coordinator).post(
        SESSIONS,
        {
            "partner": str(partner.pk),
            "kind": "group",
            "group": str(group.pk),
            "starts_at": days_from_now(4, 18).isoformat(),
            "ends_at": days_from_now(4, 19).isoformat(),
            "process": str(process.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["process"] == str(process.pk)
    assert response.json()["toolkit_process"] == process.name
