"""Peer-supervision groups, supervision sessions and their series."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from franchise.models import TenantModel
from supervision.sessions.querysets import (
    GroupInvitationQuerySet,
    GroupMembershipQuerySet,
    SessionActionQuerySet,
    SessionAttendanceQuerySet,
    SupervisionAssignmentQuerySet,
    SupervisionGroupQuerySet,
    SupervisionSeriesQuerySet,
    SupervisionSessionQuerySet,
    ToolkitProcessQuerySet,
)
from supervision.sessions.recurrence import local_date

__all__ = [
    "ToolkitProcess",
    "SupervisionGroup",
    "GroupMembership",
    "GroupInvitation",
    "SupervisionSeries",
    "SupervisionSession",
    "SessionAttendance",
    "SessionAction",
    "SupervisionAssignment",
]


def new_group_calendar_secret():
    # 256 bits: the secret is the only thing guarding a feed that needs no login.
    return secrets.token_urlsafe(32)


class ToolkitProcess(TenantModel):
    """A process of the partner's peer-supervision toolkit: a name, what it is for, and its timed steps.

    `steps` is a list of {"title", "minutes"} in the order the group follows them ("presenter describes", 5;
    "silent reflection", 3; "group offers questions, not advice", 10); the services check its shape. A process a
    session has used stays in the library (PROTECT), so the record keeps which process ran.
    """

    name = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    steps = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ToolkitProcessQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="toolkit_process_name_once")]

    def __str__(self):
        return self.name

    @property
    def total_minutes(self):
        return sum(step["minutes"] for step in self.steps)


class SupervisionGroup(TenantModel):
    """A peer-supervision group owned by a partner.

    `internal` groups hold members of the owning partner only; `external` ones
    also people of other partners, each added (so consented to) by that person's
    own coordinator. There is no hierarchy: a facilitator rotates among members.
    """

    class Kind(models.TextChoices):
        INTERNAL = "internal"
        EXTERNAL = "external"

    class Status(models.TextChoices):
        FORMING = "forming"
        ACTIVE = "active"
        CLOSED = "closed"

    TRANSITIONS = {
        Status.FORMING: (Status.ACTIVE, Status.CLOSED),
        Status.ACTIVE: (Status.CLOSED,),
        Status.CLOSED: (),
    }

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INTERNAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FORMING)
    rrule = models.CharField(
        max_length=500, blank=True, help_text="The meeting rule, an RFC 5545 RRULE such as FREQ=MONTHLY;BYDAY=1TU."
    )
    guest_partners = models.ManyToManyField(
        "franchise.Partner",
        blank=True,
        related_name="+",
        help_text="External groups: the other partners whose coordinators may add their own people.",
    )
    calendar_secret = models.CharField(max_length=64, unique=True, default=new_group_calendar_secret, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SupervisionGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class GroupMembership(TenantModel):
    """A person's voluntary membership of a group: when they opted in, how, and who consented for their partner.

    `partner` is the group's owner; the person may belong to another partner
    (external groups). `consented_by` is a coordinator of the person's own
    partner; until then the membership is pending and counts for nothing.
    `opt_in` says how the person opted in: themselves (accepting an invitation),
    or on a signed paper a coordinator recorded, `opted_in_at` then being the
    date it was signed.
    """

    class OptIn(models.TextChoices):
        OWN = "own", "opted in themselves"
        SIGNED = "signed", "signed opt-in"

    group = models.ForeignKey(SupervisionGroup, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey("supervision.Person", on_delete=models.CASCADE, related_name="group_memberships")
    opted_in_at = models.DateTimeField()
    opt_in = models.CharField(max_length=10, choices=OptIn.choices, default=OptIn.SIGNED)
    consented_at = models.DateTimeField(null=True, blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GroupMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["opted_in_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="group_membership_once")]

    def __str__(self):
        return f"{self.person} in {self.group}"

    @property
    def consented(self):
        return self.consented_at is not None


class GroupInvitation(TenantModel):
    """A coordinator's invitation to a person to join a group; the person accepts or declines it themselves.

    Joining is voluntary: the invitation is the partner's consent, the acceptance
    the person's opt-in. `partner` is the group's owner. At most one invitation
    per person and group is pending at a time.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        DECLINED = "declined"
        WITHDRAWN = "withdrawn"

    group = models.ForeignKey(SupervisionGroup, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey("supervision.Person", on_delete=models.CASCADE, related_name="group_invitations")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = GroupInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "person"], condition=Q(status="pending"), name="group_invitation_one_pending"
            )
        ]

    def __str__(self):
        return f"{self.person} invited to {self.group} ({self.status})"


