"""The train-the-trainer path drawn from the records, for any number of trainers in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.training.factories import (
    CertificateFactory,
    CourseFactory,
    CourseSessionFactory,
    EnrolmentFactory,
    TeachingRecordFactory,
    TrainerAccreditationFactory,
)
from tests.training.scenario import *  # noqa: F403
from training import services
from training.models import TeachingRecord, TrainerAccreditation
from training.pathway import trainer_paths

pytestmark = pytest.mark.django_db
Stage = TrainerAccreditation.Stage


def _steps(accreditation):
    return {step.stage: step for step in trainer_paths([accreditation])[accreditation.pk]}


def test_a_learner_who_passed_and_was_promoted_shows_each_step_with_its_evidence(
    partner, programme, licence, lead, learner, coordinator
):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, completed=True)
    enrolment = EnrolmentFactory(partner=partner, course=course, learner=learner, passed=True)
    CertificateFactory(partner=partner, enrolment=enrolment)
    accreditation = TrainerAccreditationFactory(partner=partner, person=learner, programme=programme, candidate=True)
    services.promote_accreditation(by=coordinator, accreditation=accreditation)
    accreditation.refresh_from_db()

    steps = _steps(accreditation)

    assert steps[Stage.CANDIDATE].reached and f"Passed {course.title}." in steps[Stage.CANDIDATE].evidence
    assert any(line.startswith("Certificate issued") for line in steps[Stage.CANDIDATE].evidence)
    assert steps[Stage.CO_TRAINER].current and steps[Stage.CO_TRAINER].reached_on == timezone.localdate()
    assert not steps[Stage.ACCREDITED_TRAINER].reached
    assert "0 co-taught sessions signed off by an accredited trainer." in steps[Stage.ACCREDITED_TRAINER].evidence
    assert not steps[Stage.TRAINER_OF_TRAINERS].reached


def test_signed_off_teaching_counts_and_unsigned_does_not(partner, programme, licence, lead, co):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], running=True)
    today = timezone.localdate()
    for days, signed in ((5, True), (4, False)):
        session = CourseSessionFactory(partner=partner, course=course, date=today - timedelta(days=days))
        TeachingRecordFactory(
            partner=partner,
            session=session,
            person=co,
            role=TeachingRecord.Role.CO,
            signed_off_by=lead if signed else None,
            signed_off_at=timezone.now() if signed else None,
        )

    evidence = _steps(TrainerAccreditation.objects.get(person=co))[Stage.ACCREDITED_TRAINER].evidence

    assert "1 co-taught session signed off by an accredited trainer." in evidence
    assert "No observed delivery signed off yet." in evidence


def test_any_number_of_trainers_costs_the_same_queries(partner, programme):
    def paths_of(count):
        for _ in range(count):
            TrainerAccreditationFactory(partner=partner, programme=programme, co_trainer=True)
        accreditations = TrainerAccreditation.objects.select_related("person", "programme")
        with CaptureQueriesContext(connection) as queries:
            paths = trainer_paths(accreditations)
        return len(paths), len(queries)

    one = paths_of(1)
    five = paths_of(4)
    assert (one[0], five[0]) == (1, 5)
    assert one[1] == five[1]


def test_a_stage_the_licensor_granted_directly_marks_the_earlier_step_not_on_record(partner, programme):
    accreditation = TrainerAccreditationFactory(partner=partner, programme=programme, co_trainer=True)

    steps = _steps(accreditation)

    assert steps[Stage.CANDIDATE].skipped and not steps[Stage.CANDIDATE].reached
    assert steps[Stage.CO_TRAINER].reached and not steps[Stage.CO_TRAINER].skipped
    assert not steps[Stage.ACCREDITED_TRAINER].skipped


def test_a_signer_is_offered_only_the_records_their_stage_may_sign_off_and_never_their_own(
    partner, programme, licence, trainer, lead, co
):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], running=True)
    day = timezone.localdate() - timedelta(days=3)
    co_taught, observed, own = (
        TeachingRecordFactory(
            partner=partner,
            session=CourseSessionFactory(partner=partner, course=course, date=day - timedelta(days=n)),
            person=person,
            role=role,
            observed=watched,
        )
        for n, person, role, watched in (
            (0, co, TeachingRecord.Role.CO, False),
            (1, co, TeachingRecord.Role.CO, True),
            (2, lead, TeachingRecord.Role.LEAD, False),
        )
    )

    assert list(services.records_to_sign_off(trainer, partner)) == [co_taught]

    TrainerAccreditation.objects.filter(person=lead).update(stage=Stage.TRAINER_OF_TRAINERS)
    assert set(services.records_to_sign_off(trainer, partner)) == {co_taught, observed}
    assert own not in services.records_to_sign_off(trainer, partner)
