"""Peer groups of equals, without HTTP: no one in a group with someone they supervise one-to-one, no coordinator of
the owning partner as a member; voluntary membership by invitation, signed opt-in and leaving."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Invalid, NotPermitted, RuleNotMet
from franchise.models import Role
from supervision.models import GroupInvitation, GroupMembership, SupervisionGroup, SupervisionSession
from supervision.sessions import services
from tests.factories import MembershipFactory
from tests.supervision.factories import (
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import mentors, person_of, set_policy

pytestmark = pytest.mark.django_db


def _unmet(excinfo):
    return [(item.code, item.message) for item in excinfo.value.unmet]


@pytest.fixture
def supervisor_person(partner):
    # A trained member of staff: as much a peer as anyone, until they supervise someone in the group.
    return PersonFactory(partner=partner, name="Sam Supervisor", staff=True, trained=True)


@pytest.fixture
def supervisee(partner):
    return PersonFactory(partner=partner, name="Mia Mentor", active_mentor=True)


def _one_to_one(partner, supervisor, supervisee, *, days, status=SupervisionSession.Status.HELD):
    moment = timezone.now() + timedelta(days=days)
    return SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=moment,
        ends_at=moment + timedelta(hours=1),
        status=status,
    )


def _forming_group_of(partner, *people):
    return SupervisionGroupFactory(partner=partner, members=[*people, *mentors(partner, 4 - len(people))])


# --- activation ------------------------------------------------------------------------------------------


def test_a_group_holding_a_supervisor_and_their_assigned_supervisee_cannot_be_activated(
    partner, coordinator, supervisor_person, supervisee
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee)
    group = _forming_group_of(partner, supervisor_person, supervisee)

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    [(code, message)] = _unmet(excinfo)
    assert code == "not_equal_standing"
    assert "Sam Supervisor supervises Mia Mentor one-to-one" in message
    group.refresh_from_db()
    assert group.status == SupervisionGroup.Status.FORMING


def test_a_1_to_1_held_within_the_policy_interval_is_a_supervision_relationship(
    partner, coordinator, supervisor_person, supervisee
):
    # The assignment has ended, but they met for a 1:1 ten days ago: they are not yet peers.
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee, ended=True)
    _one_to_one(partner, supervisor_person, supervisee, days=-10)
    group = _forming_group_of(partner, supervisor_person, supervisee)

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert [code for code, _ in _unmet(excinfo)] == ["not_equal_standing"]


def test_a_scheduled_1_to_1_is_a_supervision_relationship_whichever_way_round(partner, coordinator, supervisee):
    other = PersonFactory(partner=partner, name="Pat Peer", active_mentor=True)
    _one_to_one(partner, supervisee, other, days=5, status=SupervisionSession.Status.SCHEDULED)
    group = _forming_group_of(partner, other, supervisee)

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert "Mia Mentor supervises Pat Peer one-to-one (a 1:1 booked for" in _unmet(excinfo)[0][1]


def test_an_old_1_to_1_beyond_the_interval_of_the_policy_in_force_leaves_them_equals(
    partner, coordinator, supervisor_person, supervisee
):
    # 35 days ago is within the baseline's 42 days, but this partner has tightened its interval to 28.
    set_policy(partner, supervision_interval_days=28)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee, ended=True)
    _one_to_one(partner, supervisor_person, supervisee, days=-35)
    _one_to_one(partner, supervisor_person, supervisee, days=3, status=SupervisionSession.Status.CANCELLED)
    group = _forming_group_of(partner, supervisor_person, supervisee)

    services.activate_group(by=coordinator, group=group)

    group.refresh_from_db()
    assert group.status == SupervisionGroup.Status.ACTIVE


def test_activation_names_every_unequal_pair_beside_the_size_rule(partner, coordinator, supervisor_person, supervisee):
    second = PersonFactory(partner=partner, name="Noor Newcomer", active_mentor=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=second)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor_person, supervisee, second])

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    unmet = _unmet(excinfo)
    assert [code for code, _ in unmet] == ["group_too_small", "not_equal_standing", "not_equal_standing"]
    assert "Sam Supervisor supervises Mia Mentor" in unmet[1][1]
    assert "Sam Supervisor supervises Noor Newcomer" in unmet[2][1]


def test_a_coordinator_of_the_owning_partner_as_a_member_stops_activation(partner, coordinator):
    cora = person_of(coordinator, partner, trained=True)
    group = _forming_group_of(partner, cora)

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    [(code, message)] = _unmet(excinfo)
    assert code == "not_equal_standing"
    assert message.startswith("Cora Coordinator is a coordinator of Northside Women's Centre")


# --- member changes ---------------------------------------------------------------------------------------


def test_adding_the_supervisee_of_a_member_is_refused_even_while_the_group_forms(
    partner, coordinator, supervisor_person, supervisee
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor_person])

    with pytest.raises(RuleNotMet) as excinfo:
        services.add_member(by=coordinator, group=group, person=supervisee)

    assert [code for code, _ in _unmet(excinfo)] == ["not_equal_standing"]
    assert "Sam Supervisor supervises Mia Mentor" in _unmet(excinfo)[0][1]
    assert not GroupMembership.objects.filter(group=group, person=supervisee).exists()


def test_adding_a_supervisor_to_an_active_group_of_their_supervisees_is_refused(
    partner, coordinator, supervisor_person, supervisee
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee)
    group = SupervisionGroupFactory(partner=partner, active=True, members=[supervisee, *mentors(partner, 3)])

    with pytest.raises(RuleNotMet) as excinfo:
        services.add_member(by=coordinator, group=group, person=supervisor_person)

    assert [code for code, _ in _unmet(excinfo)] == ["not_equal_standing"]
    assert group.memberships.count() == 4


def test_a_member_change_is_judged_by_the_pairs_it_makes_not_by_ones_already_there(
    partner, coordinator, supervisor_person, supervisee
):
    group = SupervisionGroupFactory(partner=partner, members=[supervisor_person, supervisee])
    # Assigned after both had joined: activation will say so, but a third person may still join.
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee)

    services.add_member(by=coordinator, group=group, person=mentors(partner, 1)[0])

    assert group.memberships.count() == 3


def test_a_coordinator_of_the_owning_partner_cannot_be_added(partner, coordinator):
    other_coordinator = MembershipFactory(partner=partner, role=Role.COORDINATOR, user__name="Kit Coordinator").user
    kit = person_of(other_coordinator, partner, trained=True)
    group = SupervisionGroupFactory(partner=partner)

    with pytest.raises(RuleNotMet) as excinfo:
        services.add_member(by=coordinator, group=group, person=kit)

    assert [code for code, _ in _unmet(excinfo)] == ["not_equal_standing"]
    assert not group.memberships.exists()


def test_the_coordinator_records_a_signed_opt_in_with_the_date_on_the_paper(partner, coordinator):
    person = mentors(partner, 1)[0]
    group = SupervisionGroupFactory(partner=partner)
    signed = timezone.now() - timedelta(days=9)

    membership = services.add_member(by=coordinator, group=group, person=person, opted_in_at=signed)

    assert membership.opt_in == GroupMembership.OptIn.SIGNED
    assert membership.opted_in_at == signed
    assert membership.consented


# --- invitations: the member opts in themselves -----------------------------------------------------------


@pytest.fixture
def invitee(partner, mentor_user):
    return person_of(mentor_user, partner, active_mentor=True)


def test_an_invited_mentor_who_accepts_is_a_member_who_opted_in_themselves(partner, coordinator, mentor_user, invitee):
    group = SupervisionGroupFactory(partner=partner, members=3)
    services.invite_member(by=coordinator, group=group, person=invitee)

    membership = services.join_group(by=mentor_user, group=group)

    assert membership.person == invitee
    assert membership.opt_in == GroupMembership.OptIn.OWN
    assert membership.consented_by == coordinator
    invitation = GroupInvitation.objects.get(group=group, person=invitee)
    assert invitation.status == GroupInvitation.Status.ACCEPTED
    assert invitation.answered_at is not None


def test_a_mentor_declines_an_invitation_and_is_not_a_member(partner, coordinator, mentor_user, invitee):
    group = SupervisionGroupFactory(partner=partner)
    services.invite_member(by=coordinator, group=group, person=invitee)

    services.decline_invitation(by=mentor_user, group=group)

    assert GroupInvitation.objects.get(group=group, person=invitee).status == GroupInvitation.Status.DECLINED
    assert not group.memberships.exists()


def test_no_one_joins_without_an_invitation_of_their_own(partner, coordinator, mentor_user, invitee):
    group = SupervisionGroupFactory(partner=partner)
    services.invite_member(by=coordinator, group=group, person=mentors(partner, 1)[0])

    with pytest.raises(Invalid) as excinfo:
        services.join_group(by=mentor_user, group=group)

    assert excinfo.value.code == "not_invited"
    assert not group.memberships.exists()


def test_only_the_persons_own_coordinator_invites_them(partner, mentor_user, invitee, supervisor):
    group = SupervisionGroupFactory(partner=partner)

    for who in (mentor_user, supervisor):
        with pytest.raises(NotPermitted):
            services.invite_member(by=who, group=group, person=invitee)

    assert not GroupInvitation.objects.exists()


def test_inviting_the_supervisee_of_a_member_is_refused_at_once(partner, coordinator, supervisor_person, supervisee):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=supervisee)
    group = SupervisionGroupFactory(partner=partner, members=[supervisor_person])

    with pytest.raises(RuleNotMet) as excinfo:
        services.invite_member(by=coordinator, group=group, person=supervisee)

    assert [code for code, _ in _unmet(excinfo)] == ["not_equal_standing"]
    assert not GroupInvitation.objects.exists()


def test_accepting_is_refused_when_a_supervision_began_after_the_invitation(
    partner, coordinator, mentor_user, invitee, supervisor_person
):
    group = SupervisionGroupFactory(partner=partner, members=[supervisor_person])
    services.invite_member(by=coordinator, group=group, person=invitee)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=invitee)

    with pytest.raises(RuleNotMet) as excinfo:
        services.join_group(by=mentor_user, group=group)

    assert [code for code, _ in _unmet(excinfo)] == ["not_equal_standing"]
    assert not group.memberships.filter(person=invitee).exists()
    assert GroupInvitation.objects.get(person=invitee).status == GroupInvitation.Status.PENDING


def test_a_signed_opt_in_answers_a_pending_invitation(partner, coordinator, invitee):
    group = SupervisionGroupFactory(partner=partner)
    services.invite_member(by=coordinator, group=group, person=invitee)

    services.add_member(by=coordinator, group=group, person=invitee)

    assert GroupInvitation.objects.get(person=invitee).status == GroupInvitation.Status.ACCEPTED


def test_inviting_someone_twice_is_refused(partner, coordinator, invitee):
    group = SupervisionGroupFactory(partner=partner)
    services.invite_member(by=coordinator, group=group, person=invitee)

    with pytest.raises(Invalid) as excinfo:
        services.invite_member(by=coordinator, group=group, person=invitee)

    assert excinfo.value.code == "already_invited"
    assert GroupInvitation.objects.count() == 1


def test_closing_a_group_withdraws_its_pending_invitations(partner, coordinator, invitee):
    group = SupervisionGroupFactory(partner=partner)
    services.invite_member(by=coordinator, group=group, person=invitee)

    services.close_group(by=coordinator, group=group)

    assert GroupInvitation.objects.get(person=invitee).status == GroupInvitation.Status.WITHDRAWN


# --- leaving ----------------------------------------------------------------------------------------------


def test_a_member_leaves_of_their_own_accord(partner, mentor_user, invitee):
    group = SupervisionGroupFactory(partner=partner, members=[invitee, *mentors(partner, 2)])

    services.leave_group(by=mentor_user, group=group)

    assert not group.memberships.filter(person=invitee).exists()
    assert group.memberships.count() == 2


def test_someone_who_is_not_a_member_cannot_leave(partner, mentor_user, invitee):
    group = SupervisionGroupFactory(partner=partner, members=2)

    with pytest.raises(Invalid) as excinfo:
        services.leave_group(by=mentor_user, group=group)

    assert excinfo.value.code == "not_member"
    assert group.memberships.count() == 2


def test_leaving_an_active_group_still_keeps_to_its_size_rule(partner, mentor_user, invitee):
    group = SupervisionGroupFactory(partner=partner, active=True, members=[invitee, *mentors(partner, 3)])

    with pytest.raises(RuleNotMet) as excinfo:
        services.leave_group(by=mentor_user, group=group)

    assert [code for code, _ in _unmet(excinfo)] == ["group_too_small"]
    assert group.memberships.filter(person=invitee).exists()
