"""Set-based reads of groups and sessions: who sees what, clashes, the notes audience.

Who sees a session (DESIGN.md, Supervision): the owning partner's coordinators
see all of its sessions; anyone else sees the sessions they attend (supervisors
attend the 1:1s they run); a coordinator of another partner sees the sessions
of an external group that their own people attend; the licensor sees every
row but never the notes. Notes are shown only to attendees and the owning
partner's coordinators: `with_notes_visibility(user)` decides that in the same
query as the list.
"""

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.tenancy import COORDINATOR, SUPERVISOR, TenantQuerySet, own_person_q


def _model(name):
    return apps.get_model("supervision", name)


def _notes_audience(access, user, session_ref):
    """Who reads a session's notes: the owning partner's coordinators and its attendees (the session at
    `session_ref`, an OuterRef path from the rows' model)."""
    attended = _model("SessionAttendance").objects.filter(
        own_person_q(access, user, "person"), session=OuterRef(session_ref)
    )
    return Q(partner__in=access.partner_ids([COORDINATOR])) | Exists(attended)


class SupervisionGroupQuerySet(TenantQuerySet):
    """The owner's coordinators and supervisors; for an external group also the coordinators of the guest
    partners and of partners with a member in it; and every member (through their login)."""

    def visible_condition(self, access, user):
        staff_partners = access.partner_ids([COORDINATOR, SUPERVISOR])
        coordinated = access.partner_ids([COORDINATOR])
        membership = _model("GroupMembership").objects.filter(group=OuterRef("pk"))
        guest = self.model.guest_partners.through.objects.filter(
            supervisiongroup_id=OuterRef("pk"), partner_id__in=coordinated
        )
        return (
            Q(partner__in=staff_partners)
            | Q(kind=self.model.Kind.EXTERNAL)
            & (Exists(guest) | Exists(membership.filter(person__partner__in=coordinated)))
            | Exists(membership.filter(own_person_q(access, user, "person")))
            # Someone invited sees the group they are asked to join.
            | Exists(
                _model("GroupInvitation").objects.filter(
                    own_person_q(access, user, "person"), group=OuterRef("pk"), status="pending"
                )
            )
        )

    def active(self):
        return self.filter(status=self.model.Status.ACTIVE)

    def with_members(self):
        return self.prefetch_related(
            models.Prefetch(
                "memberships",
                queryset=_model("GroupMembership").objects.select_related("person").order_by("opted_in_at", "id"),
            ),
            models.Prefetch(
                "invitations",
                queryset=_model("GroupInvitation")
                .objects.filter(status="pending")
                .select_related("person")
                .order_by("created_at", "id"),
                to_attr="pending_invitations",
            ),
            "guest_partners",
        )


class GroupMembershipQuerySet(TenantQuerySet):
    visible_with = "group"

    def consented(self):
        return self.filter(consented_at__isnull=False)


class GroupInvitationQuerySet(TenantQuerySet):
    """The owning partner's coordinators, the coordinators of the person invited (their own partner, who invited
    them to an external group) and the licensor see an invitation; a person sees their own."""

    def visible_condition(self, access, user):
        coordinated = access.partner_ids([COORDINATOR])
        return Q(partner__in=coordinated) | Q(person__partner__in=coordinated) | own_person_q(access, user, "person")

    def pending(self):
        return self.filter(status=self.model.Status.PENDING)


class ToolkitProcessQuerySet(TenantQuerySet):
    """Every member of the partner reads its toolkit (facilitators rotate among mentors); coordinators write."""


class SupervisionSeriesQuerySet(TenantQuerySet):
    """The partner's coordinators and supervisors, and whoever attends one of its sessions."""

    def visible_condition(self, access, user):
        attended = _model("SessionAttendance").objects.filter(
            own_person_q(access, user, "person"), session__series=OuterRef("pk")
        )
        return Q(partner__in=access.partner_ids([COORDINATOR, SUPERVISOR])) | Exists(attended)


