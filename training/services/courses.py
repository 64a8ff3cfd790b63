"""Training use cases for courses: creating and changing them, and their lifecycle."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import Invalid, check_transition
from core.tenancy import COORDINATOR, TRAINER, access_for, can_write, require_role
from training import rules
from training.models import Course, Enrolment
from training.services._common import _lock, _set_enrolment_status, require_course_manager


def _check_course(*, partner, programme, lead_trainer, co_trainers, starts_on, ends_on):
    """Raise a ValidationError naming every field that breaks a course rule (licence, accreditations)."""
    if ends_on < starts_on:
        raise Invalid(
            f"The course cannot end ({ends_on.isoformat()}) before it starts ({starts_on.isoformat()}).",
            field="ends_on",
            code="dates_inverted",
        )
    errors = {}
    for field, unmet in (
        ("programme", rules.licence_covers_course(partner, programme, starts_on, ends_on)),
        ("lead_trainer", rules.lead_trainer_accredited(lead_trainer, programme, ends_on)),
    ):
        if unmet:
            errors[field] = [item.message for item in unmet]
    co_messages = []
    for person in co_trainers:
        if person.partner_id != partner.pk:
            co_messages.append(f"{person.name} does not belong to {partner.name}.")
        elif person.pk == lead_trainer.pk:
            co_messages.append(f"{person.name} already leads this course.")
        else:
            co_messages += [item.message for item in rules.co_trainer_accredited(person, programme, ends_on)]
    if co_messages:
        errors["co_trainers"] = co_messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_course(
    *,
    by,
    programme,
    lead_trainer,
    title,
    starts_on,
    ends_on,
    capacity,
    mode=Course.Mode.IN_PERSON,
    venue="",
    co_trainers=(),
):
    """A planned course of `programme`, run by the lead trainer's partner.

    The partner must hold an active licence for the programme on every day of
    the course, and the lead an active accreditation of accredited_trainer or
    higher that lasts the course. Coordinators create courses; so may a trainer
    who leads the course themselves.
    """
    partner = lead_trainer.partner
    if not (can_write(by, partner, (COORDINATOR,)) or lead_trainer.user_id == by.pk):
        require_role(by, partner, (COORDINATOR,), message="Only coordinators schedule courses led by someone else.")
    if not access_for(by).is_licensor:
        require_role(by, partner, (COORDINATOR, TRAINER))
    co_trainers = list(co_trainers)
    _check_course(
        partner=partner,
        programme=programme,
        lead_trainer=lead_trainer,
        co_trainers=co_trainers,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    course = Course.objects.create(
        partner=partner,
        programme=programme,
        lead_trainer=lead_trainer,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        mode=mode,
        venue=venue,
        created_by=by,
    )
    course.co_trainers.set(co_trainers)
    return course


COURSE_EDITABLE = ("title", "starts_on", "ends_on", "capacity", "mode", "venue", "programme", "lead_trainer")
# A change to any of these re-checks the licence and the trainers' accreditations.
COURSE_RECHECKED = ("starts_on", "ends_on", "programme", "lead_trainer", "co_trainers")


@transaction.atomic
def update_course(*, by, course, **changes):
    """Edit or reschedule a course that has not finished. Capacity never drops below the places taken."""
    course = _lock(Course, course.pk)
    require_course_manager(by, course)
    if course.status in (Course.Status.COMPLETED, Course.Status.CANCELLED):
        raise Invalid(f"A {course.status} course cannot be changed.", code="course_closed")
    unknown = set(changes) - set(COURSE_EDITABLE) - {"co_trainers"}
    if unknown:
        raise Invalid(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    lead = changes.get("lead_trainer", course.lead_trainer)
    if lead.partner_id != course.partner_id:
        raise Invalid(f"{lead.name} does not belong to this course's partner.", field="lead_trainer")
    if "programme" in changes and changes["programme"].pk != course.programme_id and course.enrolments.exists():
        raise Invalid("Learners are enrolled: the programme can no longer change.", field="programme")
    if "capacity" in changes:
        taken = course.enrolments.holding_a_place().count()
        if changes["capacity"] < taken:
            raise Invalid(
                f"{taken} places are taken; the capacity cannot be lower.",
                field="capacity",
                code="capacity_below_taken",
            )
    co_trainers = list(changes.pop("co_trainers")) if "co_trainers" in changes else None
    if any(name in changes or (name == "co_trainers" and co_trainers is not None) for name in COURSE_RECHECKED):
        _check_course(
            partner=course.partner,
            programme=changes.get("programme", course.programme),
            lead_trainer=lead,
            co_trainers=co_trainers if co_trainers is not None else list(course.co_trainers.all()),
            starts_on=changes.get("starts_on", course.starts_on),
            ends_on=changes.get("ends_on", course.ends_on),
        )
    for name, value in changes.items():
        setattr(course, name, value)
    course.save()
    if co_trainers is not None:
        course.co_trainers.set(co_trainers)
    return course


@transaction.atomic
def transition_course(*, by, course, to):
    """Move a course along planned → open → running → completed, or to cancelled.

    Completing a course completes every non-accredited learner whose attendance
    is complete; qualification learners pass through verification, before or after.
    """
    course = _lock(Course, course.pk)
    require_course_manager(by, course)
    check_transition(Course.TRANSITIONS, course.status, to)
    now = timezone.now()
    course.status, course.status_changed_at = to, now
    course.save(update_fields=["status", "status_changed_at", "updated_at"])
    if to == Course.Status.COMPLETED:
        for enrolment in course.enrolments.filter(
            track=Enrolment.Track.NON_ACCREDITED, status=Enrolment.Status.ENROLLED
        ).select_related("course"):
            if not rules.attendance_complete(enrolment):
                _set_enrolment_status(enrolment, Enrolment.Status.COMPLETED, now)
    return course
