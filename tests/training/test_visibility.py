"""Who sees which training rows (querysets' visible_to), and the `trained` expression."""

import pytest
from django.db.models import Exists

from franchise.models import Role
from supervision.models import Person
from tests.factories import PartnerFactory, user_with_role
from tests.training.factories import (
    CertificateFactory,
    CourseFactory,
    CPDRecordFactory,
    EnrolmentFactory,
    TeachingRecordFactory,
    TrainerAccreditationFactory,
)
from training.models import Certificate, Course, CPDRecord, Enrolment, TeachingRecord, TrainerAccreditation
from training.querysets import finished_course_exists, people_who_finished_a_course


@pytest.fixture
def other_course(partner, programme):
    """A course of the same partner that none of the scenario's trainers teaches."""
    return CourseFactory(partner=partner, programme=programme)


def test_a_coordinator_sees_every_course_of_the_partner_and_no_other(coordinator, partner, course, other_course):
    CourseFactory(partner=PartnerFactory())

    assert set(Course.objects.visible_to(coordinator)) == {course, other_course}


def test_a_trainer_sees_the_courses_they_teach(trainer, co_user, course, other_course):
    assert list(Course.objects.visible_to(trainer)) == [course]
    assert list(Course.objects.visible_to(co_user)) == [course]


def test_a_learner_sees_their_course_and_their_own_enrolment_only(learner_user, partner, enrolment):
    EnrolmentFactory(partner=partner, course=enrolment.course)

    assert list(Course.objects.visible_to(learner_user)) == [enrolment.course]
    assert list(Enrolment.objects.visible_to(learner_user)) == [enrolment]


def test_someone_who_left_the_partner_sees_nothing_of_it(learner_user, enrolment):
    learner_user.memberships.all().delete()

    assert not Course.objects.visible_to(learner_user).exists()
    assert not Enrolment.objects.visible_to(learner_user).exists()


def test_an_accredited_trainer_of_the_partner_sees_the_programmes_enrolments_to_verify(
    verifier_user, verifier, enrolment, partner
):
    EnrolmentFactory(partner=partner)  # another programme's course

    assert list(Enrolment.objects.visible_to(verifier_user)) == [enrolment]


def test_the_licensor_sees_every_partners_training(licensor, course):
    other = CourseFactory(partner=PartnerFactory())

    assert set(Course.objects.visible_to(licensor)) == {course, other}


def test_trainers_see_their_own_accreditation_and_records_only(trainer, partner, lead, co):
    mine = CPDRecordFactory(partner=partner, person=lead)
    CPDRecordFactory(partner=partner, person=co)

    assert list(TrainerAccreditation.objects.visible_to(trainer)) == [TrainerAccreditation.objects.get(person=lead)]
    assert list(CPDRecord.objects.visible_to(trainer)) == [mine]


def test_coordinators_see_the_partners_accreditations(coordinator, lead, co):
    TrainerAccreditationFactory(partner=PartnerFactory())

    assert TrainerAccreditation.objects.visible_to(coordinator).count() == 2


def test_the_course_team_sees_the_courses_teaching_records(co_user, partner, course):
    record = TeachingRecordFactory(partner=partner, session__course=course, session__partner=partner)
    TeachingRecordFactory(partner=partner)

    assert list(TeachingRecord.objects.visible_to(co_user)) == [record]


def test_a_certificate_is_seen_by_its_holder_but_not_by_other_learners(learner_user, partner, enrolment):
    enrolment.status, enrolment.verified_at = "passed", enrolment.created_at
    enrolment.save()
    mine = CertificateFactory(partner=partner, enrolment=enrolment)
    CertificateFactory(partner=partner)
    classmate = user_with_role(Role.MENTOR, partner, email="classmate@example.org")

    assert list(Certificate.objects.visible_to(learner_user)) == [mine]
    assert not Certificate.objects.visible_to(classmate).exists()


def test_a_person_is_trained_once_an_enrolment_of_theirs_has_passed_or_completed_without_the_qualification(partner):
    passed = EnrolmentFactory(partner=partner, passed=True, learner__name="A Passed").learner
    completed = EnrolmentFactory(
        partner=partner, non_accredited=True, status="completed", learner__name="B Completed"
    ).learner
    EnrolmentFactory(partner=partner, learner=passed)  # a second, unfinished enrolment changes nothing
    EnrolmentFactory(partner=partner, non_accredited=True)  # still enrolled: not trained

    trained = Person.objects.annotate(trained=finished_course_exists()).filter(trained=True).order_by("name")

    assert list(trained) == [passed, completed]
    assert list(people_who_finished_a_course().order_by("name")) == [passed, completed]
    assert isinstance(finished_course_exists(), Exists)
