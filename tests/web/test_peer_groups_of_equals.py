"""Pages of peer groups of equals and of the toolkit: a mentor answers an invitation from their home page and
leaves a group; coordinators invite, see the pair refused in words, keep the toolkit; the facilitator's session
page shows the process's steps with a timer."""

from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.models import GroupInvitation, GroupMembership, SupervisionSession, ToolkitProcess
from supervision.sessions import services
from tests.factories import MembershipFactory
from tests.supervision.factories import (
    GroupInvitationFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
    ToolkitProcessFactory,
)
from tests.supervision.sessions.helpers import days_from_now, mentors, person_of

pytestmark = pytest.mark.django_db


def _url(name, partner, *args):
    return reverse(name, args=[partner.slug, *args])


def _text(response):
    return response.content.decode()


@pytest.fixture
def me(partner, mentor_user):
    return person_of(mentor_user, partner, active_mentor=True)


@pytest.fixture
def invited(partner, coordinator, me):
    group = SupervisionGroupFactory(partner=partner, name="Wednesday lunchtime group", members=3)
    services.invite_member(by=coordinator, group=group, person=me)
    return group


# --- the mentor's home ------------------------------------------------------------------------------------


def test_the_mentor_sees_the_invitation_on_their_home_with_join_and_decline(page_for, partner, mentor_user, invited):
    page = _text(page_for(mentor_user).get(_url("partner-home", partner)))

    assert "Wednesday lunchtime group" in page
    assert "Cora Coordinator invited you" in page
    assert f'action="{_url("group-join", partner, invited.pk)}"' in page
    assert f'action="{_url("group-decline", partner, invited.pk)}"' in page


def test_the_mentor_joins_from_their_home_and_is_then_a_member(page_for, partner, mentor_user, me, invited):
    client = page_for(mentor_user)

    response = client.post(_url("group-join", partner, invited.pk))

    assert response.status_code == 302
    assert response["Location"] == _url("partner-home", partner)
    membership = GroupMembership.objects.get(group=invited, person=me)
    assert membership.opt_in == GroupMembership.OptIn.OWN
    page = _text(client.get(_url("partner-home", partner)))
    assert "You have joined" in page
    assert "You are a member of <strong>Wednesday lunchtime group</strong>" in page
    assert f'action="{_url("group-leave", partner, invited.pk)}"' in page


def test_the_mentor_declines_and_the_invitation_goes(page_for, partner, mentor_user, me, invited):
    client = page_for(mentor_user)

    response = client.post(_url("group-decline", partner, invited.pk))

    assert response.status_code == 302
    assert GroupInvitation.objects.get(person=me).status == GroupInvitation.Status.DECLINED
    assert not GroupMembership.objects.filter(person=me).exists()
    assert f'action="{_url("group-join", partner, invited.pk)}"' not in _text(client.get(_url("partner-home", partner)))


def test_joining_a_group_holding_ones_supervisor_is_refused_in_words(page_for, partner, mentor_user, me, invited):
    supervisor = invited.memberships.first().person
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor, supervisee=me)

    response = page_for(mentor_user).post(_url("group-join", partner, invited.pk))

    assert response.status_code == 400
    page = _text(response)
    assert "You could not join" in page
    assert escape(f"{supervisor.name} supervises {me.name} one-to-one") in page
    assert not GroupMembership.objects.filter(person=me).exists()


def test_a_mentor_leaves_a_group_from_their_home(page_for, partner, mentor_user, me):
    group = SupervisionGroupFactory(partner=partner, members=[me, *mentors(partner, 2)])

    response = page_for(mentor_user).post(_url("group-leave", partner, group.pk))

    assert response.status_code == 302
    assert not group.memberships.filter(person=me).exists()


def test_another_partners_members_cannot_answer_for_this_partners_groups(page_for, other_partner, invited, partner):
    outsider = MembershipFactory(partner=other_partner, role="mentor").user
    client = page_for(outsider)

    for name in ("group-join", "group-decline", "group-leave"):
        assert client.post(_url(name, partner, invited.pk)).status_code == 404
        assert client.post(_url(name, other_partner, invited.pk)).status_code == 404
    assert invited.memberships.count() == 3


