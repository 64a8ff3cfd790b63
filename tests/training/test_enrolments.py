"""Enrolling learners: capacity (also under concurrency), who may enrol, attendance and withdrawal."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.errors import IllegalTransition, Invalid, NotPermitted, RuleNotMet
from tests.factories import PartnerFactory
from tests.supervision.factories import PersonFactory
from tests.training.factories import CourseAttendanceFactory, CourseFactory, CourseSessionFactory, EnrolmentFactory
from training import services
from training.models import Certificate, CourseAttendance, Enrolment


def test_a_coordinator_enrols_a_learner(coordinator, partner, course):
    learner = PersonFactory(partner=partner)

    enrolment = services.enrol(by=coordinator, course=course, learner=learner, track="non_accredited")

    assert (enrolment.partner, enrolment.status, enrolment.track) == (partner, "enrolled", "non_accredited")


def test_the_lead_trainer_enrols_but_a_co_trainer_does_not(trainer, co_user, partner, course):
    services.enrol(by=trainer, course=course, learner=PersonFactory(partner=partner))

    with pytest.raises(NotPermitted):
        services.enrol(by=co_user, course=course, learner=PersonFactory(partner=partner))


def test_a_full_course_refuses_the_next_learner_and_writes_nothing(coordinator, partner, course):
    course.capacity = 2
    course.save()
    EnrolmentFactory.create_batch(2, partner=partner, course=course)

    with pytest.raises(Invalid) as refused:
        services.enrol(by=coordinator, course=course, learner=PersonFactory(partner=partner))

    assert (refused.value.field, refused.value.code) == ("course", "course_full")
    assert course.enrolments.count() == 2


def test_a_withdrawn_learner_frees_their_place_and_may_come_back(coordinator, partner, course):
    course.capacity = 1
    course.save()
    withdrawn = EnrolmentFactory(partner=partner, course=course, withdrawn=True)

    newcomer = services.enrol(by=coordinator, course=course, learner=PersonFactory(partner=partner))
    assert newcomer.status == "enrolled"

    newcomer.status = "withdrawn"
    newcomer.save()
    back = services.enrol(by=coordinator, course=course, learner=withdrawn.learner)
    assert back.pk == withdrawn.pk and back.status == "enrolled"


def test_a_learner_is_enrolled_once(coordinator, partner, course):
    enrolment = EnrolmentFactory(partner=partner, course=course)

    with pytest.raises(Invalid) as refused:
        services.enrol(by=coordinator, course=course, learner=enrolment.learner)

    assert refused.value.code == "already_enrolled"


def test_a_learner_of_another_partner_is_refused(coordinator, course):
    with pytest.raises(Invalid) as refused:
        services.enrol(by=coordinator, course=course, learner=PersonFactory(partner=PartnerFactory()))

    assert refused.value.field == "learner"
    assert not course.enrolments.exists()


def test_a_running_course_takes_no_new_learners(coordinator, partner, running_course):
    with pytest.raises(Invalid) as refused:
        services.enrol(by=coordinator, course=running_course, learner=PersonFactory(partner=partner))

    assert refused.value.code == "course_not_enrolling"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_never_overfill_a_course():
    from franchise.models import Role
    from tests.factories import user_with_role
    from tests.franchise.factories import LicenceFactory, ProgrammeFactory
    from tests.training.factories import TrainerAccreditationFactory

    partner = PartnerFactory()
    coordinator = user_with_role(Role.COORDINATOR, partner)
    programme = ProgrammeFactory()
    LicenceFactory(partner=partner, programme=programme)
    lead = PersonFactory(partner=partner)
    TrainerAccreditationFactory(partner=partner, person=lead, programme=programme)
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, capacity=3, open=True)
    learners = PersonFactory.create_batch(10, partner=partner)
    start = threading.Barrier(len(learners))
    outcomes = []

    def enrol(learner):
        try:
            start.wait()
            services.enrol(by=coordinator, course=course, learner=learner)
            outcomes.append("enrolled")
        except Invalid as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["course_full"] * 7 + ["enrolled"] * 3
    assert Enrolment.objects.filter(course=course).count() == 3


# --- attendance ------------------------------------------------------------------------


def test_a_co_trainer_takes_attendance_and_a_second_record_replaces_the_first(co_user, partner, enrolment):
    session = CourseSessionFactory(partner=partner, course=enrolment.course)

    services.record_attendance(by=co_user, session=session, entries=[(enrolment, "absent")])
    rows = services.record_attendance(by=co_user, session=session, entries=[(enrolment, "present")])

    assert [(row.enrolment_id, row.status) for row in rows] == [(enrolment.pk, "present")]
    assert CourseAttendance.objects.count() == 1


def test_attendance_is_not_taken_ahead_of_the_session(coordinator, partner, course):
    enrolment = EnrolmentFactory(partner=partner, course=course)
    session = CourseSessionFactory(partner=partner, course=course)

    with pytest.raises(Invalid) as refused:
        services.record_attendance(by=coordinator, session=session, entries=[(enrolment, "present")])

    assert refused.value.code == "session_ahead"


def test_attendance_names_only_learners_of_the_course(coordinator, partner, enrolment, running_course):
    session = CourseSessionFactory(partner=partner, course=running_course)
    stranger = EnrolmentFactory(partner=partner)

    with pytest.raises(ValidationError) as refused:
        services.record_attendance(
            by=coordinator, session=session, entries=[(enrolment, "present"), (stranger, "present")]
        )

    assert "attendance" in refused.value.message_dict
    assert not CourseAttendance.objects.exists()


def test_a_trainer_not_on_the_course_does_not_take_attendance(verifier_user, partner, enrolment):
    session = CourseSessionFactory(partner=partner, course=enrolment.course)

    with pytest.raises(NotPermitted):
        services.record_attendance(by=verifier_user, session=session, entries=[(enrolment, "present")])


# --- enrolment status ------------------------------------------------------------------


def test_a_non_accredited_learner_completes_on_full_attendance(coordinator, partner, running_course):
    enrolment = EnrolmentFactory(partner=partner, course=running_course, non_accredited=True)
    first, second = CourseSessionFactory.create_batch(2, partner=partner, course=running_course)
    CourseAttendanceFactory(partner=partner, session=first, enrolment=enrolment)

    with pytest.raises(RuleNotMet) as refused:
        services.transition_enrolment(by=coordinator, enrolment=enrolment, to="completed")
    assert [item.code for item in refused.value.unmet] == ["session_missed"]

    CourseAttendanceFactory(partner=partner, session=second, enrolment=enrolment)
    assert services.transition_enrolment(by=coordinator, enrolment=enrolment, to="completed").status == "completed"
    assert not Certificate.objects.filter(enrolment=enrolment).exists()


def test_a_qualification_learner_does_not_complete_on_attendance(coordinator, enrolment):
    with pytest.raises(Invalid) as refused:
        services.transition_enrolment(by=coordinator, enrolment=enrolment, to="completed")

    assert refused.value.code == "qualification_completes_by_verification"


def test_passed_is_reached_only_through_verification(coordinator, enrolment):
    with pytest.raises(IllegalTransition):
        services.transition_enrolment(by=coordinator, enrolment=enrolment, to="passed")


def test_a_withdrawn_enrolment_stays_withdrawn(coordinator, partner, running_course):
    enrolment = EnrolmentFactory(partner=partner, course=running_course, withdrawn=True)

    with pytest.raises(IllegalTransition):
        services.transition_enrolment(by=coordinator, enrolment=enrolment, to="referred")
    assert Enrolment.objects.get(pk=enrolment.pk).status == "withdrawn"
