"""Scheduling a course: licence and accreditation checks, who may schedule, the status machine."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted
from tests.franchise.factories import LicenceFactory, ProgrammeFactory
from tests.supervision.factories import PersonFactory
from tests.training.factories import (
    CourseAttendanceFactory,
    CourseFactory,
    CourseSessionFactory,
    EnrolmentFactory,
    TrainerAccreditationFactory,
)
from training import services
from training.models import Course, Enrolment

TODAY = timezone.localdate()


def schedule(by, programme, lead, **overrides):
    values = {
        "title": "Spring cohort",
        "starts_on": TODAY + timedelta(days=10),
        "ends_on": TODAY + timedelta(days=40),
        "capacity": 8,
    }
    values.update(overrides)
    return services.create_course(by=by, programme=programme, lead_trainer=lead, **values)


def test_a_coordinator_schedules_a_course_for_the_lead_trainers_partner(
    coordinator, partner, programme, licence, lead, co
):
    course = schedule(coordinator, programme, lead, co_trainers=[co])

    assert course.partner == partner
    assert course.status == Course.Status.PLANNED
    assert list(course.co_trainers.all()) == [co]
    assert course.created_by == coordinator


def test_without_a_licence_the_course_is_refused_on_programme(coordinator, programme, lead):
    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, lead)

    assert set(refused.value.message_dict) == {"programme"}
    assert Course.objects.count() == 0


@pytest.mark.parametrize("trait", ["suspended", "expired", "draft"])
def test_a_licence_that_is_not_active_blocks_new_courses(coordinator, partner, programme, lead, trait):
    LicenceFactory(partner=partner, programme=programme, **{trait: True})

    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, lead)

    assert "programme" in refused.value.message_dict


def test_a_licence_ending_before_the_course_ends_is_not_enough(coordinator, partner, programme, lead):
    LicenceFactory(partner=partner, programme=programme, ends_on=TODAY + timedelta(days=20))

    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, lead)

    assert "programme" in refused.value.message_dict


def test_a_licence_for_another_programme_is_not_enough(coordinator, partner, programme, lead):
    LicenceFactory(partner=partner, programme=ProgrammeFactory())

    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, lead)

    assert "programme" in refused.value.message_dict


@pytest.mark.parametrize(
    "accreditation",
    [None, {"co_trainer": True}, {"candidate": True}, {"lapsed": True}, {"suspended": True}],
    ids=["none", "co_trainer", "candidate", "lapsed", "suspended"],
)
def test_a_lead_without_an_active_accredited_trainer_stage_is_refused(
    coordinator, partner, programme, licence, accreditation
):
    person = PersonFactory(partner=partner)
    if accreditation is not None:
        TrainerAccreditationFactory(partner=partner, person=person, programme=programme, **accreditation)

    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, person)

    assert set(refused.value.message_dict) == {"lead_trainer"}
    assert Course.objects.count() == 0


def test_a_lead_whose_accreditation_expires_before_the_course_ends_is_refused(coordinator, partner, programme, licence):
    person = PersonFactory(partner=partner)
    TrainerAccreditationFactory(
        partner=partner, person=person, programme=programme, expires_on=TODAY + timedelta(days=20)
    )

    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, person)

    assert "expires on" in refused.value.message_dict["lead_trainer"][0]


def test_a_trainer_of_trainers_may_lead(coordinator, partner, programme, licence):
    person = PersonFactory(partner=partner)
    TrainerAccreditationFactory(partner=partner, person=person, programme=programme, trainer_of_trainers=True)

    assert schedule(coordinator, programme, person).lead_trainer == person


def test_every_broken_rule_is_reported_at_once(coordinator, partner, programme):
    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, PersonFactory(partner=partner), co_trainers=[PersonFactory(partner=partner)])

    assert set(refused.value.message_dict) == {"programme", "lead_trainer", "co_trainers"}


def test_co_trainers_need_at_least_the_co_trainer_stage(coordinator, partner, programme, licence, lead):
    candidate = PersonFactory(partner=partner)
    TrainerAccreditationFactory(partner=partner, person=candidate, programme=programme, candidate=True)

    with pytest.raises(ValidationError) as refused:
        schedule(coordinator, programme, lead, co_trainers=[candidate])

    assert set(refused.value.message_dict) == {"co_trainers"}


def test_an_inverted_date_range_is_refused_on_ends_on(coordinator, programme, licence, lead):
    with pytest.raises(Invalid) as refused:
        schedule(coordinator, programme, lead, ends_on=TODAY)

    assert refused.value.field == "ends_on"


def test_a_trainer_may_schedule_a_course_they_lead(trainer, programme, licence, lead):
    assert schedule(trainer, programme, lead).created_by == trainer


def test_a_trainer_may_not_schedule_a_course_led_by_someone_else(co_user, programme, licence, lead):
    with pytest.raises(NotPermitted):
        schedule(co_user, programme, lead)


def test_another_partners_coordinator_cannot_schedule_here(other_coordinator, programme, licence, lead):
    with pytest.raises(NotFound):
        schedule(other_coordinator, programme, lead)


def test_rescheduling_beyond_the_licence_is_refused_and_nothing_changes(coordinator, course, licence):
    with pytest.raises(ValidationError) as refused:
        services.update_course(by=coordinator, course=course, ends_on=licence.ends_on + timedelta(days=1))

    assert "programme" in refused.value.message_dict
    course.refresh_from_db()
    assert course.ends_on < licence.ends_on


def test_rescheduling_within_the_licence_moves_the_course(coordinator, course):
    moved = services.update_course(
        by=coordinator, course=course, starts_on=course.starts_on + timedelta(days=7), ends_on=course.ends_on
    )
    assert moved.starts_on == course.starts_on + timedelta(days=7)


def test_changing_the_lead_rechecks_the_accreditation(coordinator, partner, course):
    with pytest.raises(ValidationError) as refused:
        services.update_course(by=coordinator, course=course, lead_trainer=PersonFactory(partner=partner))

    assert "lead_trainer" in refused.value.message_dict


def test_capacity_cannot_drop_below_the_places_taken(coordinator, partner, course):
    EnrolmentFactory.create_batch(3, partner=partner, course=course)

    with pytest.raises(Invalid) as refused:
        services.update_course(by=coordinator, course=course, capacity=2)

    assert refused.value.code == "capacity_below_taken"


def test_a_course_moves_from_planned_to_completed(coordinator, partner, programme, licence, lead):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead)
    for status in (Course.Status.OPEN, Course.Status.RUNNING, Course.Status.COMPLETED):
        course = services.transition_course(by=coordinator, course=course, to=status)
    assert course.status == Course.Status.COMPLETED
    assert course.status_changed_at is not None


def test_a_course_cannot_skip_a_step(coordinator, partner, programme, lead):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead)

    with pytest.raises(IllegalTransition) as refused:
        services.transition_course(by=coordinator, course=course, to=Course.Status.COMPLETED)

    assert refused.value.allowed == ["cancelled", "open"]


def test_a_completed_course_is_not_cancelled(coordinator, partner, programme, lead):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, completed=True)

    with pytest.raises(IllegalTransition):
        services.transition_course(by=coordinator, course=course, to=Course.Status.CANCELLED)


def test_a_co_trainer_does_not_manage_the_course(co_user, course):
    with pytest.raises(NotPermitted):
        services.transition_course(by=co_user, course=course, to=Course.Status.RUNNING)


def test_completing_a_course_completes_non_accredited_learners_with_full_attendance(
    coordinator, partner, running_course
):
    session = CourseSessionFactory(partner=partner, course=running_course)
    attended = EnrolmentFactory(partner=partner, course=running_course, non_accredited=True)
    missed = EnrolmentFactory(partner=partner, course=running_course, non_accredited=True)
    qualification = EnrolmentFactory(partner=partner, course=running_course)
    CourseAttendanceFactory(partner=partner, session=session, enrolment=attended)
    CourseAttendanceFactory(partner=partner, session=session, enrolment=qualification)
    CourseAttendanceFactory(partner=partner, session=session, enrolment=missed, status="apologies")

    services.transition_course(by=coordinator, course=running_course, to=Course.Status.COMPLETED)

    statuses = dict(Enrolment.objects.values_list("pk", "status"))
    assert statuses == {attended.pk: "completed", missed.pk: "enrolled", qualification.pk: "enrolled"}


def test_a_session_falls_within_the_course_and_covers_its_programmes_units(coordinator, course):
    other_unit = ProgrammeFactory(with_criteria=True).units.get()

    with pytest.raises(ValidationError) as refused:
        services.create_session(
            by=coordinator,
            course=course,
            date=course.ends_on + timedelta(days=1),
            starts_at=course.created_at.time().replace(hour=10, minute=0),
            ends_at=course.created_at.time().replace(hour=9, minute=0),
            topic="Boundaries",
            units=[other_unit],
        )

    assert set(refused.value.message_dict) == {"date", "ends_at", "units"}
    assert course.sessions.count() == 0
