"""Training use cases that write: courses and sessions, enrolment and attendance, assessment and
internal verification, certificates, and the train-the-trainer path.

Who may do what (DESIGN, "Who uses it"): a partner's coordinators manage its
courses and enrolments; a trainer manages the course they lead, and any trainer
of a course (lead or co) records attendance and assesses; an accredited trainer
of the partner verifies; the licensor grants, suspends and revokes accreditations
and certificates. Licensor admins may do everything a coordinator may.
"""

import secrets

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.clock import local_time_problem
from core.errors import Invalid, NotPermitted, RuleNotMet, Unmet, check_transition
from core.tenancy import COORDINATOR, TRAINER, access_for, can_write, require_role
from franchise.policy import effective_policy
from training import rules
from training.models import (
    AccreditationEvent,
    Certificate,
    Course,
    CourseAttendance,
    CourseSession,
    CPDRecord,
    CriterionAssessment,
    Enrolment,
    TeachingRecord,
    TrainerAccreditation,
)

Stage = TrainerAccreditation.Stage


def _person_model():
    return apps.get_model("supervision", "Person")


def person_of(user, partner_id):
    """The user's Person in the partner, or None."""
    return _person_model().objects.filter(partner_id=partner_id, user_id=user.pk).first()


def _is_lead(by, course):
    return (
        course.lead_trainer.user_id is not None
        and course.lead_trainer.user_id == by.pk
        and access_for(by).has_role(course.partner_id, (TRAINER, COORDINATOR))
    )


def require_course_manager(by, course):
    """Coordinators of the course's partner, licensor admins, and the course's lead trainer manage a course."""
    if can_write(by, course.partner_id, (COORDINATOR,)) or _is_lead(by, course):
        return
    require_role(
        by,
        course.partner_id,
        (COORDINATOR,),
        message="Only the partner's coordinators and the course's lead trainer manage this course.",
    )


def course_trainer(by, course):
    """The caller's Person when they are the lead or a co-trainer of the course, else None."""
    if not access_for(by).has_role(course.partner_id, (TRAINER, COORDINATOR)):
        return None
    person = person_of(by, course.partner_id)
    if person is None:
        return None
    if person.pk == course.lead_trainer_id or course.co_trainers.filter(pk=person.pk).exists():
        return person
    return None


def require_course_trainer(by, course, message="Only the trainers of this course may do this."):
    person = course_trainer(by, course)
    if person is None:
        require_role(by, course.partner_id, (TRAINER, COORDINATOR), licensor=False, message=message)
        raise NotPermitted(message)
    return person


def _lock(model, pk):
    """Lock one row until the transaction ends, so that read-then-write checks on it are not raced."""
    return model.objects.select_for_update().get(pk=pk)


# --- courses ------------------------------------------------------------------------------


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


# --- sessions and attendance ---------------------------------------------------------------


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


# --- enrolments -----------------------------------------------------------------------------


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


def _set_enrolment_status(enrolment, status, now):
    enrolment.status, enrolment.status_changed_at = status, now
    enrolment.save(update_fields=["status", "status_changed_at", "updated_at"])


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


# --- assessment and verification --------------------------------------------------------------

ASSESSABLE = (Enrolment.Status.ENROLLED, Enrolment.Status.REFERRED)


