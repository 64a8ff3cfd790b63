"""The training demo: a completed cohort with certificates, two accredited trainers, two co-trainers."""

import pytest

from training import rules
from training.models import Certificate, Course, CourseSession, Enrolment, TeachingRecord, TrainerAccreditation


@pytest.fixture
def world(demo):
    return demo


def test_the_demo_has_a_completed_cohort_of_six_with_five_certified(world):
    spring = world["courses"]["spring"]

    assert spring.status == Course.Status.COMPLETED
    assert CourseSession.objects.filter(course=spring).count() == 6
    statuses = sorted(Enrolment.objects.filter(course=spring).values_list("track", "status"))
    assert statuses == [("non_accredited", "completed")] + [("qualification", "passed")] * 5
    assert Certificate.objects.filter(enrolment__course=spring, status="valid").count() == 5


def test_the_demo_has_two_accredited_trainers_and_two_co_trainers_on_their_way(world):
    stages = sorted(TrainerAccreditation.objects.values_list("stage", flat=True))
    assert stages == ["accredited_trainer", "accredited_trainer", "co_trainer", "co_trainer"]

    first, second = (TrainerAccreditation.objects.get(person=p) for p in world["co_trainers"])
    assert [item.code for item in rules.promotion_evidence(first)] == [
        "co_taught_sessions_short",
        "observed_delivery_missing",
    ]
    assert TeachingRecord.objects.signed_off().filter(person=first.person).count() == 1
    assert not TeachingRecord.objects.filter(person=second.person).exists()


def test_the_demo_lead_delivered_a_course_but_is_short_of_cpd(world):
    standing = rules.standing(TrainerAccreditation.objects.get(person=world["trainers"]["lead"]))

    assert standing.deliveries == 1
    assert [item.code for item in standing.missing] == ["cpd_hours_short"]
