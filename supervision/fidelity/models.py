"""Fidelity audits and the partner scorecard's records.

An audit template is the licensor's: sections of weighted questions, each optionally tied to a policy field or a
programme criterion. An audit of a partner answers every question `met`, `partly`, `not met` or `not applicable`
with evidence; completing it computes its score and raises a corrective action for each shortfall, which the
partner's coordinators answer with evidence and the licensor accepts or reopens.

The scorecard's weights are the licensor's (a row per component; a missing row is the default weight) and a daily
snapshot per partner keeps its trend.
"""

__all__ = [
    "Audit",
    "AuditAnswer",
    "AuditQuestion",
    "AuditSection",
    "AuditTemplate",
    "CorrectiveAction",
    "ScoreSnapshot",
    "ScorecardWeight",
]

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from franchise.models import TenantModel
from supervision.fidelity.querysets import (
    AuditAnswerQuerySet,
    AuditQuerySet,
    AuditQuestionQuerySet,
    AuditSectionQuerySet,
    AuditTemplateQuerySet,
    CorrectiveActionQuerySet,
    ScoreSnapshotQuerySet,
)


class AuditTemplate(models.Model):
    """What the licensor audits partners against. A template an audit has used is kept (PROTECT): the audit's
    answers mean what its questions said."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    programme = models.ForeignKey("franchise.Programme", null=True, blank=True, on_delete=models.PROTECT)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AuditSection(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(AuditTemplate, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    objects = AuditSectionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title


class AuditQuestion(models.Model):
    """One scored question. `code` names it across the template (SUP-1); `weight` is how much it counts;
    `policy_field` (a name from franchise.policy_fields) or `criterion` ties it to the rule it checks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(AuditSection, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(max_length=20)
    text = models.TextField()
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(100)])
    policy_field = models.CharField(max_length=60, blank=True)
    criterion = models.ForeignKey("franchise.Criterion", null=True, blank=True, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    objects = AuditQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["section__position", "position", "code"]
        constraints = [
            models.CheckConstraint(name="audit_question_weight_positive", condition=Q(weight__gte=1)),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:60]}"


class Audit(TenantModel):
    """One audit of a partner against a template: scheduled, in progress once answers are recorded, completed
    with its score (0–100, whole, from the weighted answers)."""

    class Mode(models.TextChoices):
        VISIT = "visit"
        REMOTE = "remote"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed"

    template = models.ForeignKey(AuditTemplate, on_delete=models.PROTECT, related_name="audits")
    scheduled_on = models.DateField()
    held_on = models.DateField(null=True, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.VISIT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    score = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="audit_score_when_completed",
                condition=Q(status="completed", score__isnull=False, held_on__isnull=False)
                | (~Q(status="completed") & Q(score__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["partner", "status", "held_on"], name="audit_partner_status_held")]

    def __str__(self):
        return f"Audit of {self.partner_id} on {self.scheduled_on.isoformat()} ({self.status})"


class AuditAnswer(TenantModel):
    class Answer(models.TextChoices):
        MET = "met"
        PARTLY = "partly"
        NOT_MET = "not_met", "Not met"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    # What each answer earns of a question's weight; not applicable leaves the question out.
    CREDIT = {"met": 1, "partly": 0.5, "not_met": 0}
    SHORTFALLS = (Answer.PARTLY, Answer.NOT_MET)

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(AuditQuestion, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=20, choices=Answer.choices)
    evidence = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AuditAnswerQuerySet.as_manager()

    class Meta:
        ordering = ["question__section__position", "question__position", "question__code"]
        constraints = [models.UniqueConstraint(fields=["audit", "question"], name="audit_answer_once_per_question")]

    def __str__(self):
        return f"{self.question_id}: {self.answer}"


class CorrectiveAction(TenantModel):
    """What a partner must put right after a `partly` or `not met` answer: open until its coordinators submit
    evidence, then accepted by the licensor (or reopened, back to open)."""

    class Status(models.TextChoices):
        OPEN = "open"
        SUBMITTED = "submitted"
        ACCEPTED = "accepted"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="corrective_actions")
    question = models.ForeignKey(AuditQuestion, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(blank=True)

    objects = CorrectiveActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "question"], name="corrective_action_once_per_question"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="corrective_action_status_due")]

    def __str__(self):
        # No description: a partner's shortfall, shown in logs and the admin by its state only.
        return f"Corrective action due {self.due_on.isoformat()} ({self.status})"


class ScorecardWeight(models.Model):
    """The licensor's weight for one scorecard component; a component with no row weighs its default
    (supervision.fidelity.scorecard.DEFAULT_WEIGHTS)."""

    code = models.CharField(max_length=40, primary_key=True)
    weight = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.code}: {self.weight}"


class ScoreSnapshot(TenantModel):
    """A partner's score on one day, with its components as computed then ({code, weight, value, numerator,
    denominator} each), for the trend."""

    taken_on = models.DateField()
    score = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    components = models.JSONField(default=list)

    objects = ScoreSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "taken_on"]
        constraints = [models.UniqueConstraint(fields=["partner", "taken_on"], name="score_snapshot_once_a_day")]

    def __str__(self):
        return f"{self.partner_id} on {self.taken_on.isoformat()}: {self.score}"