def _check_assessment(enrolment, *, criterion, decision, evidence, assessed_on):
    errors = {}
    if enrolment.track != Enrolment.Track.QUALIFICATION:
        raise Invalid("Non-accredited learners are not assessed.", field="enrolment", code="not_on_qualification_track")
    if enrolment.status not in ASSESSABLE:
        raise Invalid(
            f"The enrolment is {enrolment.status}; its assessment is closed.",
            field="enrolment",
            code="enrolment_closed",
        )
    if criterion.unit.programme_id != enrolment.course.programme_id:
        errors["criterion"] = [f"{criterion.code} is not a criterion of the course's programme."]
    if decision == CriterionAssessment.Decision.MET and not (evidence or "").strip():
        errors["evidence"] = ["Say what the decision rests on (a workbook page, an observation, a note)."]
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = ["An assessment cannot be dated in the future."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assess(*, by, enrolment, criterion, decision, evidence="", assessed_on=None):
    """A trainer of the course records a decision on one criterion. Only the lead and co-trainers assess."""
    enrolment = _locked_enrolment(enrolment.pk)
    assessor = require_course_trainer(by, enrolment.course, "Only the trainers of this course assess its learners.")
    assessed_on = assessed_on or timezone.localdate()
    _check_assessment(enrolment, criterion=criterion, decision=decision, evidence=evidence, assessed_on=assessed_on)
    if CriterionAssessment.objects.filter(enrolment=enrolment, criterion=criterion).exists():
        raise Invalid(
            f"{criterion.code} is already assessed for this learner; change that assessment instead.",
            field="criterion",
            code="already_assessed",
        )
    try:
        with transaction.atomic():
            return CriterionAssessment.objects.create(
                partner_id=enrolment.partner_id,
                enrolment=enrolment,
                criterion=criterion,
                decision=decision,
                evidence=evidence,
                assessor=assessor,
                assessed_on=assessed_on,
            )
    except IntegrityError:
        raise Invalid(
            f"{criterion.code} has just been assessed by someone else; change that assessment instead.",
            field="criterion",
            code="already_assessed",
        )


@transaction.atomic
def update_assessment(*, by, assessment, **changes):
    """A trainer of the course revises a decision; they become its assessor."""
    enrolment = _locked_enrolment(assessment.enrolment_id)
    assessor = require_course_trainer(by, enrolment.course, "Only the trainers of this course assess its learners.")
    if "criterion" in changes and changes["criterion"].pk != assessment.criterion_id:
        raise Invalid("Assess another criterion with a new assessment.", field="criterion")
    if "enrolment" in changes and changes["enrolment"].pk != enrolment.pk:
        raise Invalid("An assessment cannot move to another enrolment.", field="enrolment")
    values = {
        "decision": changes.get("decision", assessment.decision),
        "evidence": changes.get("evidence", assessment.evidence),
        "assessed_on": changes.get("assessed_on") or timezone.localdate(),
    }
    _check_assessment(enrolment, criterion=assessment.criterion, **values)
    for name, value in values.items():
        setattr(assessment, name, value)
    assessment.assessor = assessor
    assessment.save()
    return assessment


def _locked_enrolment(enrolment_id):
    """The enrolment as it stands, locked: assessment and verification of one learner never interleave."""
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("course__programme", "learner", "partner")
        .get(pk=enrolment_id)
    )


def _accreditation_in_force(person, programme, stage, on_date=None):
    on_date = on_date or timezone.localdate()
    return (
        TrainerAccreditation.objects.filter(person=person, programme=programme)
        .at_least(stage)
        .in_force_through(on_date)
        .first()
    )


@transaction.atomic
def verify_enrolment(*, by, enrolment):
    """Internal verification: a second accredited trainer signs a qualification enrolment off.

    The verifier holds an active accreditation of accredited_trainer or higher
    for the programme and assessed at most half of its criteria themselves. The
    enrolment passes when every criterion is met, and its certificate is issued
    in the same transaction; otherwise a RuleNotMet lists the criteria not yet
    met. The enrolment row is locked, so two verifiers cannot issue two certificates.
    """
    enrolment = _locked_enrolment(enrolment.pk)
    programme = enrolment.course.programme
    verifier = person_of(by, enrolment.partner_id)
    if (
        verifier is None
        or not access_for(by).has_role(enrolment.partner_id, (TRAINER, COORDINATOR))
        or _accreditation_in_force(verifier, programme, Stage.ACCREDITED_TRAINER) is None
    ):
        raise NotPermitted(
            f"Only a trainer of {enrolment.partner.name} accredited for {programme.name} verifies enrolments.",
            code="verifier_not_accredited",
        )
    if enrolment.track != Enrolment.Track.QUALIFICATION:
        raise Invalid(
            "A non-accredited learner completes on attendance; there is nothing to verify.",
            code="not_on_qualification_track",
        )
    if enrolment.status not in ASSESSABLE:
        raise Invalid(f"The enrolment is {enrolment.status}; it cannot be verified.", code="enrolment_closed")
    criteria = apps.get_model("franchise", "Criterion").objects.filter(unit__programme=programme).count()
    assessed_by_verifier = CriterionAssessment.objects.filter(enrolment=enrolment, assessor=verifier).count()
    if assessed_by_verifier * 2 > criteria:
        raise NotPermitted(
            f"You assessed {assessed_by_verifier} of the {criteria} criteria yourself; "
            "internal verification needs a second trainer.",
            code="verifier_not_independent",
        )
    unmet = rules.qualification_criteria_met(enrolment)
    if unmet:
        raise RuleNotMet(unmet, "Not every criterion is met yet.")
    now = timezone.now()
    enrolment.status, enrolment.status_changed_at = Enrolment.Status.PASSED, now
    enrolment.verified_by, enrolment.verified_at = verifier, now
    enrolment.save(update_fields=["status", "status_changed_at", "verified_by", "verified_at", "updated_at"])
    certificate = Certificate.objects.create(
        partner_id=enrolment.partner_id,
        enrolment=enrolment,
        code=new_certificate_code(),
        holder_name=enrolment.learner.name,
        issued_on=timezone.localdate(),
    )
    return enrolment, certificate


