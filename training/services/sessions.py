"""Training use cases for course sessions and their attendance."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.clock import local_time_problem
from core.errors import Invalid
from core.tenancy import COORDINATOR, can_write
from training.models import Course, CourseAttendance, CourseSession, Enrolment
from training.services._common import require_course_manager, require_course_trainer


def _check_session(course, *, date, starts_at, ends_at, units):
    errors = {}
    if not course.starts_on <= date <= course.ends_on:
        errors["date"] = [
            f"The course runs from {course.starts_on.isoformat()} to {course.ends_on.isoformat()}; "
            f"{date.isoformat()} is outside it."
        ]
    if ends_at <= starts_at:
        errors["ends_at"] = ["The session must end after it starts."]
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        # Times are wall-clock times where the partner is; one inside the spring-forward gap never happens.
        problem = local_time_problem(date, moment, course.partner.time_zone)
        if problem and name not in errors:
            errors[name] = [problem]
    foreign = [unit.code for unit in units if unit.programme_id != course.programme_id]
    if foreign:
        errors["units"] = [f"Not units of the course's programme: {', '.join(foreign)}."]
    if errors:
        raise ValidationError(errors)


def _require_open_course(course):
    if course.status in (Course.Status.COMPLETED, Course.Status.CANCELLED):
        raise Invalid(
            f"The course is {course.status}; its sessions cannot change.", field="course", code="course_closed"
        )


@transaction.atomic
def create_session(*, by, course, date, starts_at, ends_at, topic, units=()):
    require_course_manager(by, course)
    _require_open_course(course)
    units = list(units)
    _check_session(course, date=date, starts_at=starts_at, ends_at=ends_at, units=units)
    session = CourseSession.objects.create(
        partner_id=course.partner_id, course=course, date=date, starts_at=starts_at, ends_at=ends_at, topic=topic
    )
    session.units.set(units)
    return session


@transaction.atomic
def update_session(*, by, session, **changes):
    course = session.course
    require_course_manager(by, course)
    _require_open_course(course)
    if "course" in changes and changes["course"].pk != course.pk:
        raise Invalid("A session cannot move to another course.", field="course")
    changes.pop("course", None)
    units = list(changes.pop("units")) if "units" in changes else list(session.units.all())
    values = {name: changes.get(name, getattr(session, name)) for name in ("date", "starts_at", "ends_at")}
    _check_session(course, units=units, **values)
    for name, value in changes.items():
        setattr(session, name, value)
    session.save()
    session.units.set(units)
    return session


@transaction.atomic
def delete_session(*, by, session):
    require_course_manager(by, session.course)
    if session.attendance.exists() or session.teaching_records.exists():
        raise Invalid(
            "Attendance or teaching is recorded for this session; it cannot be deleted.", code="session_has_records"
        )
    session.delete()


@transaction.atomic
def record_attendance(*, by, session, entries):
    """Record attendance for some or all learners of a session; `entries` is [(enrolment, status)].

    A second record for the same learner replaces the first. Returns the session's attendance rows.
    """
    course = session.course
    if not can_write(by, course.partner_id, (COORDINATOR,)):
        require_course_trainer(by, course, "Only the course's trainers and the partner's coordinators take attendance.")
    if session.date > timezone.localdate():
        raise Invalid("Attendance is taken on or after the day of the session.", field="session", code="session_ahead")
    problems = []
    for enrolment, _status in entries:
        if enrolment.course_id != course.pk:
            problems.append(f"Enrolment {enrolment.pk} is not on this course.")
        elif enrolment.status == Enrolment.Status.WITHDRAWN:
            problems.append(f"{enrolment.learner.name} has withdrawn.")
    if len({enrolment.pk for enrolment, _ in entries}) != len(entries):
        problems.append("A learner is listed twice.")
    if problems:
        raise ValidationError({"attendance": problems})
    for enrolment, status in entries:
        CourseAttendance.objects.update_or_create(
            session=session,
            enrolment=enrolment,
            defaults={"partner_id": course.partner_id, "status": status, "recorded_by": by},
        )
    return list(session.attendance.select_related("enrolment").order_by("enrolment__created_at"))
