"""activation_unmet_for: what stands between many people and activation, read at once, in the words of
activation_unmet."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision.models import MentorStatus, Person
from supervision.people.rules import activation_unmet, activation_unmet_for
from tests.franchise.factories import PolicyVersionFactory
from tests.supervision.factories import PersonFactory
from tests.supervision.people.helpers import acknowledge, licence_for, ready_to_activate, shadow
from tests.training.factories import EnrolmentFactory


def as_pairs(unmet):
    return [(item.code, item.message) for item in unmet]


def a_mixed_world(partner):
    """People each missing something different, and one missing nothing."""
    ready = ready_to_activate(partner)
    nothing_done = PersonFactory(partner=partner, mentor_status=MentorStatus.SHADOWING)
    short_of_hours = PersonFactory(partner=partner, shadowing=True, background_check_on=timezone.localdate())
    shadow(short_of_hours, 2)
    acknowledge(short_of_hours)
    trained_by_course = PersonFactory(partner=partner, mentor_status=MentorStatus.IN_TRAINING)
    EnrolmentFactory(partner=partner, learner=trained_by_course, passed=True)
    return [ready, nothing_done, short_of_hours, trained_by_course]


def test_it_agrees_with_activation_unmet_person_by_person(partner):
    people = a_mixed_world(partner)
    together = activation_unmet_for(people)
    for person in people:
        assert as_pairs(together[person.pk]) == as_pairs(activation_unmet(person)), person.name
    assert together[people[0].pk] == []


def test_it_agrees_without_a_licence_and_without_a_policy_version(other_partner):
    person = PersonFactory(partner=other_partner, mentor_status=MentorStatus.SHADOWING)
    together = activation_unmet_for(Person.objects.filter(pk=person.pk))
    assert as_pairs(together[person.pk]) == as_pairs(activation_unmet(person))
    assert {"no_active_licence", "policy_not_acknowledged"} <= {item.code for item in together[person.pk]}


def test_a_newer_policy_version_is_unacknowledged_for_everyone_as_for_each(partner):
    people = a_mixed_world(partner)
    PolicyVersionFactory(partner=partner, effective_from=timezone.now())
    together = activation_unmet_for(people)
    for person in people:
        assert as_pairs(together[person.pk]) == as_pairs(activation_unmet(person))
    assert "policy_not_acknowledged" in {item.code for item in together[people[0].pk]}


def test_it_takes_a_queryset_and_people_of_several_partners(partner, other_partner):
    here = a_mixed_world(partner)
    licence_for(other_partner)
    there = PersonFactory(partner=other_partner, mentor_status=MentorStatus.SHADOWING)
    together = activation_unmet_for(Person.objects.filter(mentor_status__isnull=False))
    assert set(together) == {person.pk for person in here} | {there.pk}
    assert as_pairs(together[there.pk]) == as_pairs(activation_unmet(there))


def _queries(people):
    with CaptureQueriesContext(connection) as captured:
        activation_unmet_for(people)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_number_of_people(partner):
    few = a_mixed_world(partner)
    at_few = _queries(Person.objects.filter(pk__in=[p.pk for p in few]))
    for _ in range(5):
        a_mixed_world(partner)
    assert _queries(Person.objects.filter(partner=partner)) == at_few
