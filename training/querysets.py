"""Set-based reads of training: who sees what, who is trained, which accreditations are due.

Visibility (DESIGN, "Who uses it"): licensor admins see everything; a partner's
coordinators see the partner's training; trainers see the courses they teach
(lead or co) and what belongs to them; learners see their own enrolment and
certificate. The partner's accredited trainers of a programme also see its
enrolments, since any of them may be asked to verify one internally. Everything
but the licensor's view is limited to partners where the user still holds a role.
"""

from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, DecimalField, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.tenancy import COORDINATOR, TenantQuerySet, own_person_q

__all__ = [
    "finished_course_exists",
    "CourseQuerySet",
    "CourseSessionQuerySet",
    "EnrolmentQuerySet",
    "CourseAttendanceQuerySet",
    "CriterionAssessmentQuerySet",
    "CertificateQuerySet",
    "AccreditationQuerySet",
    "AccreditationEventQuerySet",
    "TeachingRecordQuerySet",
    "CPDRecordQuerySet",
]

ACCREDITED_STAGES = ("accredited_trainer", "trainer_of_trainers")


def _model(name):
    return apps.get_model("training", name)


def finished_course_exists(person_ref="pk"):
    """An Exists expression: the person at `person_ref` (an OuterRef path) has finished the course — a passed
    qualification enrolment, or a completed non-accredited one.

    This is what makes a person `trained` (supervision's mentor activation and
    peer-group majority): learners study with or without the qualification and
    both are trained; only the certificate needs the qualification. One
    subquery for any number of people.
    """
    enrolment = _model("Enrolment")
    finished = Q(status=enrolment.Status.PASSED) | Q(
        status=enrolment.Status.COMPLETED, track=enrolment.Track.NON_ACCREDITED
    )
    return Exists(enrolment.objects.filter(finished, learner=OuterRef(person_ref)))


def teaches(access, user, course_ref):
    """An Exists expression: `user` is the lead or a co-trainer of the course at `course_ref` (an OuterRef path)."""
    course = _model("Course")
    return Exists(
        course.objects.filter(pk=OuterRef(course_ref)).filter(
            own_person_q(access, user, "lead_trainer") | own_person_q(access, user, "co_trainers")
        )
    )


def accredited_in(access, user, partner_ref, programme_ref):
    """An Exists expression: `user` is a person of that partner holding an active accreditation of
    stage accredited_trainer or higher for that programme (an internal verifier)."""
    accreditation = _model("TrainerAccreditation")
    return Exists(
        accreditation.objects.filter(
            own_person_q(access, user, "person"),
            person__partner=OuterRef(partner_ref),
            programme=OuterRef(programme_ref),
            stage__in=ACCREDITED_STAGES,
            status=accreditation.Status.ACTIVE,
        )
    )


class _TrainingQuerySet(TenantQuerySet):
    """Licensor: all; coordinators: their partners' rows; other members: rows `member_condition` allows."""

    def member_condition(self, access, user):
        return Q(pk__in=[])

    def visible_condition(self, access, user):
        coordinated = access.partner_ids([COORDINATOR])
        member_of = access.partner_ids()
        return Q(partner__in=coordinated) | (Q(partner__in=member_of) & self.member_condition(access, user))


class CourseQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        enrolment = _model("Enrolment")
        return teaches(access, user, "pk") | Exists(
            enrolment.objects.filter(own_person_q(access, user, "learner"), course=OuterRef("pk"))
        )

    def with_places_taken(self):
        """Annotate `places_taken`: enrolments holding a place. A subquery, so the list keeps its ordering
        and needs no GROUP BY over every column."""
        enrolment = _model("Enrolment")
        taken = (
            enrolment.objects.filter(course=OuterRef("pk"), status__in=enrolment.HOLDING_A_PLACE)
            .order_by()
            .values("course")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(places_taken=Coalesce(Subquery(taken, output_field=IntegerField()), 0))


class CourseSessionQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        enrolment = _model("Enrolment")
        return teaches(access, user, "course") | Exists(
            enrolment.objects.filter(own_person_q(access, user, "learner"), course=OuterRef("course"))
        )


class EnrolmentQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return (
            own_person_q(access, user, "learner")
            | teaches(access, user, "course")
            | accredited_in(access, user, partner_ref="partner", programme_ref="course__programme")
        )

    def holding_a_place(self):
        return self.filter(status__in=self.model.HOLDING_A_PLACE)

    def with_criteria_progress(self):
        """Annotate `criteria_total` (criteria of the course's programme) and `criteria_met` (those assessed met):
        two subqueries, so a list of any length answers "who still needs what" in one query."""
        criterion = apps.get_model("franchise", "Criterion")
        assessment = _model("CriterionAssessment")
        total = (
            criterion.objects.filter(unit__programme=OuterRef("course__programme"))
            .order_by()
            .values("unit__programme")
            .annotate(n=Count("pk"))
            .values("n")
        )
        met = (
            assessment.objects.filter(enrolment=OuterRef("pk"), decision=assessment.Decision.MET)
            .order_by()
            .values("enrolment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            criteria_total=Coalesce(Subquery(total, output_field=IntegerField()), 0),
            criteria_met=Coalesce(Subquery(met, output_field=IntegerField()), 0),
        )

    def ready_to_verify(self):
        """Qualification enrolments still open whose every criterion is met: waiting for internal verification."""
        return (
            self.with_criteria_progress()
            .filter(
                track=self.model.Track.QUALIFICATION,
                status__in=(self.model.Status.ENROLLED, self.model.Status.REFERRED),
                criteria_total__gt=0,
            )
            .filter(criteria_met__gte=F("criteria_total"))
        )


class CourseAttendanceQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return own_person_q(access, user, "enrolment__learner") | teaches(access, user, "session__course")


class CriterionAssessmentQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return (
            own_person_q(access, user, "enrolment__learner")
            | teaches(access, user, "enrolment__course")
            | accredited_in(access, user, partner_ref="partner", programme_ref="enrolment__course__programme")
        )


class CertificateQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return own_person_q(access, user, "enrolment__learner") | teaches(access, user, "enrolment__course")

    def by_code(self, code):
        """The certificate with exactly this code, for public verification, or None.

        Not scoped by user: holding the code is what entitles anyone to check it.
        """
        if not code or len(code) > 64:
            return None
        return self.select_related("partner", "enrolment__course__programme").filter(code=code).first()


class AccreditationQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return own_person_q(access, user, "person")

    def active(self):
        return self.filter(status=self.model.Status.ACTIVE)

    def at_least(self, stage):
        return self.filter(stage__in=self.model.stages_from(stage))

    def in_force_through(self, on_date):
        """Active accreditations that have not expired by `on_date`."""
        return self.active().filter(expires_on__gte=on_date)

    def expiring_within(self, days, today=None):
        """Active accreditations whose expiry date falls within the next `days` days (today included).

        For the reminders planner (90, 30 and 7 days); one already past its
        expiry date is the lapse task's, not a reminder's.
        """
        today = today or timezone.localdate()
        return self.active().filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=days))

    def past_expiry(self, today=None):
        return self.active().filter(expires_on__lt=today or timezone.localdate())

    def with_standing_figures(self):
        """Annotate what a standing counts in each accreditation's current validity period (period_starts_on to
        expires_on): `period_deliveries`, the completed courses of the programme the person led or co-taught that
        ended in it, and `period_cpd_hours`, the CPD hours the person logged in it. One query for any number."""
        in_period = {"ends_on__gte": OuterRef("period_starts_on"), "ends_on__lte": OuterRef("expires_on")}
        deliveries = (
            _model("Course")
            .objects.filter(programme=OuterRef("programme"), status="completed", **in_period)
            .filter(Q(lead_trainer=OuterRef("person")) | Q(co_trainers=OuterRef("person")))
            .order_by()
            .values("programme")
            .annotate(count=Count("pk", distinct=True))
            .values("count")
        )
        cpd = (
            _model("CPDRecord")
            .objects.filter(
                person=OuterRef("person"), date__gte=OuterRef("period_starts_on"), date__lte=OuterRef("expires_on")
            )
            .order_by()
            .values("person")
            .annotate(total=Sum("hours"))
            .values("total")
        )
        hours = DecimalField(max_digits=9, decimal_places=2)
        return self.annotate(
            period_deliveries=Coalesce(Subquery(deliveries, output_field=IntegerField()), 0),
            period_cpd_hours=Coalesce(Subquery(cpd, output_field=hours), Value(Decimal("0")), output_field=hours),
        )


class AccreditationEventQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return own_person_q(access, user, "accreditation__person")


class TeachingRecordQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return own_person_q(access, user, "person") | teaches(access, user, "session__course")

    def signed_off(self):
        return self.filter(signed_off_at__isnull=False)


class CPDRecordQuerySet(_TrainingQuerySet):
    def member_condition(self, access, user):
        return own_person_q(access, user, "person")


def people_who_finished_a_course(queryset=None):
    """Persons (of `queryset`, all when None) who have finished a course (passed, or completed without the
    qualification): the `trained` people."""
    person = apps.get_model("supervision", "Person")
    queryset = person.objects.all() if queryset is None else queryset
    return queryset.filter(finished_course_exists())
