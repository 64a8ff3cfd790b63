"""Supervision sessions: booking with clash detection, moving, cancelling, recording, confirming, actions, and who
sees what (notes above all)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted
from supervision.models import SessionAction, SessionAttendance, SupervisionSession
from supervision.sessions import services
from tests.supervision.factories import (
    GroupMembershipFactory,
    PersonFactory,
    SessionActionFactory,
    SupervisionAssignmentFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import days_from_now, mentors, person_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_person(partner, supervisor):
    return person_of(supervisor, partner)


@pytest.fixture
def mentee(partner, mentor_user):
    return person_of(mentor_user, partner, active_mentor=True)


def _one_to_one(by, partner, supervisor, supervisee, day=2, hour=10, minutes=60, **extra):
    starts_at = days_from_now(day, hour)
    return services.schedule_session(
        by=by,
        partner=partner,
        kind="one_to_one",
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        **extra,
    )


# --- booking and clashes ----------------------------------------------------------------


def test_a_one_to_one_invites_supervisor_and_supervisee(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee, location="Room 2")

    assert session.status == "scheduled"
    assert set(session.attendances.values_list("person", flat=True)) == {supervisor_person.pk, mentee.pk}
    assert session.starts_on == timezone.localdate() + timedelta(days=2)


def test_a_supervisor_may_schedule_but_a_mentor_may_not(partner, supervisor, mentor_user, supervisor_person, mentee):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)
    assert _one_to_one(supervisor, partner, supervisor_person, mentee).pk

    with pytest.raises(NotPermitted):
        _one_to_one(mentor_user, partner, supervisor_person, mentee, day=3)


def test_a_one_to_one_needs_two_different_people_of_the_partner(partner, other_partner, coordinator, mentee):
    with pytest.raises(Invalid) as excinfo:
        _one_to_one(coordinator, partner, mentee, mentee)
    assert excinfo.value.field == "supervisee"

    with pytest.raises(Invalid) as excinfo:
        _one_to_one(coordinator, partner, PersonFactory(partner=other_partner), mentee)
    assert excinfo.value.field == "supervisor"
    assert not SupervisionSession.objects.exists()


def test_a_session_ends_after_it_starts(partner, coordinator, supervisor_person, mentee):
    with pytest.raises(Invalid) as excinfo:
        _one_to_one(coordinator, partner, supervisor_person, mentee, minutes=0)

    assert excinfo.value.field == "ends_at"


def test_an_overlapping_booking_names_the_person_and_the_other_session(partner, coordinator, supervisor_person, mentee):
    first = _one_to_one(coordinator, partner, supervisor_person, mentee, hour=10)
    other_supervisor = PersonFactory(partner=partner, staff=True)

    with pytest.raises(Invalid) as excinfo:
        _one_to_one(coordinator, partner, other_supervisor, mentee, hour=10, minutes=30)

    assert excinfo.value.code == "clash"
    assert excinfo.value.field == "attendees"
    assert mentee.name in excinfo.value.message
    assert str(first.pk) in excinfo.value.message
    assert SupervisionSession.objects.count() == 1


def test_back_to_back_sessions_do_not_clash(partner, coordinator, supervisor_person, mentee):
    _one_to_one(coordinator, partner, supervisor_person, mentee, hour=10)

    later = _one_to_one(coordinator, partner, supervisor_person, PersonFactory(partner=partner), hour=11)

    assert later.pk


def test_a_cancelled_session_frees_the_time(partner, coordinator, supervisor_person, mentee):
    first = _one_to_one(coordinator, partner, supervisor_person, mentee)
    services.cancel_session(by=coordinator, session=first)

    assert _one_to_one(coordinator, partner, supervisor_person, mentee).pk


def test_a_group_member_booked_into_a_one_to_one_is_a_clash_for_the_group_session(partner, coordinator):
    people = mentors(partner, 4)
    group = SupervisionGroupFactory(partner=partner, active=True, members=people)
    SupervisionSessionFactory(partner=partner, supervisee=people[2], starts_at=days_from_now(5, 18))

    with pytest.raises(Invalid) as excinfo:
        services.schedule_session(
            by=coordinator,
            partner=partner,
            kind="group",
            group=group,
            starts_at=days_from_now(
                5,
                17,
            ),
            ends_at=days_from_now(5, 19),
        )

    assert people[2].name in excinfo.value.message
    assert not SupervisionSession.objects.filter(group=group).exists()


def test_a_member_of_an_external_group_clashes_with_their_own_partners_session(
    partner, other_partner, coordinator, other_coordinator
):
    group = SupervisionGroupFactory(partner=partner, external=True, active=True, members=mentors(partner, 3))
    group.guest_partners.add(other_partner)
    guest = PersonFactory(partner=other_partner, active_mentor=True)
    services.add_member(by=other_coordinator, group=group, person=guest)
    elsewhere = SupervisionSessionFactory(partner=other_partner, supervisee=guest, starts_at=days_from_now(4, 18))

    with pytest.raises(Invalid) as excinfo:
        services.schedule_session(
            by=coordinator,
            partner=partner,
            kind="group",
            group=group,
            starts_at=days_from_now(4, 18),
            ends_at=days_from_now(4, 19),
        )

    # The other partner's session is named by its time, not by an id the caller may not see.
    assert guest.name in excinfo.value.message
    assert str(elsewhere.pk) not in excinfo.value.message
    assert "their own partner" in excinfo.value.message


def test_a_group_session_invites_the_consented_members_only(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, active=True, members=mentors(partner, 4))
    pending = GroupMembershipFactory(partner=partner, group=group, pending=True).person

    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind="group",
        group=group,
        starts_at=days_from_now(2),
        ends_at=days_from_now(2, 11),
    )

    invited = set(session.attendances.values_list("person", flat=True))
    assert len(invited) == 4
    assert pending.pk not in invited


def test_a_forming_group_has_no_sessions_yet(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, members=mentors(partner, 4))

    with pytest.raises(Invalid) as excinfo:
        services.schedule_session(
            by=coordinator,
            partner=partner,
            kind="group",
            group=group,
            starts_at=days_from_now(2),
            ends_at=days_from_now(2, 11),
        )

    assert excinfo.value.code == "group_not_active"


# --- moving and cancelling -----------------------------------------------------------------


def test_moving_a_session_bumps_its_sequence(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee)

    moved = services.reschedule_session(by=coordinator, session=session, starts_at=days_from_now(3, 14))

    assert moved.starts_at == days_from_now(3, 14)
    assert moved.ends_at == days_from_now(3, 15)
    assert moved.starts_on == timezone.localdate() + timedelta(days=3)
    assert moved.sequence == 1


def test_a_change_of_place_bumps_the_sequence_and_no_change_does_not(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee, location="Room 2")

    assert services.reschedule_session(by=coordinator, session=session, location="Room 2").sequence == 0
    assert services.reschedule_session(by=coordinator, session=session, location="Video call").sequence == 1


def test_moving_into_someone_elses_booking_is_a_clash(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee, hour=10)
    other = _one_to_one(coordinator, partner, supervisor_person, PersonFactory(partner=partner), hour=14)

    with pytest.raises(Invalid) as excinfo:
        services.reschedule_session(by=coordinator, session=session, starts_at=days_from_now(2, 14))

    assert supervisor_person.name in excinfo.value.message
    assert str(other.pk) in excinfo.value.message
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == (days_from_now(2, 10), 0)


def test_moving_a_session_within_its_own_time_is_no_clash_with_itself(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee, hour=10, minutes=60)

    moved = services.reschedule_session(
        by=coordinator, session=session, starts_at=days_from_now(2, 10) + timedelta(minutes=30)
    )

    assert moved.sequence == 1


def test_a_recorded_session_cannot_be_moved(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, held=True)

    with pytest.raises(Invalid) as excinfo:
        services.reschedule_session(by=coordinator, session=session, starts_at=days_from_now(1))

    assert excinfo.value.code == "session_not_scheduled"


def test_cancelling_keeps_the_row_with_its_status_and_sequence(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee)

    cancelled = services.cancel_session(by=coordinator, session=session, reason="Supervisor unwell.")

    assert cancelled.status == "cancelled"
    assert cancelled.sequence == 1
    assert cancelled.cancelled_by == coordinator
    assert cancelled.cancel_reason == "Supervisor unwell."
    assert cancelled.attendances.count() == 2


def test_a_held_session_cannot_be_cancelled(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, held=True)

    with pytest.raises(IllegalTransition):
        services.cancel_session(by=coordinator, session=session)


# --- recording and confirming ---------------------------------------------------------------


@pytest.fixture
def past_one_to_one(partner, supervisor_person, mentee):
    return SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentee,
        starts_at=days_from_now(-1),
        ends_at=days_from_now(-1, 11),
    )


def test_the_supervisor_records_a_held_session_with_notes_toolkit_and_actions(past_one_to_one, supervisor, mentee):
    session = services.record_session(
        by=supervisor,
        session=past_one_to_one,
        status="held",
        notes="Talked about a mentee's court date.",
        toolkit_process="Reflective cycle",
        actions=[{"owner": mentee.pk, "description": "Call the court liaison", "due_on": timezone.localdate()}],
    )

    assert session.status == "held"
    assert session.sequence == 1
    assert session.notes == "Talked about a mentee's court date."
    assert set(session.attendances.values_list("attendance", flat=True)) == {"present"}
    assert SessionAction.objects.get().owner == mentee


def test_a_one_to_one_without_the_supervisee_was_missed_not_held(past_one_to_one, supervisor, mentee):
    with pytest.raises(Invalid) as excinfo:
        services.record_session(
            by=supervisor,
            session=past_one_to_one,
            status="held",
            attendance=[{"person": mentee.pk, "attendance": "apologies"}],
        )

    assert excinfo.value.field == "attendance"
    past_one_to_one.refresh_from_db()
    assert past_one_to_one.status == "scheduled"


def test_a_missed_session_defaults_invitees_to_absent(past_one_to_one, supervisor, mentee):
    session = services.record_session(
        by=supervisor,
        session=past_one_to_one,
        status="missed",
        attendance=[{"person": mentee.pk, "attendance": "apologies"}],
    )

    assert dict(session.attendances.values_list("person", "attendance")) == {
        session.supervisor_id: "absent",
        mentee.pk: "apologies",
    }


def test_attendance_is_recorded_for_invitees_only(past_one_to_one, supervisor, partner):
    with pytest.raises(Invalid) as excinfo:
        services.record_session(
            by=supervisor,
            session=past_one_to_one,
            status="held",
            attendance=[{"person": PersonFactory(partner=partner).pk, "attendance": "present"}],
        )

    assert excinfo.value.field == "attendance"


def test_a_session_is_recorded_once_it_has_started(partner, coordinator, supervisor_person, mentee):
    session = _one_to_one(coordinator, partner, supervisor_person, mentee)

    with pytest.raises(Invalid) as excinfo:
        services.record_session(by=coordinator, session=session, status="held")

    assert excinfo.value.code == "not_started"


def test_a_mentor_does_not_record_their_own_supervision(past_one_to_one, mentor_user):
    with pytest.raises(NotPermitted):
        services.record_session(by=mentor_user, session=past_one_to_one, status="held")


def test_a_cancelled_session_cannot_be_recorded(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, cancelled=True, starts_at=days_from_now(-1))

    with pytest.raises(IllegalTransition):
        services.record_session(by=coordinator, session=session, status="held")


def test_the_facilitator_records_a_group_session(partner, mentor_user, mentee):
    group = SupervisionGroupFactory(partner=partner, active=True, members=[mentee, *mentors(partner, 3)])
    session = SupervisionSessionFactory(
        partner=partner, group_session=True, group=group, starts_at=days_from_now(-1), facilitator=mentee
    )

    recorded = services.record_session(by=mentor_user, session=session, status="held")

    assert recorded.status == "held"


def test_a_member_who_is_not_facilitating_does_not_record(partner, mentor_user, mentee):
    group = SupervisionGroupFactory(partner=partner, active=True, members=[mentee, *mentors(partner, 3)])
    others = [m.person for m in group.memberships.exclude(person=mentee)]
    session = SupervisionSessionFactory(
        partner=partner, group_session=True, group=group, starts_at=days_from_now(-1), facilitator=others[0]
    )

    with pytest.raises(NotPermitted):
        services.record_session(by=mentor_user, session=session, status="held")


def test_the_supervisee_confirms_the_record_with_a_comment(past_one_to_one, supervisor, mentor_user):
    services.record_session(by=supervisor, session=past_one_to_one, status="held")

    confirmed = services.confirm_session(by=mentor_user, session=past_one_to_one, comment="Agreed, thanks.")

    assert confirmed.confirmed_at is not None
    assert confirmed.supervisee_comment == "Agreed, thanks."


def test_only_the_supervisee_confirms(past_one_to_one, supervisor, coordinator):
    services.record_session(by=supervisor, session=past_one_to_one, status="held")

    with pytest.raises(NotPermitted):
        services.confirm_session(by=coordinator, session=past_one_to_one)


def test_an_unrecorded_session_has_nothing_to_confirm(past_one_to_one, mentor_user):
    with pytest.raises(Invalid) as excinfo:
        services.confirm_session(by=mentor_user, session=past_one_to_one)

    assert excinfo.value.code == "not_recorded"


def test_a_confirmed_record_can_no_longer_be_changed(past_one_to_one, supervisor, mentor_user):
    services.record_session(by=supervisor, session=past_one_to_one, status="held")
    services.confirm_session(by=mentor_user, session=past_one_to_one)

    with pytest.raises(Invalid) as excinfo:
        services.record_session(by=supervisor, session=past_one_to_one, status="missed")

    assert excinfo.value.code == "confirmed"


def test_an_unconfirmed_record_can_be_corrected(past_one_to_one, supervisor):
    services.record_session(by=supervisor, session=past_one_to_one, status="held")

    corrected = services.record_session(by=supervisor, session=past_one_to_one, status="missed")

    assert corrected.status == "missed"
    assert corrected.sequence == 2


# --- actions ----------------------------------------------------------------------------------


def test_an_action_belongs_to_an_invitee(past_one_to_one, supervisor, partner):
    with pytest.raises(Invalid) as excinfo:
        services.add_action(
            by=supervisor,
            session=past_one_to_one,
            owner=PersonFactory(partner=partner),
            description="Something",
            due_on=timezone.localdate(),
        )

    assert excinfo.value.field == "owner"


def test_the_owner_marks_their_action_done(partner, mentor_user):
    action = SessionActionFactory(partner=partner)
    action.owner.user = mentor_user
    action.owner.save()

    done = services.complete_action(by=mentor_user, action=action)

    assert done.done_at is not None


# --- who sees what ------------------------------------------------------------------------------


def _visible(user):
    return set(SupervisionSession.objects.visible_to(user).values_list("pk", flat=True))


def test_coordinators_see_every_session_of_their_partner(partner, coordinator):
    sessions = [
        SupervisionSessionFactory(partner=partner),
        SupervisionSessionFactory(partner=partner, group_session=True),
    ]

    assert _visible(coordinator) == {s.pk for s in sessions}


def test_a_mentor_sees_the_sessions_they_attend_only(partner, mentor_user, mentee):
    own = SupervisionSessionFactory(partner=partner, supervisee=mentee)
    SupervisionSessionFactory(partner=partner)

    assert _visible(mentor_user) == {own.pk}


def test_a_supervisor_sees_the_sessions_they_run(partner, supervisor, supervisor_person):
    own = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person)
    SupervisionSessionFactory(partner=partner)

    assert _visible(supervisor) == {own.pk}


def test_another_partners_coordinator_sees_only_what_their_people_attend(partner, other_partner, other_coordinator):
    guest = PersonFactory(partner=other_partner, active_mentor=True)
    group = SupervisionGroupFactory(partner=partner, external=True, active=True, members=mentors(partner, 3) + [guest])
    attended = SupervisionSessionFactory(partner=partner, group_session=True, group=group)
    SupervisionSessionFactory(partner=partner)

    assert _visible(other_coordinator) == {attended.pk}


def test_notes_are_for_attendees_and_the_owners_coordinators(
    partner, coordinator, supervisor, mentor_user, licensor, supervisor_person, mentee, other_partner
):
    shared = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee, held=True)
    unrelated = SupervisionSessionFactory(partner=partner, held=True)

    def notes_visible(user):
        rows = SupervisionSession.objects.visible_to(user).with_notes_visibility(user)
        return {row.pk: row.notes_visible for row in rows}

    assert notes_visible(coordinator) == {shared.pk: True, unrelated.pk: True}
    assert notes_visible(supervisor) == {shared.pk: True}
    assert notes_visible(mentor_user) == {shared.pk: True}
    # The licensor sees every session, and no notes.
    assert notes_visible(licensor) == {shared.pk: False, unrelated.pk: False}


def test_attendance_rows_and_actions_follow_the_session(partner, mentor_user, mentee):
    SessionActionFactory(partner=partner)
    own = SessionActionFactory(
        partner=partner, session=SupervisionSessionFactory(partner=partner, supervisee=mentee, held=True)
    )

    assert set(SessionAction.objects.visible_to(mentor_user)) == {own}
    assert set(SessionAttendance.objects.visible_to(mentor_user).values_list("session", flat=True)) == {own.session_id}
