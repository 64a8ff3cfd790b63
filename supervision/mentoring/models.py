"""A match's goals, agreed with the mentee, and the mentor's records of each contact with them; what a mentor
offers for matching (their profile, from the partner's list of tags) and whom they must never be matched with."""

__all__ = ["ContactRecord", "MatchGoal", "MatchingTag", "MentorConflict", "MentorProfile"]

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from franchise.models import TenantModel
from supervision.mentoring.querysets import (
    ContactRecordQuerySet,
    MatchGoalQuerySet,
    MatchingTagQuerySet,
    MentorConflictQuerySet,
    MentorProfileQuerySet,
)

# A contact is a meeting, a call or a message: a day's work at most.
MAX_CONTACT_MINUTES = 720


class MatchGoal(TenantModel):
    """One aim agreed with the mentee, in a few words, and how far it has come."""

    class Status(models.TextChoices):
        AGREED = "agreed"
        IN_PROGRESS = "in_progress"
        MET = "met"
        DROPPED = "dropped"

    match = models.ForeignKey("supervision.Match", on_delete=models.CASCADE, related_name="goals")
    text = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AGREED)

    objects = MatchGoalQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        # No text: it is the mentee's, and this string shows in logs and the admin.
        return f"Goal ({self.get_status_display().lower()})"


class ContactRecord(TenantModel):
    """What a mentor did with their mentee on one occasion: when, how long, how, where, what was worked on, which
    goals it touched, and whether it raised a concern (which may link to the boundary incident reported about it).

    `summary` and `place` are confidential text about a vulnerable person; they are blanked once the mentor has
    left longer ago than the retention period (supervision.mentoring.services.anonymise_contact_records).
    """

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Phone"
        VIDEO = "video", "Video call"
        MESSAGE = "message", "Message"
        OTHER = "other", "Other"

    match = models.ForeignKey("supervision.Match", on_delete=models.PROTECT, related_name="contact_records")
    date = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONTACT_MINUTES)]
    )
    mode = models.CharField(max_length=20, choices=Mode.choices)
    place = models.CharField(max_length=200, blank=True)
    summary = models.TextField(help_text="What was worked on.")
    goals = models.ManyToManyField(MatchGoal, blank=True, related_name="contact_records")
    concern = models.BooleanField(default=False)
    incident = models.ForeignKey(
        "supervision.BoundaryIncident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_records",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = ContactRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="contact_duration_in_range",
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=MAX_CONTACT_MINUTES),
            ),
            models.CheckConstraint(
                name="contact_mode_known",
                condition=Q(mode__in=["in_person", "phone", "video", "message", "other"]),
            ),
            # An incident is linked to answer a concern; a record without one has nothing to link.
            models.CheckConstraint(
                name="contact_incident_needs_concern", condition=Q(incident__isnull=True) | Q(concern=True)
            ),
        ]
        indexes = [
            models.Index(fields=["match", "date"], name="contact_match_date"),
            models.Index(fields=["partner", "date"], name="contact_partner_date"),
        ]

    def __str__(self):
        return f"Contact on {self.date.isoformat()} ({self.get_mode_display().lower()}, {self.duration_minutes} min)"


class MatchingTag(TenantModel):
    """One need or interest on the partner's own list (housing, benefits, employment, …), shared by mentee needs
    and mentor profiles so that both speak the same words."""

    name = models.CharField(max_length=60)

    objects = MatchingTagQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="matching_tag_unique_in_partner")]

    def __str__(self):
        return self.name


class Availability(models.TextChoices):
    WEEKDAY_MORNINGS = "weekday_mornings", "Weekday mornings"
    WEEKDAY_AFTERNOONS = "weekday_afternoons", "Weekday afternoons"
    WEEKDAY_EVENINGS = "weekday_evenings", "Weekday evenings"
    WEEKENDS = "weekends", "Weekends"


class MentorProfile(TenantModel):
    """What a mentor brings to matching: the partner's tags they know about, languages, area, when they are free,
    and their gender (only for a mentee who asks for a mentor of a given gender)."""

    person = models.OneToOneField("supervision.Person", on_delete=models.CASCADE, related_name="matching_profile")
    tags = models.ManyToManyField(MatchingTag, blank=True, related_name="+")
    languages = models.JSONField(default=list, blank=True)
    area = models.CharField(max_length=100, blank=True)
    availability = models.JSONField(default=list, blank=True)
    gender = models.CharField(max_length=40, blank=True)

    objects = MentorProfileQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Matching profile of {self.person}"


class MentorConflict(TenantModel):
    """Someone a mentor must not be matched with: the mentee's reference when it is known, or a description the
    coordinator checks against each new mentee (a former partner's family, their own probation officer)."""

    mentor = models.ForeignKey("supervision.Person", on_delete=models.CASCADE, related_name="conflicts")
    mentee_ref = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MentorConflictQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(name="conflict_names_someone", condition=~Q(mentee_ref="") | ~Q(description="")),
        ]
        indexes = [models.Index(fields=["partner", "mentee_ref"], name="conflict_partner_mentee")]

    def __str__(self):
        # No description: it is about people, and this string shows in logs and the admin.
        return f"Conflict declared by {self.mentor}"