def test_the_home_costs_the_same_queries_with_one_invitation_or_many(page_for, partner, mentor_user, me):
    client = page_for(mentor_user)

    def count():
        client.get(_url("partner-home", partner))
        with CaptureQueriesContext(connection) as queries:
            client.get(_url("partner-home", partner))
        return len(queries)

    GroupInvitationFactory(partner=partner, person=me)
    SupervisionGroupFactory(partner=partner, members=[me])
    few = count()
    for _ in range(5):
        GroupInvitationFactory(partner=partner, person=me)
        SupervisionGroupFactory(partner=partner, members=[me])
    assert count() == few


# --- the coordinator's group page -------------------------------------------------------------------------


def test_the_coordinator_invites_from_the_group_page(page_for, partner, coordinator, me):
    group = SupervisionGroupFactory(partner=partner)
    client = page_for(coordinator)

    response = client.post(_url("group-invite", partner, group.pk), {"invite-person": str(me.pk)})

    assert response.status_code == 302
    assert GroupInvitation.objects.get(group=group).person == me
    page = _text(client.get(_url("group-detail", partner, group.pk)))
    assert "Invited, waiting for their answer" in page
    assert me.name in page


def test_inviting_the_supervisee_of_a_member_names_the_pair(page_for, partner, coordinator, me):
    supervisor = PersonFactory(partner=partner, name="Sam Supervisor", staff=True, trained=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor, supervisee=me)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor])

    response = page_for(coordinator).post(_url("group-invite", partner, group.pk), {"invite-person": str(me.pk)})

    assert response.status_code == 400
    assert escape(f"Sam Supervisor supervises {me.name} one-to-one") in _text(response)
    assert not GroupInvitation.objects.exists()


def test_the_group_page_says_how_each_member_opted_in(page_for, partner, coordinator, mentor_user, me, invited):
    services.join_group(by=mentor_user, group=invited)

    page = _text(page_for(coordinator).get(_url("group-detail", partner, invited.pk)))

    assert "Accepted an invitation" in page
    assert "Signed opt-in" in page


def test_activation_refused_for_unequal_standing_lists_the_pair(page_for, partner, coordinator):
    supervisor = PersonFactory(partner=partner, name="Sam Supervisor", staff=True, trained=True)
    supervisee = PersonFactory(partner=partner, name="Mia Mentor", active_mentor=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor, supervisee=supervisee)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor, supervisee, *mentors(partner, 2)])

    response = page_for(coordinator).post(_url("group-activate", partner, group.pk))

    assert response.status_code == 400
    assert "Sam Supervisor supervises Mia Mentor one-to-one" in _text(response)
    group.refresh_from_db()
    assert group.status == "forming"


# --- the toolkit ------------------------------------------------------------------------------------------


def test_every_member_reads_the_toolkit(page_for, partner, mentor_user, supervisor, coordinator):
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")

    for who in (mentor_user, supervisor, coordinator):
        client = page_for(who)
        assert "Peer case review" in _text(client.get(_url("toolkit", partner)))
        page = _text(client.get(_url("toolkit-process", partner, process.pk)))
        # The coordinators read the steps in the form that changes them.
        assert ("Silent reflection</strong> — 3 min" in page) != (who == coordinator)
        assert ('value="Silent reflection"' in page) == (who == coordinator)


def test_only_coordinators_add_or_change_processes(page_for, partner, mentor_user):
    process = ToolkitProcessFactory(partner=partner)
    client = page_for(mentor_user)

    assert client.get(_url("toolkit-new", partner)).status_code == 403
    assert client.post(_url("toolkit-process", partner, process.pk), {"name": "Mine"}).status_code == 403
    assert client.post(_url("toolkit-delete", partner, process.pk)).status_code == 403
    assert ToolkitProcess.objects.get().name == process.name


def test_a_coordinator_adds_a_process_with_its_timed_steps(page_for, partner, coordinator):
    response = page_for(coordinator).post(
        _url("toolkit-new", partner),
        {
            "name": "Peer case review",
            "purpose": "One member brings a situation.",
            "step_1_title": "Presenter describes",
            "step_1_minutes": "5",
            "step_2_title": "Silent reflection",
            "step_2_minutes": "3",
            "step_3_title": "Group offers questions, not advice",
            "step_3_minutes": "10",
        },
    )

    process = ToolkitProcess.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("toolkit-process", partner, process.pk)
    assert [step["minutes"] for step in process.steps] == [5, 3, 10]