class SupervisionSeries(TenantModel):
    """Sessions created together from an RRULE. The occurrences are stored sessions; the series keeps the rule
    and the first start in the partner's time zone so that the expansion can be checked and explained."""

    rrule = models.CharField(max_length=500)
    dtstart = models.DateTimeField(help_text="The first occurrence's start.")
    time_zone = models.CharField(max_length=64, help_text="The partner's time zone when the series was created.")
    duration = models.DurationField()
    capped = models.BooleanField(default=False, help_text="The rule yielded more occurrences than the cap.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SupervisionSeriesQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "supervision series"

    def __str__(self):
        return f"{self.rrule} from {self.dtstart:%Y-%m-%d %H:%M}"


class SupervisionSession(TenantModel):
    """A 1:1 (supervisor and supervisee) or group supervision session.

    `sequence` is bumped whenever time, place or status change, so calendar
    clients and the reminders planner can tell a changed event from an old copy.
    `starts_on` is the start's date in the partner's time zone, kept so that
    compliance can compare dates in SQL without per-partner time-zone maths.
    """

    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one"
        GROUP = "group"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        HELD = "held"
        CANCELLED = "cancelled"
        MISSED = "missed"

    TRANSITIONS = {
        Status.SCHEDULED: (Status.HELD, Status.MISSED, Status.CANCELLED),
        # A record can be corrected (held <-> missed) until it is confirmed; see record_session.
        Status.HELD: (Status.HELD, Status.MISSED),
        Status.MISSED: (Status.HELD, Status.MISSED),
        Status.CANCELLED: (),
    }
    # Sessions that occupy their attendees' time: anything but a cancelled one.
    BOOKED = (Status.SCHEDULED, Status.HELD, Status.MISSED)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    group = models.ForeignKey(
        SupervisionGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    supervisor = models.ForeignKey(
        "supervision.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions_supervised"
    )
    supervisee = models.ForeignKey(
        "supervision.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions_as_supervisee"
    )
    facilitator = models.ForeignKey(
        "supervision.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions_facilitated",
        help_text="Group sessions: the member whose turn it is to facilitate.",
    )
    series = models.ForeignKey(
        SupervisionSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    starts_on = models.DateField(editable=False, help_text="The start's date in the partner's time zone.")
    location = models.CharField(max_length=300, blank=True, help_text="A place or a meeting link.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    sequence = models.PositiveIntegerField(default=0)
    process = models.ForeignKey(
        ToolkitProcess,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="The process of the partner's toolkit the session follows.",
    )
    toolkit_process = models.CharField(
        max_length=200, blank=True, help_text="The toolkit process used, by name (kept with the record)."
    )
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    supervisee_comment = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SupervisionSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["partner", "starts_at"], name="session_partner_start"),
            models.Index(fields=["group", "starts_at"], name="session_group_start"),
            models.Index(fields=["series", "starts_at"], name="session_series_start"),
            # Compliance reads every held session's date (joined from the attendances) and every held 1:1 awaiting
            # its supervisee's confirmation, for all mentors at once: these two are read from the index alone.
            models.Index(fields=["id"], include=["starts_on"], condition=Q(status="held"), name="session_held_on"),
            models.Index(
                fields=["supervisee", "starts_at"],
                condition=Q(kind="one_to_one", status="held", confirmed_at__isnull=True),
                name="session_unconfirmed",
            ),
        ]
        constraints = [
            models.CheckConstraint(name="session_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))),
            models.CheckConstraint(
                name="session_kind_parties",
                condition=(
                    Q(
                        kind="one_to_one",
                        group__isnull=True,
                        supervisor__isnull=False,
                        supervisee__isnull=False,
                    )
                    & ~Q(supervisor=models.F("supervisee"))
                )
                | Q(kind="group", group__isnull=False, supervisor__isnull=True, supervisee__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.starts_on = local_date(self.starts_at, self.partner.time_zone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "starts_at" in update_fields:
            kwargs["update_fields"] = {*update_fields, "starts_on"}
        super().save(*args, **kwargs)

    @property
    def is_one_to_one(self):
        return self.kind == self.Kind.ONE_TO_ONE


class SessionAttendance(TenantModel):
    """An invitee of a session and, once recorded, their attendance. `partner` is the session's."""

    class Attendance(models.TextChoices):
        PRESENT = "present"
        APOLOGIES = "apologies"
        ABSENT = "absent"

    session = models.ForeignKey(SupervisionSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="session_attendances")
    attendance = models.CharField(max_length=20, choices=Attendance.choices, blank=True)

    objects = SessionAttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["session", "person__name"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="session_attendance_once")]
        indexes = [
            models.Index(fields=["person", "attendance"], name="attendance_person"),
            # A partner's or a caseload's compliance finds its mentors' attended sessions from the index alone.
            models.Index(fields=["person", "session"], condition=Q(attendance="present"), name="attendance_present"),
        ]

    def __str__(self):
        return f"{self.person} at {self.session}"


class SessionAction(TenantModel):
    """An action agreed in a session: who does what by when."""

    session = models.ForeignKey(SupervisionSession, on_delete=models.CASCADE, related_name="actions")
    owner = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="session_actions")
    description = models.TextField()
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    objects = SessionActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self):
        # Not the description: this string shows in logs and the admin, and what was agreed is as private as the notes.
        return f"Action for {self.owner}, due {self.due_on}"


class SupervisionAssignment(TenantModel):
    """Who supervises whom 1:1: a coordinator's decision, from `starts_on` up to the day before `ends_on`.

    A supervisor's rights over a mentor's records (the incidents on the agenda,
    and with the policy's `supervisors_see_incidents` the incidents themselves)
    follow a current assignment, never a session someone booked. Both people
    belong to the partner; one pair holds at most one assignment on any day
    (the services check overlaps; the constraint keeps at most one open-ended).
    """

    supervisor = models.ForeignKey(
        "supervision.Person", on_delete=models.PROTECT, related_name="supervision_assignments"
    )
    supervisee = models.ForeignKey(
        "supervision.Person", on_delete=models.PROTECT, related_name="supervised_by_assignments"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(
        null=True, blank=True, help_text="The first day the assignment no longer holds; empty while it goes on."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SupervisionAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "id"]
        indexes = [models.Index(fields=["supervisee", "supervisor"], name="assignment_pair")]
        constraints = [
            models.CheckConstraint(name="assignment_two_people", condition=~Q(supervisor=models.F("supervisee"))),
            models.CheckConstraint(
                name="assignment_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
            models.UniqueConstraint(
                fields=["supervisor", "supervisee"],
                condition=Q(ends_on__isnull=True),
                name="assignment_one_open_per_pair",
            ),
        ]

    def __str__(self):
        return f"{self.supervisor} supervises {self.supervisee} from {self.starts_on}"

    def is_current(self, on=None):
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on > on)
