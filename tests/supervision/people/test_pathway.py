"""The mentor pathway as a status machine: legal moves, illegal ones, pauses, exits, and who may move people."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted
from supervision.models import MENTOR_TRANSITIONS, Match, MentorStatus, Person, PersonTransition
from supervision.people import services
from tests.factories import user_with_role
from tests.supervision.factories import MatchFactory, PersonFactory

STATES = [None, *MentorStatus.values]
ILLEGAL = [(current, to) for current in STATES for to in MentorStatus.values if to not in MENTOR_TRANSITIONS[current]]
# Moves that need nothing but the move itself (activation and pause have tests of their own).
PLAIN = [
    (current, to)
    for current, allowed in MENTOR_TRANSITIONS.items()
    for to in allowed
    if to not in (MentorStatus.ACTIVE, MentorStatus.PAUSED)
]


def _person(partner, status):
    if status == MentorStatus.PAUSED:
        return PersonFactory(partner=partner, paused=True)
    return PersonFactory(partner=partner, mentor_status=status)


def test_the_table_reaches_exited_from_every_other_state():
    for state in MentorStatus.values:
        if state != MentorStatus.EXITED:
            assert MentorStatus.EXITED in MENTOR_TRANSITIONS[state], state


@pytest.mark.parametrize(("current", "to"), ILLEGAL, ids=str)
def test_every_illegal_move_is_refused_naming_the_allowed_ones(partner, coordinator, current, to):
    person = _person(partner, current)

    with pytest.raises(IllegalTransition) as refused:
        services.transition_person(by=coordinator, person=person, to=to, reason="Because.")

    assert refused.value.allowed == sorted(MENTOR_TRANSITIONS[current])
    person.refresh_from_db()
    assert person.mentor_status == current
    assert not PersonTransition.objects.filter(person=person).exists()


@pytest.mark.parametrize(("current", "to"), PLAIN, ids=str)
def test_each_plain_move_is_made_and_recorded(partner, coordinator, current, to):
    person = _person(partner, current)

    services.transition_person(by=coordinator, person=person, to=to, reason="Agreed at review.")

    person.refresh_from_db()
    assert person.mentor_status == to
    move = PersonTransition.objects.get(person=person)
    assert (move.from_status, move.to_status, move.by, move.reason) == (current, to, coordinator, "Agreed at review.")


def test_an_unknown_status_is_invalid(partner, coordinator):
    person = PersonFactory(partner=partner, applicant=True)
    with pytest.raises(Invalid) as refused:
        services.transition_person(by=coordinator, person=person, to="retired")
    assert refused.value.field == "to"


# --- pause ----------------------------------------------------------------------------


def test_a_pause_records_its_reason_and_review_date(partner, coordinator):
    person = PersonFactory(partner=partner, active_mentor=True)
    review_on = timezone.localdate() + timedelta(days=28)

    services.transition_person(
        by=coordinator, person=person, to=MentorStatus.PAUSED, reason="Caring for a parent.", review_on=review_on
    )

    person.refresh_from_db()
    assert (person.mentor_status, person.pause_reason, person.pause_review_on) == (
        "paused",
        "Caring for a parent.",
        review_on,
    )
    move = PersonTransition.objects.get(person=person)
    assert (move.reason, move.review_on) == ("Caring for a parent.", review_on)


def test_a_pause_without_reason_or_review_date_names_both(partner, coordinator):
    person = PersonFactory(partner=partner, active_mentor=True)

    with pytest.raises(ValidationError) as refused:
        services.transition_person(by=coordinator, person=person, to=MentorStatus.PAUSED, reason="  ")

    assert set(refused.value.message_dict) == {"reason", "review_on"}
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.ACTIVE
    assert not PersonTransition.objects.exists()


def test_a_pause_cannot_be_reviewed_in_the_past(partner, coordinator):
    person = PersonFactory(partner=partner, active_mentor=True)

    with pytest.raises(ValidationError) as refused:
        services.transition_person(
            by=coordinator,
            person=person,
            to=MentorStatus.PAUSED,
            reason="Moving house.",
            review_on=timezone.localdate() - timedelta(days=1),
        )

    assert list(refused.value.message_dict) == ["review_on"]
    assert not PersonTransition.objects.exists()


def test_only_a_pause_takes_a_review_date(partner, coordinator):
    person = PersonFactory(partner=partner, applicant=True)
    with pytest.raises(Invalid) as refused:
        services.transition_person(
            by=coordinator, person=person, to=MentorStatus.IN_TRAINING, review_on=timezone.localdate()
        )
    assert refused.value.field == "review_on"


def test_resuming_clears_the_pause(partner, coordinator):
    from tests.supervision.people.helpers import meet_every_requirement

    person = meet_every_requirement(PersonFactory(partner=partner, paused=True))

    services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE)

    person.refresh_from_db()
    assert (person.mentor_status, person.pause_reason, person.pause_review_on) == ("active", "", None)


def test_paused_mentors_due_for_review_are_listed(partner):
    due = PersonFactory(partner=partner, paused=True, pause_review_on=timezone.localdate())
    PersonFactory(partner=partner, paused=True, pause_review_on=timezone.localdate() + timedelta(days=1))
    PersonFactory(partner=partner, active_mentor=True)

    assert list(Person.objects.pause_review_due()) == [due]


# --- exit -----------------------------------------------------------------------------


def test_a_mentor_who_exits_has_their_active_matches_ended(partner, coordinator):
    match = MatchFactory(partner=partner)
    earlier = MatchFactory(partner=partner, mentor=match.mentor, ended=True)

    services.transition_person(by=coordinator, person=match.mentor, to=MentorStatus.EXITED, reason="New job.")

    match.refresh_from_db()
    assert (match.status, match.ended_on) == (Match.Status.ENDED, timezone.localdate())
    earlier_ended_on = earlier.ended_on
    earlier.refresh_from_db()
    assert earlier.ended_on == earlier_ended_on


def test_someone_who_comes_back_starts_again_as_an_applicant(partner, coordinator):
    person = PersonFactory(partner=partner, exited=True)

    services.transition_person(by=coordinator, person=person, to=MentorStatus.APPLICANT)

    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.APPLICANT


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "trainer", "mentor"])
def test_only_coordinators_move_people_on(partner, role):
    person = PersonFactory(partner=partner, applicant=True)
    user = user_with_role(role, partner)

    with pytest.raises(NotPermitted):
        services.transition_person(by=user, person=person, to=MentorStatus.IN_TRAINING)

    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.APPLICANT


def test_a_coordinator_of_another_partner_cannot_move_people_on(partner, other_coordinator):
    person = PersonFactory(partner=partner, applicant=True)
    with pytest.raises(NotFound):
        services.transition_person(by=other_coordinator, person=person, to=MentorStatus.IN_TRAINING)


def test_the_licensor_may_move_people_on(partner, licensor):
    person = PersonFactory(partner=partner, applicant=True)
    services.transition_person(by=licensor, person=person, to=MentorStatus.IN_TRAINING)
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.IN_TRAINING
