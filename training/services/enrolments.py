"""Training use cases for enrolments and their lifecycle."""

from django.db import transaction
from django.utils import timezone

from core.errors import Invalid, RuleNotMet, check_transition
from core.tenancy import COORDINATOR, can_write
from training import rules
from training.models import Course, Enrolment
from training.services._common import _lock, _set_enrolment_status, require_course_manager, require_course_trainer


@transaction.atomic
def enrol(*, by, course, learner, track=Enrolment.Track.QUALIFICATION):
    """Enrol a learner of the course's partner; refuses when the course is full.

    The course row is locked first, so concurrent enrolments on one course run
    one after the other and each sees the places the others took.
    """
    require_course_manager(by, course)
    course = _lock(Course, course.pk)
    if learner.partner_id != course.partner_id:
        raise Invalid(f"{learner.name} does not belong to this course's partner.", field="learner")
    if course.status not in Course.ENROLLING:
        raise Invalid(
            f"The course is {course.status}; learners enrol while it is planned or open.",
            field="course",
            code="course_not_enrolling",
        )
    existing = Enrolment.objects.filter(course=course, learner=learner).first()
    if existing is not None and existing.status != Enrolment.Status.WITHDRAWN:
        raise Invalid(f"{learner.name} is already enrolled on this course.", field="learner", code="already_enrolled")
    taken = course.enrolments.holding_a_place().count()
    if taken >= course.capacity:
        raise Invalid(
            f"The course is full: all {course.capacity} places are taken.", field="course", code="course_full"
        )
    if existing is not None:
        # Someone who withdrew and comes back takes up their old enrolment (and its records) again.
        existing.track, existing.status, existing.status_changed_at = track, Enrolment.Status.ENROLLED, timezone.now()
        existing.save(update_fields=["track", "status", "status_changed_at", "updated_at"])
        return existing
    return Enrolment.objects.create(partner_id=course.partner_id, course=course, learner=learner, track=track)


@transaction.atomic
def transition_enrolment(*, by, enrolment, to):
    """Withdraw, refer, or complete (non-accredited learners, on attendance alone) an enrolment.

    `passed` is not reached here: it is the outcome of verify_enrolment.
    """
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",)).select_related("course", "learner").get(pk=enrolment.pk)
    )
    course = enrolment.course
    if not can_write(by, course.partner_id, (COORDINATOR,)):
        require_course_trainer(by, course, "Only the course's trainers and the partner's coordinators may do this.")
    check_transition(Enrolment.TRANSITIONS, enrolment.status, to)
    if to == Enrolment.Status.COMPLETED:
        if enrolment.track != Enrolment.Track.NON_ACCREDITED:
            raise Invalid(
                "A qualification learner passes through internal verification, not by completing.",
                code="qualification_completes_by_verification",
            )
        unmet = rules.attendance_complete(enrolment)
        if unmet:
            raise RuleNotMet(unmet, "Attendance is not complete.")
    if to == Enrolment.Status.REFERRED and enrolment.track != Enrolment.Track.QUALIFICATION:
        raise Invalid("Only a qualification learner is referred.", code="not_on_qualification_track")
    _set_enrolment_status(enrolment, to, timezone.now())
    return enrolment
