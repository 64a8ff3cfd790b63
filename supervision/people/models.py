"""People and the mentor pathway: Person (with the mentor status machine), its recorded transitions,
shadowing logs and matches."""

__all__ = ["Match", "MentorStatus", "MENTOR_TRANSITIONS", "Person", "PersonTransition", "ShadowingLog"]

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from franchise.models import TenantModel
from supervision.people.querysets import MatchQuerySet, PersonQuerySet, PersonTransitionQuerySet, ShadowingLogQuerySet


class MentorStatus(models.TextChoices):
    APPLICANT = "applicant"
    IN_TRAINING = "in_training"
    SHADOWING = "shadowing"
    ACTIVE = "active"
    PAUSED = "paused"
    EXITED = "exited"


# The mentor pathway. A Person with no mentor status (None) is not on it: staff,
# learners who study without mentoring. Someone joins it as an applicant.
#
#   (none)      -> applicant
#   applicant   -> in_training, exited
#   in_training -> shadowing, exited
#   shadowing   -> active, exited          (activation: supervision.people.rules.activation_unmet)
#   active      -> paused, exited          (a pause needs a reason and a review date)
#   paused      -> active, exited          (resuming is an activation: the same requirements, checked again)
#   exited      -> applicant               (someone who comes back starts again; their training and
#                                           shadowing still count, everything else is checked again)
#
# Leaving is possible from every state, because volunteers leave when their life
# asks them to; the way back in is always through the requirements in force.
MENTOR_TRANSITIONS = {
    None: (MentorStatus.APPLICANT,),
    MentorStatus.APPLICANT: (MentorStatus.IN_TRAINING, MentorStatus.EXITED),
    MentorStatus.IN_TRAINING: (MentorStatus.SHADOWING, MentorStatus.EXITED),
    MentorStatus.SHADOWING: (MentorStatus.ACTIVE, MentorStatus.EXITED),
    MentorStatus.ACTIVE: (MentorStatus.PAUSED, MentorStatus.EXITED),
    MentorStatus.PAUSED: (MentorStatus.ACTIVE, MentorStatus.EXITED),
    MentorStatus.EXITED: (MentorStatus.APPLICANT,),
}


def new_calendar_secret():
    # 32 random bytes: the secret is the only thing guarding a person's calendar feed.
    return secrets.token_urlsafe(32)


class Person(TenantModel):
    """Someone a partner works with (mentor, supervisor, trainer, learner), with or without a login."""

    Status = MentorStatus

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    mentor_status = models.CharField(
        max_length=20,
        choices=MentorStatus.choices,
        null=True,
        blank=True,
        help_text="Empty for people who are not on the mentor pathway (staff, learners only).",
    )
    prior_learning_on = models.DateField(
        null=True, blank=True, help_text="When prior learning was recognised in place of the course."
    )
    background_check_on = models.DateField(null=True, blank=True, help_text="When the background check was done.")
    pause_reason = models.CharField(max_length=500, blank=True)
    pause_review_on = models.DateField(null=True, blank=True)
    calendar_secret = models.CharField(max_length=64, unique=True, default=new_calendar_secret, editable=False)
    records_anonymised_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the notes about this person were anonymised, once they had left longer than the "
        "retention period ago (supervision.people.retention).",
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # One profile per login in a partner, so "the caller's Person" is never ambiguous.
            models.UniqueConstraint(
                fields=["partner", "user"], condition=Q(user__isnull=False), name="person_one_per_user_in_partner"
            ),
            models.CheckConstraint(
                name="person_paused_has_reason_and_review",
                condition=~Q(mentor_status=MentorStatus.PAUSED)
                | (Q(pause_review_on__isnull=False) & ~Q(pause_reason="")),
            ),
        ]
        indexes = [models.Index(fields=["partner", "mentor_status"], name="person_partner_status")]

    def __str__(self):
        return self.name

    @property
    def calendar_url(self):
        return f"{settings.TANDEM_SITE_URL}/calendar/{self.calendar_secret}.ics"


class PersonTransition(TenantModel):
    """One move along the mentor pathway: who made it, when, from and to, and why."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=MentorStatus.choices, null=True, blank=True)
    to_status = models.CharField(max_length=20, choices=MentorStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    review_on = models.DateField(null=True, blank=True)

    objects = PersonTransitionQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [
            # Compliance counts a mentor never supervised from their last activation: read for every mentor at once.
            models.Index(fields=["person", "at"], condition=Q(to_status="active"), name="transition_activated"),
        ]

    def __str__(self):
        return f"{self.person}: {self.from_status or '—'} → {self.to_status}"


class ShadowingLog(TenantModel):
    """Hours a mentor-to-be spent shadowing a member of staff."""

    mentor = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shadowing_logs")
    shadowed = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="shadowed_by")
    date = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ShadowingLogQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at"]
        constraints = [
            models.CheckConstraint(name="shadowing_hours_positive", condition=Q(hours__gt=0) & Q(hours__lte=12)),
            models.CheckConstraint(name="shadowing_not_oneself", condition=~Q(mentor=models.F("shadowed"))),
        ]
        indexes = [models.Index(fields=["mentor", "date"], name="shadowing_mentor_date")]

    def __str__(self):
        return f"{self.mentor} shadowed {self.shadowed} on {self.date} ({self.hours} h)"


class Match(TenantModel):
    """A mentor and a mentee. The mentee is a pseudonymous reference, never a name: mentees are often vulnerable.

    A coordinator proposes a match; it becomes active once approved (by a second coordinator where the partner
    has one): `approved_at`, `approved_by`. A proposal takes a place under the cap as an active match does.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed"
        ACTIVE = "active"
        ENDED = "ended"

    class Outcome(models.TextChoices):
        """What came of it for the mentee, as funders ask: recorded when the match ends."""

        GOALS_MET = "goals_met", "Goals met"
        PARTLY = "partly", "Goals partly met"
        DISENGAGED = "disengaged", "The mentee disengaged"
        MOVED_ON = "moved_on", "The mentee moved on"
        OTHER = "other", "Other"

    mentor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="matches")
    mentee_ref = models.CharField(max_length=40, help_text="The partner's pseudonymous reference for the mentee.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True, help_text="How the match ended, in words.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "mentee_ref"]
        verbose_name_plural = "matches"
        constraints = [
            # A mentee has one mentor at a time in a partner, proposed or under way.
            models.UniqueConstraint(
                fields=["partner", "mentee_ref"],
                condition=Q(status__in=["proposed", "active"]),
                name="match_one_active_per_mentee",
            ),
            models.CheckConstraint(
                name="match_ended_has_end_date",
                condition=(Q(status__in=["proposed", "active"]) & Q(ended_on__isnull=True))
                | (Q(status="ended") & Q(ended_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="match_ended_has_outcome",
                condition=(Q(status="ended") & ~Q(outcome="")) | (~Q(status="ended") & Q(outcome="")),
            ),
            models.CheckConstraint(
                name="match_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
        ]
        indexes = [models.Index(fields=["mentor", "status"], name="match_mentor_status")]

    def __str__(self):
        return f"{self.mentor} ↔ {self.mentee_ref}"
