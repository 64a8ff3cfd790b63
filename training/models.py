"""Training: courses (cohorts) and their sessions, enrolments assessed against the programme's criteria,
certificates, and the train-the-trainer path (accreditations, teaching and CPD records).

Learners and trainers are `supervision.Person` rows of the course's partner.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from franchise.models import TenantModel
from training.querysets import (
    AccreditationEventQuerySet,
    AccreditationQuerySet,
    CertificateQuerySet,
    CourseAttendanceQuerySet,
    CourseQuerySet,
    CourseSessionQuerySet,
    CPDRecordQuerySet,
    CriterionAssessmentQuerySet,
    EnrolmentQuerySet,
    TeachingRecordQuerySet,
)


class Course(TenantModel):
    """A run (cohort) of a programme by a partner, led by an accredited trainer."""

    class Status(models.TextChoices):
        PLANNED = "planned"
        OPEN = "open"
        RUNNING = "running"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online"
        BLENDED = "blended"

    TRANSITIONS = {
        Status.PLANNED: {Status.OPEN, Status.CANCELLED},
        Status.OPEN: {Status.RUNNING, Status.CANCELLED},
        Status.RUNNING: {Status.COMPLETED, Status.CANCELLED},
    }
    # Learners join a course before it starts; a running course keeps its cohort.
    ENROLLING = (Status.PLANNED, Status.OPEN)

    programme = models.ForeignKey("franchise.Programme", on_delete=models.PROTECT, related_name="courses")
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    capacity = models.PositiveSmallIntegerField(help_text="Most learners enrolled at once (withdrawn ones aside).")
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    venue = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    lead_trainer = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="courses_led")
    co_trainers = models.ManyToManyField("supervision.Person", blank=True, related_name="courses_co_taught")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(name="course_ends_after_start", condition=Q(ends_on__gte=F("starts_on"))),
            models.CheckConstraint(name="course_capacity_positive", condition=Q(capacity__gte=1)),
        ]
        indexes = [models.Index(fields=["partner", "starts_on"], name="course_partner_starts_on")]

    def __str__(self):
        return f"{self.title} ({self.starts_on.isoformat()})"


class CourseSession(TenantModel):
    """One taught session of a course: a date, times, a topic and the units it covers."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    topic = models.CharField(max_length=200)
    units = models.ManyToManyField("franchise.Unit", blank=True, related_name="+")

    objects = CourseSessionQuerySet.as_manager()

    class Meta:
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(name="course_session_ends_after_start", condition=Q(ends_at__gt=F("starts_at")))
        ]

    def __str__(self):
        return f"{self.topic} ({self.date.isoformat()})"


class Enrolment(TenantModel):
    """A learner on a course, studying for the qualification or without it."""

    class Track(models.TextChoices):
        QUALIFICATION = "qualification"
        NON_ACCREDITED = "non_accredited", "Non-accredited"

    class Status(models.TextChoices):
        ENROLLED = "enrolled"
        WITHDRAWN = "withdrawn"
        COMPLETED = "completed"
        PASSED = "passed"
        REFERRED = "referred"

    # The moves a trainer or coordinator makes by hand. `passed` is reached only
    # through internal verification (services.verify_enrolment), `completed` of a
    # non-accredited learner only when their attendance is complete.
    TRANSITIONS = {
        Status.ENROLLED: {Status.WITHDRAWN, Status.REFERRED, Status.COMPLETED},
        Status.REFERRED: {Status.WITHDRAWN},
    }
    # Counted against the course's capacity.
    HOLDING_A_PLACE = (Status.ENROLLED, Status.COMPLETED, Status.PASSED, Status.REFERRED)

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    learner = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="enrolments")
    track = models.CharField(max_length=20, choices=Track.choices, default=Track.QUALIFICATION)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ENROLLED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        "supervision.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "learner"], name="enrolment_once_per_course"),
            # A pass is a verified pass, and only the qualification track passes.
            models.CheckConstraint(
                name="enrolment_pass_is_verified_qualification",
                condition=~Q(status="passed") | Q(verified_at__isnull=False, track="qualification"),
            ),
        ]
        # `trained` (supervision) asks "has this person finished a course?" for many people at once.
        indexes = [models.Index(fields=["learner", "status"], name="enrolment_learner_status")]

    def __str__(self):
        return f"{self.learner} on {self.course}"


class CourseAttendance(TenantModel):
    """Whether an enrolled learner was at one session of their course."""

    class Status(models.TextChoices):
        PRESENT = "present"
        APOLOGIES = "apologies"
        ABSENT = "absent"

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=20, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CourseAttendanceQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "course attendance"
        constraints = [models.UniqueConstraint(fields=["session", "enrolment"], name="attendance_once_per_session")]

    def __str__(self):
        return f"{self.enrolment.learner} {self.status} at {self.session}"


class CriterionAssessment(TenantModel):
    """A trainer's decision on one criterion for one enrolment, with the evidence it rests on."""

    class Decision(models.TextChoices):
        MET = "met"
        NOT_YET = "not_yet"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.ForeignKey("franchise.Criterion", on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField(help_text="Workbook page, observation or note the decision rests on.")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    assessor = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField(default=timezone.localdate)

    objects = CriterionAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["criterion__unit__position", "criterion__position"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "criterion"], name="assessment_once_per_criterion")]

    def __str__(self):
        return f"{self.criterion.code} {self.decision} for {self.enrolment_id}"