def new_certificate_code():
    """192 random bits, URL-safe: a code is unguessable, so verification cannot be used to enumerate certificates."""
    return secrets.token_urlsafe(24)


# --- certificates ----------------------------------------------------------------------------


@transaction.atomic
def revoke_certificate(*, by, certificate, reason):
    """The licensor withdraws a certificate (issued in error, or obtained by fraud); verification then says so."""
    if not access_for(by).is_licensor:
        raise NotPermitted("Only the licensing organisation revokes certificates.")
    if not (reason or "").strip():
        raise Invalid("Give the reason for revoking the certificate.", field="reason")
    changed = Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
        status=Certificate.Status.REVOKED,
        revoked_at=timezone.now(),
        revoked_by=by,
        revocation_reason=reason.strip(),
        updated_at=timezone.now(),
    )
    if not changed:
        raise Invalid("This certificate is already revoked.", code="already_revoked")
    certificate.refresh_from_db()
    return certificate


def verification_url(certificate):
    """Where anyone can check the certificate: printed on it."""
    return f"{settings.TANDEM_SITE_URL}/api/v1/certificates/verify/{certificate.code}/"


def require_certificate_printer(by, certificate):
    """The learner's coordinators (and the licensor) and the course's trainers print certificates."""
    if can_write(by, certificate.partner_id, (COORDINATOR,)):
        return
    require_course_trainer(
        by, certificate.enrolment.course, "Only the learner's coordinators and trainers print the certificate."
    )


# --- accreditations ----------------------------------------------------------------------------


def _validity(partner_id):
    return relativedelta(months=effective_policy(partner_id).accreditation_validity_months)


def _record(accreditation, kind, by, note=""):
    AccreditationEvent.objects.create(
        partner_id=accreditation.partner_id,
        accreditation=accreditation,
        kind=kind,
        stage=accreditation.stage,
        status=accreditation.status,
        expires_on=accreditation.expires_on,
        by=by,
        note=note,
    )


def _require_licensor(by, message):
    if not access_for(by).is_licensor:
        raise NotPermitted(message)


@transaction.atomic
def grant_accreditation(*, by, person, programme, stage=Stage.CANDIDATE, granted_on=None, note=""):
    """The licensor grants an accreditation at any stage (the first trainers), valid for the licensor's period."""
    _require_licensor(by, "Only the licensing organisation grants accreditations.")
    if stage not in Stage.values:
        raise Invalid(f"{stage!r} is not a stage.", field="stage")
    if TrainerAccreditation.objects.filter(person=person, programme=programme).exists():
        raise Invalid(
            f"{person.name} already holds an accreditation for {programme.name}; promote or renew it.",
            field="person",
            code="already_accredited",
        )
    granted_on = granted_on or timezone.localdate()
    accreditation = TrainerAccreditation.objects.create(
        partner_id=person.partner_id,
        person=person,
        programme=programme,
        stage=stage,
        granted_on=granted_on,
        period_starts_on=granted_on,
        expires_on=granted_on + _validity(person.partner_id),
        granted_by=by,
        status_changed_at=timezone.now(),
    )
    _record(accreditation, AccreditationEvent.Kind.GRANTED, by, note)
    return accreditation


