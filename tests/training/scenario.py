"""A training world shared by the domain tests (tests/training) and the API tests (tests/api/test_training*.py).

Northside holds a licence for a programme with five criteria (P1–P3, K1–K2);
`lead` (the `trainer` user's Person) and `verifier` are accredited trainers of it,
`co` a co-trainer candidate. Import the fixtures with
`from tests.training.scenario import *`.
"""

import pytest

from franchise.models import Role
from tests.factories import user_with_role
from tests.franchise.factories import LicenceFactory, ProgrammeFactory
from tests.supervision.factories import PersonFactory
from tests.training.factories import CourseFactory, EnrolmentFactory, TrainerAccreditationFactory

__all__ = [
    "programme",
    "licence",
    "lead",
    "co_user",
    "co",
    "verifier_user",
    "verifier",
    "course",
    "running_course",
    "learner_user",
    "learner",
    "enrolment",
    "person_for",
]


def person_for(user, partner, **fields):
    return PersonFactory(partner=partner, user=user, name=user.name, email=user.email, **fields)


@pytest.fixture
def programme(db):
    return ProgrammeFactory(with_criteria=True)


@pytest.fixture
def licence(partner, programme):
    return LicenceFactory(partner=partner, programme=programme)


@pytest.fixture
def lead(partner, programme, trainer):
    person = person_for(trainer, partner)
    TrainerAccreditationFactory(partner=partner, person=person, programme=programme)
    return person


@pytest.fixture
def co_user(partner):
    return user_with_role(Role.TRAINER, partner, email="co@example.org", name="Cleo Cotrainer")


@pytest.fixture
def co(partner, programme, co_user):
    person = person_for(co_user, partner)
    TrainerAccreditationFactory(partner=partner, person=person, programme=programme, co_trainer=True)
    return person


@pytest.fixture
def verifier_user(partner):
    return user_with_role(Role.TRAINER, partner, email="verifier@example.org", name="Vera Verifier")


@pytest.fixture
def verifier(partner, programme, verifier_user):
    person = person_for(verifier_user, partner)
    TrainerAccreditationFactory(partner=partner, person=person, programme=programme)
    return person


@pytest.fixture
def course(partner, programme, licence, lead, co):
    """An open course starting in two weeks, led by `lead` with `co` co-teaching."""
    return CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], open=True)


@pytest.fixture
def running_course(partner, programme, licence, lead, co):
    """A course that started a week ago (its sessions can take attendance)."""
    return CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], running=True)


@pytest.fixture
def learner_user(partner):
    return user_with_role(Role.MENTOR, partner, email="learner@example.org", name="Lee Learner")


@pytest.fixture
def learner(partner, learner_user):
    return person_for(learner_user, partner)


@pytest.fixture
def enrolment(partner, running_course, learner):
    return EnrolmentFactory(partner=partner, course=running_course, learner=learner)
