"""Named training rules: each returns a list of Unmet (empty when met), so a use case can report all at once."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.errors import Unmet
from franchise.models import BaselinePolicy, Criterion, Licence
from franchise.policy import effective_policy
from training.models import (
    CourseAttendance,
    CourseSession,
    CriterionAssessment,
    Enrolment,
    TeachingRecord,
    TrainerAccreditation,
)

Stage = TrainerAccreditation.Stage


def licence_covers_course(partner, programme, starts_on, ends_on):
    """The partner holds one active licence for the programme covering every day of the course."""
    licences = Licence.objects.filter(partner=partner, programme=programme)
    if licences.in_force_on(starts_on, ends_on).exists():
        return []
    return [
        Unmet(
            "no_active_licence",
            f"The partner holds no active licence for {programme.name} covering {starts_on.isoformat()} to "
            f"{ends_on.isoformat()}; a course can only run on licensed dates.",
        )
    ]


def holds_stage(person, programme, stage, ends_on, *, code, role):
    """`person` holds an active accreditation of `stage` or higher for `programme`, in force through `ends_on`.

    The accreditation must cover the whole course: a trainer whose accreditation
    expires half-way renews it first.
    """
    accreditation = TrainerAccreditation.objects.filter(person=person, programme=programme).first()
    label = TrainerAccreditation.Stage(stage).label.lower()
    if accreditation is None or accreditation.stage not in TrainerAccreditation.stages_from(stage):
        return [Unmet(code, f"{person.name} is not accredited as {label} or higher for {programme.name}.")]
    if accreditation.status != TrainerAccreditation.Status.ACTIVE:
        return [Unmet(code, f"{person.name}'s accreditation for {programme.name} is {accreditation.status}.")]
    if accreditation.expires_on < ends_on:
        return [
            Unmet(
                code,
                f"{person.name}'s accreditation expires on {accreditation.expires_on.isoformat()}, before the "
                f"course ends on {ends_on.isoformat()}; it must be renewed to {role} this course.",
            )
        ]
    return []


def lead_trainer_accredited(person, programme, ends_on):
    return holds_stage(person, programme, Stage.ACCREDITED_TRAINER, ends_on, code="lead_not_accredited", role="lead")


def co_trainer_accredited(person, programme, ends_on):
    return holds_stage(person, programme, Stage.CO_TRAINER, ends_on, code="co_trainer_not_accredited", role="co-teach")


def qualification_criteria_met(enrolment):
    """Every criterion of the programme's units is assessed `met` for this enrolment; one Unmet per other one."""
    met = CriterionAssessment.objects.filter(enrolment=enrolment, decision=CriterionAssessment.Decision.MET)
    outstanding = (
        Criterion.objects.filter(unit__programme_id=enrolment.course.programme_id)
        .exclude(pk__in=met.values("criterion_id"))
        .select_related("unit")
        .order_by("unit__position", "unit__code", "position", "code")
    )
    return [
        Unmet("criterion_not_met", f"{criterion.unit.code} {criterion.code} is not yet met: {criterion.text}")
        for criterion in outstanding
    ]


def verifier_independent(enrolment, verifier):
    """The internal verifier assessed at most half of the programme's criteria for this enrolment: a second pair of
    eyes, not the assessor signing their own decisions off."""
    criteria = Criterion.objects.filter(unit__programme_id=enrolment.course.programme_id).count()
    assessed = CriterionAssessment.objects.filter(enrolment=enrolment, assessor=verifier).count()
    if assessed * 2 <= criteria:
        return []
    return [
        Unmet(
            "verifier_not_independent",
            f"You assessed {assessed} of the {criteria} criteria yourself; internal verification needs a second "
            "trainer.",
        )
    ]


def attendance_complete(enrolment):
    """The learner was present at every session of the course held so far (the non-accredited track's test)."""
    present = CourseAttendance.objects.filter(enrolment=enrolment, status=CourseAttendance.Status.PRESENT)
    missed = (
        CourseSession.objects.filter(course_id=enrolment.course_id, date__lte=timezone.localdate())
        .exclude(pk__in=present.values("session_id"))
        .order_by("date", "starts_at")
    )
    unmet = [
        Unmet("session_missed", f"Not recorded present at {session.topic} on {session.date.isoformat()}.")
        for session in missed
    ]
    if not unmet and not CourseSession.objects.filter(course_id=enrolment.course_id).exists():
        unmet.append(Unmet("no_sessions", "The course has no sessions yet, so attendance cannot be complete."))
    return unmet