@transaction.atomic
def promote_accreditation(*, by, accreditation, note=""):
    """Move an active accreditation one stage up when the evidence is there (rules.promotion_evidence).

    The partner's coordinators and the licensor promote to co_trainer and to
    accredited_trainer; trainer_of_trainers is the licensor's decision alone.
    A promotion starts a new validity period at the new stage.
    """
    accreditation = _lock(TrainerAccreditation, accreditation.pk)
    require_role(by, accreditation.partner_id, (COORDINATOR,), message="Only coordinators and the licensor promote.")
    target = accreditation.next_stage
    if target is None:
        raise Invalid("A trainer of trainers is already at the highest stage.", code="highest_stage")
    if target == Stage.TRAINER_OF_TRAINERS and not access_for(by).is_licensor:
        raise NotPermitted("Becoming a trainer of trainers is the licensing organisation's decision.")
    unmet = []
    if accreditation.status != TrainerAccreditation.Status.ACTIVE:
        unmet.append(Unmet("accreditation_not_active", f"The accreditation is {accreditation.status}."))
    unmet += rules.promotion_evidence(accreditation)
    if unmet:
        raise RuleNotMet(
            unmet, f"The evidence for {TrainerAccreditation.Stage(target).label.lower()} is not there yet."
        )
    today = timezone.localdate()
    accreditation.stage = target
    accreditation.granted_on = accreditation.period_starts_on = today
    accreditation.expires_on = today + _validity(accreditation.partner_id)
    accreditation.granted_by = by
    accreditation.save()
    _record(accreditation, AccreditationEvent.Kind.PROMOTED, by, note)
    return accreditation


@transaction.atomic
def renew_accreditation(*, by, accreditation, note=""):
    """Extend an active (or lapsed) accreditation by the validity period when its standing is met.

    The new period starts where the old one ended. A lapsed accreditation whose
    renewed period would already be over is granted afresh by the licensor instead.
    """
    accreditation = _lock(TrainerAccreditation, accreditation.pk)
    require_role(by, accreditation.partner_id, (COORDINATOR,), message="Only coordinators and the licensor renew.")
    if accreditation.status not in (TrainerAccreditation.Status.ACTIVE, TrainerAccreditation.Status.LAPSED):
        raise Invalid(f"A {accreditation.status} accreditation cannot be renewed.", code="accreditation_not_renewable")
    new_expiry = accreditation.expires_on + _validity(accreditation.partner_id)
    if new_expiry < timezone.localdate():
        raise Invalid(
            "The accreditation lapsed more than a validity period ago; the licensor grants it afresh.",
            code="lapsed_too_long",
        )
    standing = rules.standing(accreditation)
    if standing.missing:
        raise RuleNotMet(standing.missing, "The standing for renewal is not met.")
    accreditation.period_starts_on = accreditation.expires_on
    accreditation.expires_on = new_expiry
    if accreditation.status != TrainerAccreditation.Status.ACTIVE:
        accreditation.status, accreditation.status_changed_at = TrainerAccreditation.Status.ACTIVE, timezone.now()
    accreditation.save()
    _record(accreditation, AccreditationEvent.Kind.RENEWED, by, note)
    return accreditation


@transaction.atomic
def set_accreditation_status(*, by, accreditation, to, note=""):
    """The licensor suspends, reinstates or revokes an accreditation."""
    _require_licensor(by, "Only the licensing organisation suspends, reinstates or revokes accreditations.")
    accreditation = _lock(TrainerAccreditation, accreditation.pk)
    check_transition(TrainerAccreditation.STATUS_TRANSITIONS, accreditation.status, to)
    if to == TrainerAccreditation.Status.ACTIVE and accreditation.expires_on < timezone.localdate():
        raise Invalid("The accreditation has expired meanwhile; renew it instead.", code="expired")
    accreditation.status, accreditation.status_changed_at = to, timezone.now()
    accreditation.save(update_fields=["status", "status_changed_at", "updated_at"])
    _record(accreditation, AccreditationEvent.Kind.STATUS_CHANGED, by, note)
    return accreditation


def lapse_accreditations(*, today=None, batch_size=500):
    """Lapse active accreditations past their expiry date; returns how many this call lapsed.

    Idempotent: rows are claimed by a conditional UPDATE (still active, still
    expired), and the run's timestamp tells which rows this call changed, so each
    lapse is recorded once even when two runs overlap.
    """
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                TrainerAccreditation.objects.past_expiry(today)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            stamp = timezone.now()
            TrainerAccreditation.objects.filter(pk__in=ids).past_expiry(today).update(
                status=TrainerAccreditation.Status.LAPSED, status_changed_at=stamp, updated_at=stamp
            )
            claimed = list(
                TrainerAccreditation.objects.filter(
                    pk__in=ids, status=TrainerAccreditation.Status.LAPSED, status_changed_at=stamp
                )
            )
            AccreditationEvent.objects.bulk_create(
                AccreditationEvent(
                    partner_id=row.partner_id,
                    accreditation=row,
                    kind=AccreditationEvent.Kind.LAPSED,
                    stage=row.stage,
                    status=row.status,
                    expires_on=row.expires_on,
                    at=stamp,
                    note=f"Lapsed: expired on {row.expires_on.isoformat()}.",
                )
                for row in claimed
            )
            total += len(claimed)
            if len(ids) < batch_size:
                return total


