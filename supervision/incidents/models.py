"""Boundary incidents: what went wrong between a mentor and someone vulnerable, and what was done about it.

The most sensitive records in Tandem. Who may read one is decided in one place,
``BoundaryIncidentQuerySet.visible_to`` (supervision.incidents.querysets); every
read of an incident's detail and every change is written to ``IncidentAccess``.
"""

__all__ = [
    "BoundaryIncident",
    "IncidentAccess",
    "IncidentAction",
    "IncidentDiscussion",
    "IncidentTransition",
]

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from franchise.models import BoundaryRule, TenantModel
from supervision.incidents.querysets import BoundaryIncidentQuerySet, IncidentPartQuerySet


class BoundaryIncident(TenantModel):
    """A breach or near-miss of a boundary rule.

    `policy_version` is the partner's policy version in force when the incident
    occurred (the one whose rule was breached; empty when the partner had no
    numbered version yet). `reviewed_at` is set on the first move out of
    `reported`, `escalated_at` on the first escalation — the licensor keeps
    seeing an incident once it has been escalated, whatever happens to it next.
    """

    class Severity(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"
        CRITICAL = "critical"

    class Status(models.TextChoices):
        REPORTED = "reported"
        UNDER_REVIEW = "under_review"
        ACTION_AGREED = "action_agreed"
        ESCALATED = "escalated"
        CLOSED = "closed"

    TRANSITIONS = {
        Status.REPORTED: {Status.UNDER_REVIEW, Status.ESCALATED},
        Status.UNDER_REVIEW: {Status.ACTION_AGREED, Status.ESCALATED},
        Status.ESCALATED: {Status.ACTION_AGREED, Status.CLOSED},
        Status.ACTION_AGREED: {Status.CLOSED},
        Status.CLOSED: set(),
    }
    OPEN_STATUSES = (Status.REPORTED, Status.UNDER_REVIEW, Status.ACTION_AGREED, Status.ESCALATED)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who reported it; empty once anonymised.",
    )
    mentor = models.ForeignKey(
        "supervision.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="boundary_incidents",
        help_text="The mentor involved; empty once anonymised.",
    )
    match = models.ForeignKey(
        "supervision.Match", null=True, blank=True, on_delete=models.PROTECT, related_name="boundary_incidents"
    )
    rule = models.ForeignKey(BoundaryRule, on_delete=models.PROTECT, related_name="incidents")
    policy_version = models.ForeignKey(
        "franchise.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=30, choices=BoundaryRule.Category.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    occurred_at = models.DateTimeField()
    description = models.TextField()
    immediate_action = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED)
    review_due_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = BoundaryIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                name="incident_closed_has_closed_at",
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="incident_escalated_has_escalated_at",
                condition=~Q(status="escalated") | Q(escalated_at__isnull=False),
            ),
            models.CheckConstraint(
                name="incident_severity_known", condition=Q(severity__in=["low", "medium", "high", "critical"])
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status"], name="incident_partner_status"),
            models.Index(fields=["mentor", "status"], name="incident_mentor_status"),
            models.Index(fields=["partner", "occurred_at"], name="incident_partner_occurred"),
        ]

    def __str__(self):
        # No description, no names: this string shows up in logs and the admin.
        return f"{self.get_severity_display()} {self.get_category_display().lower()} incident ({self.status})"

    @property
    def is_open(self):
        return self.status != self.Status.CLOSED

    @property
    def is_safeguarding(self):
        return self.category == BoundaryRule.Category.SAFEGUARDING

    def allowed_transitions(self):
        return sorted(self.TRANSITIONS.get(self.status, ()))


class IncidentTransition(TenantModel):
    """One step of an incident's workflow: the incident's chronology."""

    incident = models.ForeignKey(BoundaryIncident, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=BoundaryIncident.Status.choices)
    to_status = models.CharField(max_length=20, choices=BoundaryIncident.Status.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    objects = IncidentPartQuerySet.as_manager()

    class Meta:
        ordering = ["at", "created_at"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class IncidentAction(TenantModel):
    """Something agreed to put right or prevent again, with an owner and a due date.

    An incident closes only when each of its actions is done, or dropped with a
    note saying why.
    """

    incident = models.ForeignKey(BoundaryIncident, on_delete=models.CASCADE, related_name="actions")
    owner = models.ForeignKey(
        "supervision.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="incident_actions"
    )
    description = models.TextField()
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    drop_note = models.TextField(blank=True)
    session = models.ForeignKey(
        "supervision.SupervisionSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_actions",
        help_text="The supervision session where the action was agreed.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = IncidentPartQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                name="incident_action_done_or_dropped", condition=Q(done_at__isnull=True) | Q(dropped_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"Action due {self.due_on.isoformat()}"

    @property
    def is_settled(self):
        return self.done_at is not None or self.dropped_at is not None


class IncidentDiscussion(TenantModel):
    """An incident discussed in a supervision session, with the reflective note recorded there.

    A non-safeguarding incident closes only once such a note exists.
    """

    incident = models.ForeignKey(BoundaryIncident, on_delete=models.CASCADE, related_name="discussions")
    session = models.ForeignKey(
        "supervision.SupervisionSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_discussions",
        help_text="Empty once anonymised.",
    )
    note = models.TextField(help_text="The reflective note recorded in supervision.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = IncidentPartQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "session"], name="incident_discussed_once_per_session")
        ]

    def __str__(self):
        return f"Discussed in supervision on {timezone.localdate(self.recorded_at).isoformat()}"


class IncidentAccess(TenantModel):
    """Who read or changed an incident, and when. Append-only.

    Written by the services and the API's detail read, never edited: saving an
    existing row or deleting one raises. (The retention command detaches people
    with a set-based update, which is how anonymisation reaches the log too.)
    """

    class Action(models.TextChoices):
        READ = "read"
        CREATE = "create"
        UPDATE = "update"
        TRANSITION = "transition"
        ACTION = "action"
        EXPORT = "export"
        ANONYMISE = "anonymise"

    incident = models.ForeignKey(BoundaryIncident, on_delete=models.PROTECT, related_name="access_log")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True)

    objects = IncidentPartQuerySet.as_manager()

    class Meta:
        ordering = ["at", "created_at"]
        verbose_name = "incident access"
        verbose_name_plural = "incident access log"
        indexes = [models.Index(fields=["incident", "at"], name="incident_access_incident_at")]

    def __str__(self):
        return f"{self.action} at {self.at.isoformat(timespec='seconds')}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("The incident access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The incident access log is append-only.")