# --- train-the-trainer ------------------------------------------------------------------


def promotion_evidence(accreditation):
    """What the next stage asks for that is not there yet.

    candidate → co_trainer: a passed enrolment on the programme.
    co_trainer → accredited_trainer: the licensor's number of co-taught sessions,
    each signed off by an accredited trainer, and one observed delivery signed
    off by a trainer of trainers (sign-off checks the signer's stage).
    accredited_trainer → trainer_of_trainers: the licensor's decision; no evidence
    the system can check (services.promote_accreditation keeps it to the licensor).
    """
    person, programme = accreditation.person, accreditation.programme
    if accreditation.stage == Stage.CANDIDATE:
        passed = Enrolment.objects.filter(
            learner=person, course__programme=programme, status=Enrolment.Status.PASSED
        ).exists()
        if passed:
            return []
        return [Unmet("no_passed_enrolment", f"{person.name} has not passed a course of {programme.name}.")]
    if accreditation.stage == Stage.CO_TRAINER:
        unmet = []
        required = effective_policy(accreditation.partner_id).co_taught_sessions_required
        records = TeachingRecord.objects.signed_off().filter(person=person, session__course__programme=programme)
        co_taught = records.filter(role=TeachingRecord.Role.CO, observed=False).count()
        if co_taught < required:
            unmet.append(
                Unmet(
                    "co_taught_sessions_short",
                    f"{co_taught} of the {required} co-taught sessions signed off by an accredited trainer.",
                )
            )
        if not records.filter(observed=True).exists():
            unmet.append(
                Unmet("observed_delivery_missing", "No observed delivery signed off by a trainer of trainers.")
            )
        return unmet
    return []


@dataclass(frozen=True)
class Standing:
    """An accreditation's standing in its current validity period: what is done, what is required, what is missing."""

    period_starts_on: object
    period_ends_on: object
    deliveries: int
    deliveries_required: int
    cpd_hours: Decimal
    cpd_hours_required: int
    applies: bool
    missing: list = field(default_factory=list)

    @property
    def met(self):
        return not self.missing


def standing(accreditation):
    """Courses delivered and CPD hours logged between `period_starts_on` and `expires_on`, against the licensor's
    requirement. A delivery is a completed course of the programme the person led or co-taught that ended in the
    period (AccreditationQuerySet.with_standing_figures). The requirement applies to accredited trainers and
    trainers of trainers; candidates and co-trainers are still gathering the evidence of promotion_evidence()."""
    return standings([accreditation])[accreditation.pk]


def standings(accreditations):
    """{accreditation id: Standing} for many accreditations in a fixed number of queries.

    The requirements are licensor-only policy fields, so every partner's effective value is the baseline's.
    """
    accreditations = list(accreditations)
    figures = {
        row["pk"]: row
        for row in TrainerAccreditation.objects.filter(pk__in=[a.pk for a in accreditations])
        .with_standing_figures()
        .values("pk", "period_deliveries", "period_cpd_hours")
    }
    baseline = BaselinePolicy.load()
    return {
        accreditation.pk: _standing(
            accreditation,
            deliveries=figures[accreditation.pk]["period_deliveries"],
            hours=Decimal(figures[accreditation.pk]["period_cpd_hours"]),
            deliveries_required=baseline.deliveries_required_per_period,
            cpd_hours_required=baseline.cpd_hours_required_per_period,
        )
        for accreditation in accreditations
    }


def _standing(accreditation, *, deliveries, hours, deliveries_required, cpd_hours_required):
    start, end = accreditation.period_starts_on, accreditation.expires_on
    applies = accreditation.stage in TrainerAccreditation.stages_from(Stage.ACCREDITED_TRAINER)
    missing = []
    if applies and deliveries < deliveries_required:
        missing.append(
            Unmet(
                "deliveries_short",
                f"{deliveries} of the {deliveries_required} course deliveries required "
                f"between {start.isoformat()} and {end.isoformat()}.",
            )
        )
    if applies and hours < cpd_hours_required:
        missing.append(
            Unmet(
                "cpd_hours_short",
                f"{hours.normalize():f} of the {cpd_hours_required} CPD hours required "
                f"between {start.isoformat()} and {end.isoformat()}.",
            )
        )
    return Standing(
        period_starts_on=start,
        period_ends_on=end,
        deliveries=deliveries,
        deliveries_required=deliveries_required,
        cpd_hours=hours,
        cpd_hours_required=cpd_hours_required,
        applies=applies,
        missing=missing,
    )
