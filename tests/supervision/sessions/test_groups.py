"""Peer groups: membership with opt-in and consent, activation against the owning partner's policy, member changes
of an active group, facilitator rotation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted, RuleNotMet
from supervision.models import GroupMembership, SessionAttendance, SupervisionGroup, SupervisionSession
from supervision.sessions import services
from tests.supervision.factories import (
    GroupMembershipFactory,
    PersonFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import days_from_now, mentors, person_of, set_policy

pytestmark = pytest.mark.django_db


def _codes(excinfo):
    return [item.code for item in excinfo.value.unmet]


def _group(partner, people, **fields):
    return SupervisionGroupFactory(partner=partner, members=people, **fields)


# --- activation -------------------------------------------------------------------------


def test_a_group_of_trained_members_within_the_sizes_activates(partner, coordinator):
    group = _group(partner, mentors(partner, 4))

    services.activate_group(by=coordinator, group=group)

    group.refresh_from_db()
    assert group.status == SupervisionGroup.Status.ACTIVE
    assert group.activated_at is not None


def test_activation_refuses_a_group_smaller_than_the_policy_minimum(partner, coordinator):
    group = _group(partner, mentors(partner, 3))

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert _codes(excinfo) == ["group_too_small"]
    assert "at least 4" in excinfo.value.unmet[0].message
    group.refresh_from_db()
    assert group.status == SupervisionGroup.Status.FORMING


def test_activation_refuses_a_group_larger_than_the_policy_maximum(partner, coordinator):
    group = _group(partner, mentors(partner, 7))

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert _codes(excinfo) == ["group_too_large"]


def test_activation_refuses_a_group_without_a_trained_majority(partner, coordinator):
    # Half trained is not a majority.
    group = _group(partner, mentors(partner, 2) + mentors(partner, 2, trained=False))

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert _codes(excinfo) == ["trained_majority"]
    assert "2 of 4" in excinfo.value.unmet[0].message


def test_activation_reports_size_and_majority_together(partner, coordinator):
    group = _group(partner, mentors(partner, 1) + mentors(partner, 2, trained=False))

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert _codes(excinfo) == ["group_too_small", "trained_majority"]


def test_activation_reads_the_owning_partners_own_sizes(partner, coordinator):
    set_policy(partner, peer_group_min_size=5)
    group = _group(partner, mentors(partner, 4))

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert "at least 5" in excinfo.value.unmet[0].message


def test_a_passed_enrolment_counts_as_trained(partner, coordinator):
    from tests.training.factories import EnrolmentFactory

    untrained = mentors(partner, 2, trained=False)
    for person in untrained:
        EnrolmentFactory(partner=partner, learner=person, passed=True)
    group = _group(partner, mentors(partner, 1) + untrained + mentors(partner, 1, trained=False))

    services.activate_group(by=coordinator, group=group)

    assert group.memberships.count() == 4


def test_members_awaiting_consent_do_not_count(partner, coordinator):
    group = _group(partner, mentors(partner, 3))
    GroupMembershipFactory(partner=partner, group=group, pending=True)

    with pytest.raises(RuleNotMet) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert _codes(excinfo) == ["group_too_small"]


def test_only_a_coordinator_of_the_owner_activates(partner, supervisor):
    group = _group(partner, mentors(partner, 4))

    with pytest.raises(NotPermitted):
        services.activate_group(by=supervisor, group=group)


def test_an_active_group_cannot_be_activated_again(partner, coordinator):
    group = _group(partner, mentors(partner, 4), active=True)

    with pytest.raises(IllegalTransition) as excinfo:
        services.activate_group(by=coordinator, group=group)

    assert excinfo.value.allowed == ["closed"]


# --- members ------------------------------------------------------------------------------


def test_a_coordinator_adds_their_own_person_with_the_opt_in_time(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner)
    person = PersonFactory(partner=partner, active_mentor=True)
    opted_in = timezone.now() - timedelta(days=2)

    membership = services.add_member(by=coordinator, group=group, person=person, opted_in_at=opted_in)

    assert membership.opted_in_at == opted_in
    assert membership.consented_by == coordinator


def test_an_internal_group_refuses_a_person_of_another_partner(partner, other_partner, licensor):
    group = SupervisionGroupFactory(partner=partner)
    stranger = PersonFactory(partner=other_partner, active_mentor=True)

    with pytest.raises(Invalid) as excinfo:
        services.add_member(by=licensor, group=group, person=stranger)

    assert excinfo.value.field == "person"
    assert not GroupMembership.objects.exists()


def test_the_same_person_joins_a_group_once(partner, coordinator):
    group = _group(partner, mentors(partner, 1))
    person = group.memberships.get().person

    with pytest.raises(Invalid) as excinfo:
        services.add_member(by=coordinator, group=group, person=person)

    assert excinfo.value.code == "already_member"


def test_an_opt_in_cannot_be_in_the_future(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner)

    with pytest.raises(Invalid):
        services.add_member(
            by=coordinator,
            group=group,
            person=PersonFactory(partner=partner, active_mentor=True),
            opted_in_at=timezone.now() + timedelta(days=1),
        )


def test_adding_a_member_to_an_active_group_at_its_maximum_is_refused(partner, coordinator):
    group = _group(partner, mentors(partner, 6), active=True)

    with pytest.raises(RuleNotMet) as excinfo:
        services.add_member(by=coordinator, group=group, person=mentors(partner, 1)[0])

    assert _codes(excinfo) == ["group_too_large"]
    assert group.memberships.count() == 6


def test_adding_an_untrained_member_that_would_lose_the_majority_is_refused(partner, coordinator):
    group = _group(partner, mentors(partner, 3) + mentors(partner, 2, trained=False), active=True)

    with pytest.raises(RuleNotMet) as excinfo:
        services.add_member(by=coordinator, group=group, person=mentors(partner, 1, trained=False)[0])

    assert _codes(excinfo) == ["trained_majority"]


def test_removing_a_member_below_the_minimum_of_an_active_group_is_refused(partner, coordinator):
    group = _group(partner, mentors(partner, 4), active=True)
    leaving = group.memberships.first().person

    with pytest.raises(RuleNotMet) as excinfo:
        services.remove_member(by=coordinator, group=group, person=leaving)

    assert _codes(excinfo) == ["group_too_small"]
    assert group.memberships.filter(person=leaving).exists()


def test_removing_a_trained_member_that_would_lose_the_majority_is_refused(partner, coordinator):
    trained = mentors(partner, 3)
    group = _group(partner, trained + mentors(partner, 2, trained=False), active=True)

    with pytest.raises(RuleNotMet) as excinfo:
        services.remove_member(by=coordinator, group=group, person=trained[0])

    assert _codes(excinfo) == ["trained_majority"]


def test_a_member_of_a_forming_group_leaves_freely(partner, coordinator):
    group = _group(partner, mentors(partner, 2))

    services.remove_member(by=coordinator, group=group, person=group.memberships.first().person)

    assert group.memberships.count() == 1


def test_a_member_may_leave_themselves(partner, mentor_user):
    me = person_of(mentor_user, partner, active_mentor=True)
    group = _group(partner, [me, *mentors(partner, 1)])

    services.remove_member(by=mentor_user, group=group, person=me)

    assert not group.memberships.filter(person=me).exists()


def test_another_mentor_cannot_remove_a_member(partner, mentor_user):
    person_of(mentor_user, partner, active_mentor=True)
    group = _group(partner, mentors(partner, 2))

    with pytest.raises(NotPermitted):
        services.remove_member(by=mentor_user, group=group, person=group.memberships.first().person)


def test_removing_someone_who_is_not_a_member_is_not_found(partner, coordinator):
    group = _group(partner, mentors(partner, 1))

    with pytest.raises(NotFound):
        services.remove_member(by=coordinator, group=group, person=PersonFactory(partner=partner))


def test_a_closed_group_takes_no_members(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, closed=True)

    with pytest.raises(Invalid) as excinfo:
        services.add_member(by=coordinator, group=group, person=mentors(partner, 1)[0])

    assert excinfo.value.code == "group_closed"


# --- external groups: each member's own coordinator consents --------------------------------


@pytest.fixture
def external(partner, other_partner):
    return SupervisionGroupFactory(partner=partner, external=True, members=mentors(partner, 2))


def test_a_guest_partners_coordinator_adds_their_own_person_as_consent(external, other_partner, other_coordinator):
    external.guest_partners.add(other_partner)
    guest = PersonFactory(partner=other_partner, active_mentor=True)

    membership = services.add_member(by=other_coordinator, group=external, person=guest)

    assert membership.consented
    assert membership.consented_by == other_coordinator
    assert membership.partner_id == external.partner_id


def test_a_partner_that_is_not_a_guest_cannot_put_people_forward(external, other_partner, other_coordinator):
    with pytest.raises(Invalid) as excinfo:
        services.add_member(
            by=other_coordinator, group=external, person=PersonFactory(partner=other_partner, active_mentor=True)
        )

    assert "not a guest partner" in excinfo.value.message


def test_the_owners_coordinator_cannot_consent_for_another_partners_person(
    external, other_partner, coordinator, licensor
):
    external.guest_partners.add(other_partner)
    guest = PersonFactory(partner=other_partner, active_mentor=True)
    services.add_member(by=licensor, group=external, person=guest)

    with pytest.raises(NotPermitted):
        services.consent_member(by=coordinator, group=external, person=guest)

    assert not external.memberships.get(person=guest).consented


def test_a_member_proposed_by_the_licensor_waits_for_their_coordinators_consent(
    external, other_partner, other_coordinator, licensor
):
    external.guest_partners.add(other_partner)
    guest = PersonFactory(partner=other_partner, active_mentor=True)

    proposed = services.add_member(by=licensor, group=external, person=guest)
    assert not proposed.consented

    consented = services.consent_member(by=other_coordinator, group=external, person=guest)
    assert consented.consented
    assert consented.consented_by == other_coordinator


def test_an_external_group_follows_the_owning_partners_policy(external, partner, other_partner, other_coordinator):
    set_policy(partner, peer_group_max_size=4)
    set_policy(other_partner, peer_group_max_size=6)
    external.guest_partners.add(other_partner)
    for person in mentors(partner, 2):
        GroupMembershipFactory(partner=partner, group=external, person=person)
    external.status = SupervisionGroup.Status.ACTIVE
    external.save()

    with pytest.raises(RuleNotMet) as excinfo:
        services.add_member(
            by=other_coordinator, group=external, person=PersonFactory(partner=other_partner, active_mentor=True)
        )

    assert "at most 4" in excinfo.value.unmet[0].message


def test_a_guest_partner_cannot_be_dropped_while_its_people_are_members(
    external, other_partner, other_coordinator, coordinator
):
    external.guest_partners.add(other_partner)
    services.add_member(
        by=other_coordinator, group=external, person=PersonFactory(partner=other_partner, active_mentor=True)
    )

    with pytest.raises(Invalid):
        services.update_group(by=coordinator, group=external, guest_partners=[])

    assert list(external.guest_partners.all()) == [other_partner]


def test_only_an_external_group_has_guest_partners(partner, coordinator, other_partner):
    with pytest.raises(Invalid) as excinfo:
        services.create_group(by=coordinator, partner=partner, name="Tuesday group", guest_partners=[other_partner])

    assert excinfo.value.field == "guest_partners"
    assert not SupervisionGroup.objects.exists()


def test_a_group_meeting_rule_is_checked_and_normalised(partner, coordinator):
    group = services.create_group(
        by=coordinator, partner=partner, name="Tuesdays", rrule="rrule:freq=monthly;byday=1tu"
    )

    assert group.rrule == "FREQ=MONTHLY;BYDAY=1TU"
    with pytest.raises(Invalid):
        services.create_group(by=coordinator, partner=partner, name="Bad", rrule="FREQ=SOMETIMES")


# --- sessions follow the membership ---------------------------------------------------------


def test_a_new_member_is_invited_to_the_groups_sessions_still_to_come(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True)
    past = SupervisionSessionFactory(partner=partner, group_session=True, group=session.group, held=True)
    newcomer = mentors(partner, 1)[0]

    services.add_member(by=coordinator, group=session.group, person=newcomer)

    assert SessionAttendance.objects.filter(session=session, person=newcomer).exists()
    assert not SessionAttendance.objects.filter(session=past, person=newcomer).exists()


def test_a_newcomer_booked_elsewhere_at_a_session_time_is_refused(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True)
    newcomer = mentors(partner, 1)[0]
    SupervisionSessionFactory(partner=partner, supervisee=newcomer, starts_at=session.starts_at)

    with pytest.raises(Invalid) as excinfo:
        services.add_member(by=coordinator, group=session.group, person=newcomer)

    assert excinfo.value.code == "clash"
    assert newcomer.name in excinfo.value.message
    assert not session.group.memberships.filter(person=newcomer).exists()


def test_a_leaving_member_is_taken_off_the_sessions_still_to_come(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True)
    group = session.group
    GroupMembershipFactory(partner=partner, group=group)
    services.rotate_facilitators(group)
    leaving = group.memberships.last().person

    services.remove_member(by=coordinator, group=group, person=leaving)

    assert not SessionAttendance.objects.filter(session=session, person=leaving).exists()


def test_closing_a_group_cancels_its_sessions_to_come(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True)

    services.close_group(by=coordinator, group=session.group)

    session.refresh_from_db()
    assert session.status == SupervisionSession.Status.CANCELLED
    assert session.sequence == 1


# --- facilitator rotation -------------------------------------------------------------------


def test_facilitators_rotate_through_the_members_in_joining_order(partner, coordinator):
    people = mentors(partner, 4)
    group = SupervisionGroupFactory(partner=partner, active=True)
    for offset, person in enumerate(people):
        GroupMembershipFactory(
            partner=partner, group=group, person=person, opted_in_at=timezone.now() - timedelta(days=10 - offset)
        )

    _series, sessions = services.schedule_series(
        by=coordinator,
        partner=partner,
        rrule="FREQ=WEEKLY;COUNT=6",
        kind="group",
        group=group,
        starts_at=days_from_now(1, 18),
        ends_at=days_from_now(1, 19),
    )

    facilitators = list(
        SupervisionSession.objects.filter(group=group).order_by("starts_at").values_list("facilitator", flat=True)
    )
    assert facilitators == [p.pk for p in people] + [people[0].pk, people[1].pk]
    assert len(sessions) == 6


def test_a_cancelled_session_passes_its_facilitators_turn_on(partner, coordinator):
    people = mentors(partner, 4)
    group = SupervisionGroupFactory(partner=partner, active=True)
    for offset, person in enumerate(people):
        GroupMembershipFactory(
            partner=partner, group=group, person=person, opted_in_at=timezone.now() - timedelta(days=10 - offset)
        )
    _series, sessions = services.schedule_series(
        by=coordinator,
        partner=partner,
        rrule="FREQ=WEEKLY;COUNT=3",
        kind="group",
        group=group,
        starts_at=days_from_now(1, 18),
        ends_at=days_from_now(1, 19),
    )

    services.cancel_session(by=coordinator, session=sessions[0])

    upcoming = SupervisionSession.objects.filter(group=group, status="scheduled").order_by("starts_at")
    assert [s.facilitator_id for s in upcoming] == [people[0].pk, people[1].pk]


def test_the_rotation_continues_after_the_last_facilitator(partner, coordinator):
    people = mentors(partner, 4)
    group = SupervisionGroupFactory(partner=partner, active=True)
    for offset, person in enumerate(people):
        GroupMembershipFactory(
            partner=partner, group=group, person=person, opted_in_at=timezone.now() - timedelta(days=10 - offset)
        )
    SupervisionSessionFactory(partner=partner, group_session=True, group=group, held=True, facilitator=people[2])

    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind="group",
        group=group,
        starts_at=days_from_now(3, 18),
        ends_at=days_from_now(3, 19),
    )

    session.refresh_from_db()
    assert session.facilitator_id == people[3].pk


def test_a_group_of_another_partner_is_not_the_coordinators_to_change(partner, other_coordinator):
    group = SupervisionGroupFactory(partner=partner)

    with pytest.raises(NotFound):
        services.update_group(by=other_coordinator, group=group, name="Mine now")