def test_a_step_without_its_minutes_is_refused_next_to_the_field(page_for, partner, coordinator):
    response = page_for(coordinator).post(
        _url("toolkit-new", partner), {"name": "Check-in", "step_1_title": "Round of names"}
    )

    assert response.status_code == 400
    assert "Say how many minutes this step takes." in _text(response)
    assert not ToolkitProcess.objects.exists()


def test_a_process_sessions_used_stays_and_the_page_says_why(page_for, partner, coordinator):
    process = ToolkitProcessFactory(partner=partner)
    SupervisionSessionFactory(partner=partner, group_session=True, process=process)

    response = page_for(coordinator).post(_url("toolkit-delete", partner, process.pk))

    assert response.status_code == 400
    assert "whose records keep it" in _text(response)
    assert ToolkitProcess.objects.filter(pk=process.pk).exists()


def test_another_partners_process_is_a_404(page_for, partner, other_coordinator, other_partner):
    process = ToolkitProcessFactory(partner=partner)
    client = page_for(other_coordinator)

    assert client.get(_url("toolkit-process", partner, process.pk)).status_code == 404
    assert client.get(_url("toolkit-process", other_partner, process.pk)).status_code == 404


# --- the facilitator's session page -----------------------------------------------------------------------


def _login_for(person, role="mentor"):
    membership = MembershipFactory(partner=person.partner, role=role)
    person.user = membership.user
    person.save(update_fields=["user"])
    return membership.user


@pytest.fixture
def group_session(partner):
    session = SupervisionSessionFactory(partner=partner, group_session=True, starts_at=days_from_now(2, 18))
    services.rotate_facilitators(session.group)
    session.refresh_from_db()
    return session


def test_the_facilitator_chooses_the_process_and_sees_its_steps_with_a_timer(page_for, partner, group_session):
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")
    client = page_for(_login_for(group_session.facilitator))

    chosen = client.post(_url("session-process", partner, group_session.pk), {"process": str(process.pk)})
    page = _text(client.get(_url("session-detail", partner, group_session.pk)))

    assert chosen.status_code == 302
    group_session.refresh_from_db()
    assert group_session.process == process
    assert "data-process-timer" in page
    assert "Group offers questions, not advice</strong> — 10 min" in page


def test_other_members_read_the_steps_without_the_timer_or_the_choice(page_for, partner, group_session):
    process = ToolkitProcessFactory(partner=partner)
    SupervisionSession.objects.filter(pk=group_session.pk).update(process=process, toolkit_process=process.name)
    other = group_session.group.memberships.exclude(person=group_session.facilitator).first().person
    client = page_for(_login_for(other))

    page = _text(client.get(_url("session-detail", partner, group_session.pk)))
    refused = client.post(_url("session-process", partner, group_session.pk), {"process": ""})

    assert "Silent reflection</strong> — 3 min" in page
    assert "data-process-timer" not in page
    assert "Choose the process" not in page
    assert refused.status_code == 403
    group_session.refresh_from_db()
    assert group_session.process == process


def test_the_record_form_keeps_the_process_that_ran(page_for, partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True, starts_at=days_from_now(-1, 18))
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")

    attendance = {f"attendance_{row.person_id}": "present" for row in session.attendances.all()}

    response = page_for(coordinator).post(
        _url("session-record", partner, session.pk),
        {"status": "held", "process": str(process.pk), "notes": "", **attendance},
    )

    assert response.status_code == 302, _text(response)
    session.refresh_from_db()
    assert session.process == process
    assert session.toolkit_process == "Peer case review"


def test_without_a_toolkit_the_process_is_named_in_words(page_for, partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True, starts_at=days_from_now(-1, 18))
    client = page_for(coordinator)

    bare = _text(client.get(_url("session-record", partner, session.pk)))
    ToolkitProcessFactory(partner=partner, name="Peer case review")
    with_toolkit = _text(client.get(_url("session-record", partner, session.pk)))

    assert 'name="process"' not in bare
    assert "Toolkit process used" in bare
    assert '<select name="process"' in with_toolkit
    assert "Another process, by name" in with_toolkit