class SupervisionSessionQuerySet(TenantQuerySet):
    def visible_condition(self, access, user):
        coordinated = access.partner_ids([COORDINATOR])
        attendance = _model("SessionAttendance").objects.filter(session=OuterRef("pk"))
        return (
            Q(partner__in=coordinated)
            | Exists(attendance.filter(own_person_q(access, user, "person")))
            | Exists(attendance.filter(person__partner__in=coordinated))
        )

    def with_notes_visibility(self, user):
        """Annotate `notes_visible`: may `user` read this session's notes (an attendee, or a coordinator of the
        owning partner)? The licensor sees every session but no notes."""
        return self.annotate_visibility(user, "notes_visible", lambda access, user: _notes_audience(access, user, "pk"))

    def booked(self):
        """Sessions that take up their attendees' time: not cancelled."""
        return self.filter(status__in=self.model.BOOKED)

    def overlapping(self, ranges):
        """Sessions overlapping any of the (starts_at, ends_at) `ranges` (half-open: back-to-back is no clash)."""
        condition = Q(pk__in=[])
        for starts_at, ends_at in ranges:
            condition |= Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
        return self.filter(condition)

    def attended_by(self, person):
        return self.filter(attendances__person=person)

    def with_parties(self):
        """What the API and the calendar show of a session, in a fixed number of queries."""
        return self.select_related("partner", "group", "supervisor", "supervisee", "facilitator").prefetch_related(
            models.Prefetch(
                "attendances",
                queryset=_model("SessionAttendance").objects.select_related("person").order_by("person__name", "id"),
            )
        )

    def for_listing(self):
        """What a list shows of a session: its own columns (its parties are shown as ids, so no join) and its
        attendees with their names, read for the page only, so the sort and the page run on this table alone.

        The attendees are a plain list in `listed_attendances` (what api.serializers.ListSerializer reads for
        `attendances`): a related manager's queryset for each row of the page would cost more than the rows."""
        return self.prefetch_related(
            models.Prefetch(
                "attendances",
                queryset=_model("SessionAttendance")
                .objects.select_related("person")
                .only("session_id", "person_id", "attendance", "person__name")
                .order_by("person__name", "id"),
                to_attr="listed_attendances",
            )
        )


class SessionAttendanceQuerySet(TenantQuerySet):
    visible_with = "session"

    def clashes(self, person_ids, ranges, exclude_sessions=()):
        """Attendance rows of `person_ids` in booked sessions overlapping any of `ranges`: one query."""
        sessions = _model("SupervisionSession").objects.booked().overlapping(ranges).exclude(pk__in=exclude_sessions)
        return (
            self.filter(person_id__in=person_ids, session__in=sessions)
            .select_related("person", "session")
            .order_by("session__starts_at", "person__name")
        )


class SessionActionQuerySet(TenantQuerySet):
    """An action is seen by whoever may read its session's notes, and by its owner."""

    def visible_condition(self, access, user):
        return _notes_audience(access, user, "session") | own_person_q(access, user, "owner")

    # The licensor reads no session's notes, so none of the actions agreed in them: only as any member would.
    licensor_condition = visible_condition

    def open(self):
        return self.filter(done_at__isnull=True)


class SupervisionAssignmentQuerySet(TenantQuerySet):
    """Who supervises whom 1:1. The partner's coordinators and the licensor read every assignment; a supervisor
    and a supervisee read their own."""

    reader_roles = (COORDINATOR,)
    own_person_paths = ("supervisor", "supervisee")

    def current(self, on=None):
        """Assignments in force on `on` (today, in the deployment's time zone, when None): from `starts_on`
        up to the day before `ends_on`."""
        on = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on), starts_on__lte=on)

    def overlapping(self, starts_on, ends_on):
        """Assignments sharing a day with [starts_on, ends_on) (`ends_on` None: open-ended)."""
        condition = Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on)
        if ends_on is not None:
            condition &= Q(starts_on__lt=ends_on)
        return self.filter(condition)