# --- teaching and CPD records -------------------------------------------------------------------


def _own_or_coordinated(by, person, what):
    """The caller logs their own records; a coordinator (or the licensor) logs anyone's of their partner."""
    if (
        person.user_id is not None
        and person.user_id == by.pk
        and access_for(by).roles_by_partner.get(person.partner_id)
    ):
        return
    require_role(by, person.partner_id, (COORDINATOR,), message=f"You log your own {what}; coordinators log anyone's.")


def _callers_person(by, partner_id=None):
    access = access_for(by)
    people = _person_model().objects.filter(user_id=by.pk, partner_id__in=access.partner_ids())
    if partner_id is not None:
        people = people.filter(partner_id=partner_id)
    found = list(people[:2])
    if len(found) != 1:
        raise Invalid("Name the person the record is for.", field="person", code="person_required")
    return found[0]


@transaction.atomic
def log_teaching(*, by, session, person=None, observed=False, note=""):
    """Record a trainer's part in a held session; the role (lead or co) comes from the course's team."""
    course = session.course
    person = person or _callers_person(by, course.partner_id)
    _own_or_coordinated(by, person, "teaching")
    if person.pk == course.lead_trainer_id:
        role = TeachingRecord.Role.LEAD
    elif course.co_trainers.filter(pk=person.pk).exists():
        role = TeachingRecord.Role.CO
    else:
        raise Invalid(f"{person.name} is not a trainer of this course.", field="person", code="not_course_trainer")
    if session.date > timezone.localdate():
        raise Invalid("Teaching is recorded once the session has taken place.", field="session", code="session_ahead")
    if observed and role != TeachingRecord.Role.CO:
        raise Invalid("An observed delivery is a co-trainer's.", field="observed")
    if TeachingRecord.objects.filter(person=person, session=session).exists():
        raise Invalid("This session is already recorded for this trainer.", field="session", code="already_recorded")
    return TeachingRecord.objects.create(
        partner_id=person.partner_id, person=person, session=session, role=role, observed=observed, note=note
    )


@transaction.atomic
def sign_off_teaching(*, by, record):
    """A more senior trainer signs a teaching record off.

    A co-taught session is signed off by an accredited trainer (or higher) of the
    programme, an observed delivery by a trainer of trainers; never by the record's own trainer.
    """
    record = (
        TeachingRecord.objects.select_for_update(of=("self",))
        .select_related("session__course__programme")
        .get(pk=record.pk)
    )
    programme = record.session.course.programme
    signer = person_of(by, record.partner_id)
    needed = Stage.TRAINER_OF_TRAINERS if record.observed else Stage.ACCREDITED_TRAINER
    if signer is None or _accreditation_in_force(signer, programme, needed) is None:
        label = TrainerAccreditation.Stage(needed).label.lower()
        raise NotPermitted(f"This record is signed off by an active {label} of {programme.name}.", code="signer_stage")
    if signer.pk == record.person_id:
        raise NotPermitted("Your own teaching is signed off by someone else.", code="own_record")
    if record.signed_off_at is not None:
        raise Invalid("This record is already signed off.", code="already_signed_off")
    record.signed_off_by, record.signed_off_at = signer, timezone.now()
    record.save(update_fields=["signed_off_by", "signed_off_at", "updated_at"])
    return record


@transaction.atomic
def delete_teaching_record(*, by, record):
    _own_or_coordinated(by, record.person, "teaching")
    if record.signed_off_at is not None:
        raise Invalid("A signed-off record is evidence and is kept.", code="signed_off")
    record.delete()


@transaction.atomic
def log_cpd(*, by, date, hours, activity, person=None):
    person = person or _callers_person(by)
    _own_or_coordinated(by, person, "CPD")
    errors = {}
    if date > timezone.localdate():
        errors["date"] = ["CPD is logged once it has taken place."]
    if hours <= 0 or hours > 100:
        errors["hours"] = ["Hours are more than 0 and at most 100 for one activity."]
    if not (activity or "").strip():
        errors["activity"] = ["Say what the activity was."]
    if errors:
        raise ValidationError(errors)
    return CPDRecord.objects.create(
        partner_id=person.partner_id, person=person, date=date, hours=hours, activity=activity.strip()
    )


@transaction.atomic
def delete_cpd(*, by, record):
    _own_or_coordinated(by, record.person, "CPD")
    record.delete()
