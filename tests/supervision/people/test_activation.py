"""Becoming an active mentor: one domain function checks every requirement and reports every unmet one."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import IllegalTransition, RuleNotMet
from franchise import policy_fields
from franchise import services as franchise_services
from franchise.models import Licence
from supervision.models import MentorStatus, PersonTransition
from supervision.people import services
from supervision.people.rules import activation_unmet
from tests.franchise.factories import LicenceFactory, PolicyVersionFactory
from tests.supervision.factories import PersonFactory, ShadowingLogFactory
from tests.supervision.people.helpers import acknowledge, licence_for, meet_every_requirement, ready_to_activate, shadow
from tests.training.factories import EnrolmentFactory

EVERY_REQUIREMENT = {
    "not_trained",
    "shadowing_hours_short",
    "background_check_missing",
    "policy_not_acknowledged",
    "no_active_licence",
}


def codes(unmet):
    return [item.code for item in unmet]


def test_a_person_meeting_every_requirement_has_nothing_unmet(partner):
    assert activation_unmet(ready_to_activate(partner)) == []


def test_activation_lists_every_unmet_requirement_at_once(partner):
    person = PersonFactory(partner=partner, mentor_status=MentorStatus.SHADOWING)
    assert set(codes(activation_unmet(person))) == EVERY_REQUIREMENT


def _untrained(person):
    person.prior_learning_on = None
    person.save()


def _short_of_hours(person):
    person.shadowing_logs.order_by("date").first().delete()


def _no_background_check(person):
    person.background_check_on = None
    person.save()


def _new_policy_version(person):
    PolicyVersionFactory(partner=person.partner, effective_from=timezone.now())


def _licence_suspended(person):
    Licence.objects.filter(partner=person.partner).update(status=Licence.Status.SUSPENDED)


@pytest.mark.parametrize(
    ("break_it", "code"),
    [
        (_untrained, "not_trained"),
        (_short_of_hours, "shadowing_hours_short"),
        (_no_background_check, "background_check_missing"),
        (_new_policy_version, "policy_not_acknowledged"),
        (_licence_suspended, "no_active_licence"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_requirement_alone_blocks_activation(partner, coordinator, break_it, code):
    person = ready_to_activate(partner)
    break_it(person)

    with pytest.raises(RuleNotMet) as refused:
        services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE)

    assert codes(refused.value.unmet) == [code]
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.SHADOWING
    assert not PersonTransition.objects.filter(person=person).exists()


def test_activation_moves_the_person_and_records_who_did_it(partner, coordinator):
    person = ready_to_activate(partner)

    services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE, reason="Ready.")

    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.ACTIVE
    move = PersonTransition.objects.get(person=person)
    assert (move.from_status, move.to_status, move.by, move.reason) == ("shadowing", "active", coordinator, "Ready.")
    assert move.partner_id == partner.pk


def test_a_passed_enrolment_makes_a_person_trained_without_prior_learning(partner):
    person = ready_to_activate(partner)
    _untrained(person)
    EnrolmentFactory(partner=partner, learner=person, passed=True)

    assert activation_unmet(person) == []


def test_an_enrolment_not_yet_passed_does_not_make_a_person_trained(partner):
    person = ready_to_activate(partner)
    _untrained(person)
    EnrolmentFactory(partner=partner, learner=person)
    EnrolmentFactory(partner=partner, learner=person, non_accredited=True)

    assert codes(activation_unmet(person)) == ["not_trained"]


def test_the_shadowing_requirement_comes_from_the_partners_effective_policy(partner, coordinator):
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"shadowing_hours_required": 15}
    )
    person = ready_to_activate(partner)  # logs 15 hours under the new policy
    assert activation_unmet(person) == []

    person.shadowing_logs.order_by("-date").first().delete()  # yesterday's 6 hours

    [unmet] = activation_unmet(person)
    assert unmet.code == "shadowing_hours_short"
    assert "9" in unmet.message and "15" in unmet.message


def test_fractional_hours_add_up_to_the_requirement(partner):
    person = PersonFactory(partner=partner, shadowing=True, background_check_on=timezone.localdate())
    licence_for(partner)
    acknowledge(person)
    shadow(person, Decimal("9.75"))
    assert codes(activation_unmet(person)) == ["shadowing_hours_short"]

    ShadowingLogFactory(partner=partner, mentor=person, hours=Decimal("0.25"), date=timezone.localdate())

    assert activation_unmet(person) == []


def test_no_background_check_is_asked_where_the_policy_does_not_ask_for_one(partner):
    person = ready_to_activate(partner)
    _no_background_check(person)
    PolicyVersionFactory(partner=partner, values={**policy_fields.defaults(), "requires_background_check": False})
    acknowledge(person)

    assert activation_unmet(person) == []


def test_a_licence_that_ended_yesterday_blocks_activation(partner):
    person = ready_to_activate(partner)
    Licence.objects.filter(partner=partner).delete()
    LicenceFactory(partner=partner, past_end=True)

    assert codes(activation_unmet(person)) == ["no_active_licence"]


def test_resuming_from_a_pause_checks_the_requirements_again(partner, coordinator):
    person = ready_to_activate(partner)
    services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE)
    services.transition_person(
        by=coordinator, person=person, to=MentorStatus.PAUSED, reason="Exams", review_on=timezone.localdate()
    )
    _licence_suspended(person)

    with pytest.raises(RuleNotMet) as refused:
        services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE)

    assert codes(refused.value.unmet) == ["no_active_licence"]
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.PAUSED


def test_activation_is_judged_at_the_time_asked(partner):
    person = meet_every_requirement(PersonFactory(partner=partner, shadowing=True))
    before_the_licence = timezone.now() - timedelta(days=60)

    assert "no_active_licence" in codes(activation_unmet(person, at=before_the_licence))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_activations_at_once_make_one_move(partner, coordinator):
    person = ready_to_activate(partner)
    start = threading.Barrier(2)
    outcomes = []

    def attempt():
        try:
            start.wait()
            services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE)
            outcomes.append("moved")
        except IllegalTransition:
            outcomes.append("already active")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already active", "moved"]
    assert PersonTransition.objects.filter(person=person, to_status=MentorStatus.ACTIVE).count() == 1
