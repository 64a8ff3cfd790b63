"""Who counts as trained: a passed qualification enrolment, a completed non-accredited one, or recognised prior
learning. Learners study with or without the qualification and both are trained; only the certificate needs the
qualification. Mentor activation, a peer group's trained majority and the people list all read one definition."""

import pytest

from supervision.models import Person
from supervision.people.rules import activation_unmet, activation_unmet_for
from supervision.sessions import services as session_services
from tests.supervision.factories import PersonFactory, SupervisionGroupFactory
from tests.supervision.people.helpers import meet_every_requirement
from tests.supervision.sessions.helpers import mentors
from tests.training.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


def _completed_without_qualification(person):
    return EnrolmentFactory(partner=person.partner, learner=person, non_accredited=True, status="completed")


def _shadowing_mentor_trained_only_by(partner, enrol):
    person = meet_every_requirement(PersonFactory(partner=partner, shadowing=True))
    person.prior_learning_on = None
    person.save()
    enrol(person)
    return person


def test_a_completed_non_accredited_enrolment_meets_the_training_requirement_of_activation(partner):
    person = _shadowing_mentor_trained_only_by(partner, _completed_without_qualification)

    assert activation_unmet(person) == []
    assert activation_unmet_for([person])[person.pk] == []


def test_an_enrolment_still_under_way_does_not_make_a_person_trained(partner):
    person = _shadowing_mentor_trained_only_by(
        partner, lambda p: EnrolmentFactory(partner=partner, learner=p, non_accredited=True)
    )

    assert [item.code for item in activation_unmet(person)] == ["not_trained"]


def test_a_completed_qualification_enrolment_is_not_yet_trained(partner):
    # Completing is a non-accredited learner's end; a qualification learner is trained once verified as passed.
    person = PersonFactory(partner=partner, mentor_status="active")
    EnrolmentFactory(partner=partner, learner=person, status="completed")

    assert Person.objects.with_trained().get(pk=person.pk).trained is False


def test_non_accredited_learners_count_towards_a_peer_groups_trained_majority(partner, coordinator):
    untrained = mentors(partner, 3, trained=False)
    for person in untrained[:2]:
        _completed_without_qualification(person)
    group = SupervisionGroupFactory(partner=partner, members=mentors(partner, 1) + untrained)

    session_services.activate_group(by=coordinator, group=group)

    group.refresh_from_db()
    assert group.status == group.Status.ACTIVE


def test_the_people_list_shows_a_non_accredited_learner_as_trained(partner, coordinator, client_for):
    person = PersonFactory(partner=partner, mentor_status="in_training")
    _completed_without_qualification(person)

    response = client_for(coordinator).get("/api/v1/people/", {"trained": "true"})

    assert [row["id"] for row in response.json()["results"]] == [str(person.pk)]
    assert response.json()["results"][0]["trained"] is True