class Certificate(TenantModel):
    """Issued when a qualification enrolment passes; anyone holding the code can check it is genuine."""

    class Status(models.TextChoices):
        VALID = "valid"
        REVOKED = "revoked"

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(max_length=64, unique=True, editable=False)
    # The name as printed on the day: a later change to the person's record does not reissue it.
    holder_name = models.CharField(max_length=200)
    issued_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on"]

    def __str__(self):
        return f"Certificate of {self.holder_name} ({self.issued_on.isoformat()})"


class TrainerAccreditation(TenantModel):
    """A person's standing as a trainer of one programme, granted by the licensor.

    The partner is the person's partner; it never differs from it.
    """

    class Stage(models.TextChoices):
        CANDIDATE = "candidate"
        CO_TRAINER = "co_trainer", "Co-trainer"
        ACCREDITED_TRAINER = "accredited_trainer", "Accredited trainer"
        TRAINER_OF_TRAINERS = "trainer_of_trainers", "Trainer of trainers"

    class Status(models.TextChoices):
        ACTIVE = "active"
        LAPSED = "lapsed"
        SUSPENDED = "suspended"
        REVOKED = "revoked"

    STAGE_ORDER = [Stage.CANDIDATE, Stage.CO_TRAINER, Stage.ACCREDITED_TRAINER, Stage.TRAINER_OF_TRAINERS]
    # The licensor's actions on the status; lapsing is the periodic task's, renewal its own use case.
    STATUS_TRANSITIONS = {
        Status.ACTIVE: {Status.SUSPENDED, Status.REVOKED},
        Status.SUSPENDED: {Status.ACTIVE, Status.REVOKED},
        Status.LAPSED: {Status.REVOKED},
    }

    person = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="accreditations")
    programme = models.ForeignKey("franchise.Programme", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=30, choices=Stage.choices, default=Stage.CANDIDATE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    granted_on = models.DateField(default=timezone.localdate)
    # Deliveries and CPD hours count from here; renewal moves it to the old expiry date.
    period_starts_on = models.DateField(default=timezone.localdate)
    expires_on = models.DateField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    objects = AccreditationQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on"]
        constraints = [
            models.UniqueConstraint(fields=["person", "programme"], name="accreditation_once_per_programme"),
            models.CheckConstraint(
                name="accreditation_expires_after_period_start", condition=Q(expires_on__gt=F("period_starts_on"))
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"], name="accreditation_status_expires")]

    def __str__(self):
        return f"{self.person} — {self.get_stage_display()} ({self.status})"

    @classmethod
    def stages_from(cls, stage):
        """`stage` and every stage above it."""
        return cls.STAGE_ORDER[cls.STAGE_ORDER.index(stage) :]

    @property
    def next_stage(self):
        index = self.STAGE_ORDER.index(self.stage)
        return self.STAGE_ORDER[index + 1] if index + 1 < len(self.STAGE_ORDER) else None


class AccreditationEvent(TenantModel):
    """One change of an accreditation: grant, promotion, renewal, lapse, suspension, revocation."""

    class Kind(models.TextChoices):
        GRANTED = "granted"
        PROMOTED = "promoted"
        RENEWED = "renewed"
        LAPSED = "lapsed"
        STATUS_CHANGED = "status_changed"

    accreditation = models.ForeignKey(TrainerAccreditation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    stage = models.CharField(max_length=30, choices=TrainerAccreditation.Stage.choices)
    status = models.CharField(max_length=20, choices=TrainerAccreditation.Status.choices)
    expires_on = models.DateField()
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    objects = AccreditationEventQuerySet.as_manager()

    class Meta:
        ordering = ["at"]

    def __str__(self):
        return f"{self.accreditation}: {self.kind}"


class TeachingRecord(TenantModel):
    """A trainer's part in one course session, signed off by a more senior trainer.

    `observed` marks a delivery watched by a trainer of trainers: the last piece
    of evidence a co-trainer needs before accreditation.
    """

    class Role(models.TextChoices):
        LEAD = "lead"
        CO = "co"

    person = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="teaching_records")
    session = models.ForeignKey(CourseSession, on_delete=models.PROTECT, related_name="teaching_records")
    role = models.CharField(max_length=10, choices=Role.choices)
    observed = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    signed_off_by = models.ForeignKey(
        "supervision.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    objects = TeachingRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "session"], name="teaching_record_once_per_session"),
            models.CheckConstraint(
                name="teaching_record_sign_off_complete",
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.person} ({self.role}) at {self.session}"


class CPDRecord(TenantModel):
    """Continuing professional development a trainer logs to keep their accreditation."""

    person = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="cpd_records")
    date = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    activity = models.CharField(max_length=300)

    objects = CPDRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        verbose_name = "CPD record"
        constraints = [models.CheckConstraint(name="cpd_hours_positive", condition=Q(hours__gt=0))]

    def __str__(self):
        return f"{self.person}: {self.hours} h {self.activity}"
