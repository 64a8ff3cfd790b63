"""The reminder ledger: a reminder is a row before it is a message.

The planner inserts rows (ignoring those whose `dedupe_key` exists), the
dispatcher claims due rows, sends them and marks them sent. Everything that
makes a reminder "the same reminder" is in its dedupe key, so planning twice
inserts nothing new and a changed subject (a moved session, an extended
licence) gets a fresh key and so a fresh reminder.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from reminders.querysets import ReminderPreferenceQuerySet, ReminderQuerySet


class Kind(models.TextChoices):
    SESSION_UPCOMING = "session_upcoming", "Supervision session coming up"
    SESSION_CANCELLED = "session_cancelled", "Supervision session cancelled"
    SESSION_MOVED = "session_moved", "Supervision session moved"
    SUPERVISION_OVERDUE = "supervision_overdue", "Supervision overdue"
    SUPERVISION_OVERDUE_DIGEST = "supervision_overdue_digest", "Daily digest of overdue supervision"
    ACCREDITATION_EXPIRING = "accreditation_expiring", "Trainer accreditation expiring"
    LICENCE_EXPIRING = "licence_expiring", "Licence expiring"
    INCIDENT_CRITICAL = "incident_critical", "Critical boundary incident reported"
    INCIDENT_REVIEW_DUE = "incident_review_due", "Incident review due"
    INCIDENT_REVIEW_OVERDUE = "incident_review_overdue", "Incident review overdue"
    INCIDENT_ACTION_DUE = "incident_action_due", "Incident action due"
    PAUSE_REVIEW = "pause_review", "Mentor pause review"
    CERTIFICATE_ISSUED = "certificate_issued", "Certificate issued"
    POLICY_ACKNOWLEDGEMENT = "policy_acknowledgement", "New policy version to acknowledge"
    MATCH_APPROVED = "match_approved", "Match approved"
    LICENCE_FEE_DUE = "licence_fee_due", "Licence fee due"
    LICENCE_FEE_OVERDUE = "licence_fee_overdue", "Licence fee overdue"
    CORRECTIVE_ACTION_OVERDUE = "corrective_action_overdue", "Corrective action overdue"


# Safeguarding work cannot wait for someone to read their settings again: a
# critical incident, an incident's review and its agreed actions always reach
# the people responsible for them.
ESSENTIAL_KINDS = frozenset(
    {
        Kind.INCIDENT_CRITICAL,
        Kind.INCIDENT_REVIEW_DUE,
        Kind.INCIDENT_REVIEW_OVERDUE,
        Kind.INCIDENT_ACTION_DUE,
    }
)


class Reminder(models.Model):
    """One message to one recipient about one subject, due at one time.

    `partner` is the partner the reminder belongs to (its coordinators see it);
    it is empty for reminders addressed to the licensing organisation.
    The recipient is a user, or (a person without a login) an email address.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    partner = models.ForeignKey(
        "franchise.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for reminders addressed to the licensing organisation.",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    recipient_email = models.EmailField(blank=True, help_text="Where to write when the recipient has no login.")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.UUIDField()
    subject = GenericForeignKey("subject_type", "subject_id")
    due_at = models.DateTimeField()
    dedupe_key = models.CharField(max_length=255, unique=True)
    details = models.JSONField(
        default=dict, blank=True, help_text="What the planner knew: the threshold, the old time."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    # The dispatcher's claim: the next attempt waits for `attempt_after` (due_at, then
    # the retry backoff); a claimed row is another sender's until `claimed_until`.
    attempt_after = models.DateTimeField()
    claimed_by = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the planner inserted the row (the overdue kind reads it back to skip a mentor reminded in this spell).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.CheckConstraint(
                name="reminder_has_a_recipient",
                condition=Q(recipient_user__isnull=False) | ~Q(recipient_email=""),
            ),
            models.CheckConstraint(
                name="reminder_sent_has_sent_at",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            # The dispatcher's claim: pending rows in (attempt_after, id) order, read from the index
            # without a sort even when thousands of rows share one due time (a morning's digests).
            models.Index(fields=["attempt_after", "id"], condition=Q(status="pending"), name="reminder_claimable"),
            models.Index(fields=["subject_type", "subject_id", "status"], name="reminder_subject"),
            # The overdue sweep reads the last week's rows of its kind, not the whole ledger's history.
            models.Index(fields=["kind", "created_at"], name="reminder_kind_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_address or 'nobody'} ({self.status})"

    @property
    def recipient_address(self):
        if self.recipient_user_id is not None:
            return self.recipient_user.email
        return self.recipient_email

    @property
    def essential(self):
        return self.kind in ESSENTIAL_KINDS


class ReminderPreference(models.Model):
    """A user's choice to receive, or not, one kind of reminder. No row means the kind is on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReminderPreferenceQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="reminder_preference_once_per_kind"),
            models.CheckConstraint(
                name="reminder_preference_essential_stays_on",
                condition=Q(enabled=True) | ~Q(kind__in=sorted(kind.value for kind in ESSENTIAL_KINDS)),
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} {'on' if self.enabled else 'off'}"
