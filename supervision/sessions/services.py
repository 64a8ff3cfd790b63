"""Use cases of peer groups and supervision sessions. Every function writes in one transaction, checks who may
do it, and raises a domain error (nothing half-written) when a rule says no.

Clashes: a person cannot be booked into overlapping sessions. Each booking
checks every attendee with one query under the transaction; on PostgreSQL the
attendees' Person rows are locked first, in id order, so that two bookings of
the same person wait for each other instead of both passing the check (and two
bookings of overlapping people cannot deadlock). SQLite serialises writers.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted, RuleNotMet, check_transition
from core.tenancy import COORDINATOR, SUPERVISOR, access_for, is_own_person, require_role
from reminders import services as reminders
from supervision.models import (
    GroupInvitation,
    GroupMembership,
    MentorStatus,
    Person,
    SessionAction,
    SessionAttendance,
    SupervisionGroup,
    SupervisionSeries,
    SupervisionSession,
    ToolkitProcess,
)
from supervision.sessions.assignments import require_assignment
from supervision.sessions.recurrence import expand, local_date, normalise_rrule, shift_wall_clock, zone
from supervision.sessions.rules import Clash, composition_unmet, equal_standing, group_unmet

__all__ = [
    "create_group",
    "update_group",
    "add_member",
    "invite_member",
    "join_group",
    "decline_invitation",
    "leave_group",
    "consent_member",
    "remove_member",
    "activate_group",
    "close_group",
    "regenerate_group_calendar",
    "rotate_facilitators",
    "schedule_session",
    "schedule_series",
    "reschedule_session",
    "cancel_session",
    "record_session",
    "confirm_session",
    "choose_process",
    "create_process",
    "update_process",
    "delete_process",
    "may_record",
    "add_action",
    "complete_action",
    "THIS",
    "FOLLOWING",
]

# Who books and moves sessions in a partner.
SCHEDULERS = (COORDINATOR, SUPERVISOR)
# Scope of an edit to an occurrence of a series.
THIS = "this"
FOLLOWING = "following"
SCOPES = (THIS, FOLLOWING)
# Sessions are planned and recorded within this distance of today; it also keeps rule expansion away from year 9999.
BOOKING_RANGE = timedelta(days=3653)

Group = SupervisionGroup
Session = SupervisionSession


# --- helpers --------------------------------------------------------------------------


def _locks():
    return connection.vendor == "postgresql"


def _lock_group(group):
    """Lock the group's row (PostgreSQL) and reload it in place, so the caller's object is current too.

    Member changes and activation of one group then run one after another: each
    re-checks the rules against the members the other has just committed.
    """
    if _locks():
        list(Group.objects.select_for_update().filter(pk=group.pk).values_list("pk", flat=True))
    group.refresh_from_db()
    return group


def _lock_session(session):
    queryset = Session.objects.select_related("partner", "group", "supervisor", "supervisee", "facilitator")
    if _locks():
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=session.pk)


def _lock_people(person_ids):
    """Lock the attendees' rows in a stable order (PostgreSQL): concurrent bookings of one person queue up."""
    if _locks() and person_ids:
        list(Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk").values_list("pk", flat=True))


def _refuse_clashes(partner, person_ids, ranges, exclude_sessions=()):
    """One query: raise Clash naming the first person booked elsewhere at an overlapping time."""
    if not person_ids or not ranges:
        return
    found = list(
        SessionAttendance.objects.clashes(person_ids, ranges, exclude_sessions).select_related("session__partner")[:50]
    )
    if found:
        first = found[0]
        raise Clash(first.person, first.session, partner=partner, more=len(found) - 1)


def _check_times(starts_at, ends_at):
    if starts_at is None or ends_at is None:
        raise Invalid("Give the start and the end.", field="starts_at")
    if ends_at <= starts_at:
        raise Invalid("A session ends after it starts.", field="ends_at")
    if ends_at - starts_at > timedelta(hours=12):
        raise Invalid("A supervision session lasts at most 12 hours.", field="ends_at")
    now = timezone.now()
    if not now - BOOKING_RANGE <= starts_at <= now + BOOKING_RANGE:
        raise Invalid("A session is booked within ten years of today.", field="starts_at")


def _consented_member_ids(group):
    return list(
        GroupMembership.objects.filter(group=group)
        .consented()
        .order_by("opted_in_at", "pk")
        .values_list("person_id", flat=True)
    )


def _future_group_sessions(group, now=None):
    return Session.objects.filter(group=group, status=Session.Status.SCHEDULED, starts_at__gte=now or timezone.now())


def _wall(moment, time_zone):
    return moment.astimezone(zone(time_zone)).replace(tzinfo=None)


def _bump(session, now):
    session.sequence += 1
    session.updated_at = now


# --- groups ---------------------------------------------------------------------------


def _guest_partners(kind, owner, guests):
    guests = [guest for guest in guests if guest.pk != owner.pk]
    if guests and kind != Group.Kind.EXTERNAL:
        raise Invalid("Only an external group has guest partners.", field="guest_partners")
    return guests


@transaction.atomic
def create_group(*, by, partner, name, kind=Group.Kind.INTERNAL, rrule="", guest_partners=()):
    """A forming peer group of `partner`. Members join it one by one; then it is activated."""
    require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators create peer groups.")
    name = (name or "").strip()
    if not name:
        raise Invalid("Give the group a name.", field="name")
    if kind not in Group.Kind.values:
        raise Invalid(f"{kind!r} is not a kind of group.", field="kind")
    group = Group.objects.create(
        partner=partner,
        name=name,
        kind=kind,
        rrule=normalise_rrule(rrule, partner.time_zone) if rrule else "",
        created_by=by,
    )
    group.guest_partners.set(_guest_partners(kind, partner, guest_partners))
    return group


@transaction.atomic
def update_group(*, by, group, **changes):
    """Rename the group, change its meeting rule or (external groups) its guest partners."""
    require_role(by, group.partner, (COORDINATOR,), message="Only the partner's coordinators change peer groups.")
    unknown = set(changes) - {"name", "rrule", "guest_partners"}
    if unknown:
        raise Invalid(f"{', '.join(sorted(unknown))} cannot be changed here.")
    group = _lock_group(group)
    if group.status == Group.Status.CLOSED:
        raise Invalid("A closed group cannot be changed.", code="group_closed")
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise Invalid("Give the group a name.", field="name")
        group.name = name
    if "rrule" in changes:
        group.rrule = normalise_rrule(changes["rrule"], group.partner.time_zone) if changes["rrule"] else ""
    group.save()
    if "guest_partners" in changes:
        guests = _guest_partners(group.kind, group.partner, changes["guest_partners"])
        kept = {guest.pk for guest in guests} | {group.partner_id}
        if GroupMembership.objects.filter(group=group).exclude(person__partner__in=kept).exists():
            raise Invalid(
                "A partner whose people are members stays a guest until they have left.", field="guest_partners"
            )
        group.guest_partners.set(guests)
    return group


def _may_consent(by, person):
    return access_for(by).has_role(person.partner_id, (COORDINATOR,))


def _check_candidate(group, person):
    """Could `person` be a member of `group` at all (its kind, their partner, their status, not already in)?"""
    if group.status == Group.Status.CLOSED:
        raise Invalid("A closed group takes no new members.", field="person", code="group_closed")
    if person.partner_id != group.partner_id:
        if group.kind != Group.Kind.EXTERNAL:
            raise Invalid("An internal group takes members of its own partner only.", field="person")
        if not group.guest_partners.filter(pk=person.partner_id).exists():
            raise Invalid("This person's partner is not a guest partner of the group.", field="person")
    if person.mentor_status == MentorStatus.EXITED:
        raise Invalid(f"{person.name} has left the mentor pathway.", field="person", code="person_exited")
    if GroupMembership.objects.filter(group=group, person=person).exists():
        raise Invalid(f"{person.name} is already a member of this group.", field="person", code="already_member")


def _answer_invitation(group, person, status, now):
    GroupInvitation.objects.filter(group=group, person=person).pending().update(
        status=status, answered_at=now, updated_at=now
    )


@transaction.atomic
def add_member(*, by, group, person, opted_in_at=None):
    """Record the signed opt-in of a person to a group (`opted_in_at`: the date on the paper; now when None).

    A coordinator of the person's own partner adds them, which is that partner's
    consent; for an external group that is how each partner puts its own people
    forward. A licensor admin may propose a member of any guest partner, who then
    waits for their coordinator's consent (consent_member). Only consented members
    count, are invited to sessions and are checked against the group's rules.
    A pending invitation of theirs is answered by the signed opt-in.
    """
    access = access_for(by)
    group = _lock_group(group)
    _check_candidate(group, person)
    consented = _may_consent(by, person)
    if not consented and not access.is_licensor:
        raise NotPermitted("Only a coordinator of the person's own partner adds them to a peer group.")
    now = timezone.now()
    opted_in_at = opted_in_at or now
    if opted_in_at > now:
        raise Invalid("The opt-in cannot be in the future.", field="opted_in_at")
    membership = GroupMembership(
        partner_id=group.partner_id,
        group=group,
        person=person,
        opted_in_at=opted_in_at,
        opt_in=GroupMembership.OptIn.SIGNED,
        added_by=by,
        consented_at=now if consented else None,
        consented_by=by if consented else None,
    )
    if consented:
        _admit(group, person)
    membership.save()
    _answer_invitation(group, person, GroupInvitation.Status.ACCEPTED, now)
    if consented:
        _invite_to_future_sessions(group, person)
        rotate_facilitators(group)
    return membership


def _admit(group, person):
    """Refuse a new consented member who would break a rule: equal standing in any group (checked for the pairs
    the newcomer makes), and the size and trained-majority rules once the group is active."""
    members = [*_consented_member_ids(group), person.pk]
    unmet = equal_standing(group, members, newcomer=person.pk)
    if group.status == Group.Status.ACTIVE:
        unmet = composition_unmet(group, members) + unmet
    if unmet:
        which = "this active group" if group.status == Group.Status.ACTIVE else "this group"
        raise RuleNotMet(unmet, message=f"Adding {person.name} would break a rule of {which}.")


def _own_person_among(by, people):
    return next((person for person in people if is_own_person(by, person)), None)


@transaction.atomic
def invite_member(*, by, group, person):
    """Invite a person to join a group; they accept (join_group) or decline it themselves.

    The invitation is made, as a membership is, by a coordinator of the person's
    own partner: their partner's consent. Someone who could not become a member
    (another group's kind, a pair of unequal standing, a coordinator of the
    owning partner) is refused now rather than when they answer.
    """
    if not _may_consent(by, person):
        raise NotPermitted("Only a coordinator of the person's own partner invites them to a peer group.")
    group = _lock_group(group)
    _check_candidate(group, person)
    if GroupInvitation.objects.filter(group=group, person=person).pending().exists():
        raise Invalid(f"{person.name} has already been invited to this group.", field="person", code="already_invited")
    unmet = equal_standing(group, [*_consented_member_ids(group), person.pk], newcomer=person.pk)
    if unmet:
        raise RuleNotMet(unmet, message=f"{person.name} cannot be invited to this group.")
    return GroupInvitation.objects.create(partner_id=group.partner_id, group=group, person=person, invited_by=by)


def _own_invitation(by, group):
    invitations = GroupInvitation.objects.filter(group=group).pending().select_related("person", "invited_by")
    own = [invitation for invitation in invitations if is_own_person(by, invitation.person)]
    if own:
        return own[0]
    members = [m.person for m in GroupMembership.objects.filter(group=group).select_related("person")]
    if _own_person_among(by, members) is not None:
        raise Invalid("You are already a member of this group.", code="already_member")
    raise Invalid(
        "You have no invitation to this group: a coordinator invites, or records your signed opt-in.",
        code="not_invited",
    )


@transaction.atomic
def join_group(*, by, group):
    """The invited person opts in themselves: their own Person becomes a consented member (the invitation was
    their coordinator's consent), under the same rules as any new member."""
    group = _lock_group(group)
    invitation = _own_invitation(by, group)
    person = invitation.person
    _check_candidate(group, person)
    _admit(group, person)
    now = timezone.now()
    invited_by = invitation.invited_by
    membership = GroupMembership.objects.create(
        partner_id=group.partner_id,
        group=group,
        person=person,
        opted_in_at=now,
        opt_in=GroupMembership.OptIn.OWN,
        added_by=by,
        consented_at=now,
        consented_by=invited_by,
    )
    _answer_invitation(group, person, GroupInvitation.Status.ACCEPTED, now)
    _invite_to_future_sessions(group, person)
    rotate_facilitators(group)
    return membership


@transaction.atomic
def decline_invitation(*, by, group):
    """The invited person says no. Nothing else changes; a coordinator may ask again later."""
    group = _lock_group(group)
    invitation = _own_invitation(by, group)
    invitation.status = GroupInvitation.Status.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at", "updated_at"])
    return invitation


@transaction.atomic
def leave_group(*, by, group):
    """A member leaves of their own accord (membership is voluntary), under the rules of remove_member."""
    members = [m.person for m in GroupMembership.objects.filter(group=group).select_related("person")]
    person = _own_person_among(by, members)
    if person is None:
        raise Invalid("You are not a member of this group.", code="not_member")
    remove_member(by=by, group=group, person=person)
    return person


def _invite_to_future_sessions(group, person):
    upcoming = list(_future_group_sessions(group).exclude(attendances__person=person))
    if not upcoming:
        return
    _lock_people([person.pk])
    _refuse_clashes(
        group.partner,
        [person.pk],
        [(session.starts_at, session.ends_at) for session in upcoming],
        exclude_sessions=[session.pk for session in upcoming],
    )
    SessionAttendance.objects.bulk_create(
        [SessionAttendance(partner_id=group.partner_id, session=session, person=person) for session in upcoming]
    )


@transaction.atomic
def consent_member(*, by, group, person):
    """A coordinator of the person's own partner consents to a membership a licensor admin proposed."""
    if not _may_consent(by, person):
        raise NotPermitted("Only a coordinator of the person's own partner consents to their membership.")
    group = _lock_group(group)
    membership = GroupMembership.objects.filter(group=group, person=person).first()
    if membership is None:
        raise NotFound()
    if membership.consented:
        return membership
    if group.status == Group.Status.CLOSED:
        raise Invalid("The group is closed.", code="group_closed")
    _admit(group, person)
    membership.consented_at = timezone.now()
    membership.consented_by = by
    membership.save(update_fields=["consented_at", "consented_by", "updated_at"])
    _invite_to_future_sessions(group, person)
    rotate_facilitators(group)
    return membership


@transaction.atomic
def remove_member(*, by, group, person):
    """A member leaves (membership is voluntary), or a coordinator of the group's or the member's partner removes
    them. An active group refuses a departure that would break one of its rules."""
    access = access_for(by)
    allowed = (
        access.has_role(group.partner_id, (COORDINATOR,))
        or access.has_role(person.partner_id, (COORDINATOR,))
        or is_own_person(by, person)
        or access.is_licensor
    )
    if not allowed:
        raise NotPermitted("Members leave themselves, or a coordinator of the group or of the member removes them.")
    group = _lock_group(group)
    membership = GroupMembership.objects.filter(group=group, person=person).first()
    if membership is None:
        raise NotFound("This person is not a member of the group.")
    if membership.consented and group.status == Group.Status.ACTIVE:
        remaining = [pk for pk in _consented_member_ids(group) if pk != person.pk]
        # Leaving cannot make two members unequal: only the group's size and trained majority are at stake.
        unmet = composition_unmet(group, remaining)
        if unmet:
            raise RuleNotMet(unmet, message=f"Without {person.name} this active group would break a rule.")
    membership.delete()
    now = timezone.now()
    upcoming = _future_group_sessions(group, now)
    SessionAttendance.objects.filter(session__in=upcoming, person=person).delete()
    rotate_facilitators(group)


@transaction.atomic
def activate_group(*, by, group):
    """forming -> active, when the consented members meet the owning partner's size and trained-majority rules."""
    require_role(by, group.partner, (COORDINATOR,), message="Only the partner's coordinators activate peer groups.")
    group = _lock_group(group)
    check_transition(Group.TRANSITIONS, group.status, Group.Status.ACTIVE)
    unmet = group_unmet(group, _consented_member_ids(group))
    if unmet:
        raise RuleNotMet(unmet, message="The group cannot be activated yet.")
    group.status = Group.Status.ACTIVE
    group.activated_at = timezone.now()
    group.save(update_fields=["status", "activated_at", "updated_at"])
    return group


@transaction.atomic
def close_group(*, by, group):
    """Close a group; its sessions still to come are cancelled (their calendar entries say so)."""
    require_role(by, group.partner, (COORDINATOR,), message="Only the partner's coordinators close peer groups.")
    group = _lock_group(group)
    check_transition(Group.TRANSITIONS, group.status, Group.Status.CLOSED)
    now = timezone.now()
    group.status = Group.Status.CLOSED
    group.closed_at = now
    group.save(update_fields=["status", "closed_at", "updated_at"])
    GroupInvitation.objects.filter(group=group).pending().update(
        status=GroupInvitation.Status.WITHDRAWN, answered_at=now, updated_at=now
    )
    upcoming = list(_future_group_sessions(group, now))
    _cancel(upcoming, by=by, now=now, reason="The group has closed.")
    return group


@transaction.atomic
def regenerate_group_calendar(*, by, group):
    """A new secret for the group's feed: the old URL stops working at once."""
    require_role(by, group.partner, (COORDINATOR,))
    from supervision.sessions.models import new_group_calendar_secret

    group.calendar_secret = new_group_calendar_secret()
    group.save(update_fields=["calendar_secret", "updated_at"])
    return group


def rotate_facilitators(group):
    """Give each of the group's scheduled sessions a facilitator, taking the members in turn.

    Members take turns in the order they joined, starting after whoever
    facilitated the last session that took place (held or missed); the turns
    are recomputed whenever members or sessions change, so a cancelled session
    passes its facilitator's turn on rather than skipping it.
    """
    members = _consented_member_ids(group)
    upcoming = list(Session.objects.filter(group=group, status=Session.Status.SCHEDULED).order_by("starts_at", "pk"))
    if not upcoming:
        return []
    last = (
        Session.objects.filter(
            group=group, status__in=(Session.Status.HELD, Session.Status.MISSED), facilitator__isnull=False
        )
        .order_by("-starts_at")
        .values_list("facilitator_id", flat=True)
        .first()
    )
    start = members.index(last) + 1 if last in members else 0
    changed = []
    for position, session in enumerate(upcoming):
        facilitator = members[(start + position) % len(members)] if members else None
        if session.facilitator_id != facilitator:
            session.facilitator_id = facilitator
            changed.append(session)
    Session.objects.bulk_update(changed, ["facilitator"])
    return upcoming


# --- sessions -------------------------------------------------------------------------


def _attendees_for(partner, kind, group, supervisor, supervisee):
    """The people a new session invites (ids), after checking its parties."""
    if kind == Session.Kind.ONE_TO_ONE:
        if group is not None:
            raise Invalid("A 1:1 session has no group.", field="group")
        if supervisor is None:
            raise Invalid("A 1:1 session needs a supervisor.", field="supervisor")
        if supervisee is None:
            raise Invalid("A 1:1 session needs a supervisee.", field="supervisee")
        if supervisor.pk == supervisee.pk:
            raise Invalid("Supervisor and supervisee are two different people.", field="supervisee")
        for field, person in (("supervisor", supervisor), ("supervisee", supervisee)):
            if person.partner_id != partner.pk:
                raise Invalid(f"{person.name} does not belong to this partner.", field=field)
        return [supervisor.pk, supervisee.pk]
    if kind == Session.Kind.GROUP:
        if group is None:
            raise Invalid("A group session needs its group.", field="group")
        if supervisor is not None or supervisee is not None:
            raise Invalid("A peer group has no supervisor: its facilitator rotates.", field="supervisor")
        if group.partner_id != partner.pk:
            raise Invalid("The group belongs to another partner.", field="group")
        if group.status != Group.Status.ACTIVE:
            raise Invalid("Activate the group before scheduling its sessions.", field="group", code="group_not_active")
        members = _consented_member_ids(group)
        if not members:
            raise Invalid("The group has no members to invite.", field="group")
        return members
    raise Invalid(f"{kind!r} is not a kind of session.", field="kind")


def _tell_reminders(sessions):
    """Attendees hear of a booked, moved or cancelled session once this commits, not at the next sweep.

    Best effort, after the commit: a planning failure is logged (robust) and never undoes the booking, and the
    beat sweep plans the same reminders within minutes anyway.
    """
    session_ids = [session.pk for session in sessions]
    if not session_ids:
        return

    def plan():
        with transaction.atomic():
            reminders.sessions_changed(session_ids)

    transaction.on_commit(plan, robust=True)


def _new_session(
    partner, kind, starts_at, ends_at, location, group, supervisor, supervisee, by, series=None, process=None
):
    return Session(
        partner=partner,
        process=process,
        toolkit_process=process.name if process else "",
        kind=kind,
        group=group,
        supervisor=supervisor,
        supervisee=supervisee,
        series=series,
        starts_at=starts_at,
        ends_at=ends_at,
        starts_on=local_date(starts_at, partner.time_zone),
        location=location or "",
        created_by=by,
    )


def _create_with_attendees(sessions, person_ids):
    Session.objects.bulk_create(sessions)
    SessionAttendance.objects.bulk_create(
        [
            SessionAttendance(partner_id=session.partner_id, session=session, person_id=person_id)
            for session in sessions
            for person_id in person_ids
        ]
    )


def _check_process(partner, process):
    if process is not None and process.partner_id != getattr(partner, "pk", partner):
        raise Invalid("The process belongs to another partner's toolkit.", field="process")


@transaction.atomic
def schedule_session(
    *, by, partner, kind, starts_at, ends_at, location="", group=None, supervisor=None, supervisee=None, process=None
):
    """Book a 1:1 (supervisor and supervisee) or a group session (every consented member), refusing any clash.
    `process`: the toolkit process it is to follow, if already chosen."""
    require_role(by, partner, SCHEDULERS, message="Only coordinators and supervisors schedule sessions.")
    _check_times(starts_at, ends_at)
    _check_process(partner, process)
    attendees = _attendees_for(partner, kind, group, supervisor, supervisee)
    _lock_people(attendees)
    if kind == Session.Kind.ONE_TO_ONE:
        require_assignment(by=by, partner=partner, supervisor=supervisor, supervisee=supervisee)
    _refuse_clashes(partner, attendees, [(starts_at, ends_at)])
    session = _new_session(
        partner, kind, starts_at, ends_at, location, group, supervisor, supervisee, by, process=process
    )
    _create_with_attendees([session], attendees)
    if group is not None:
        rotate_facilitators(group)
    _tell_reminders([session])
    return session


@transaction.atomic
def schedule_series(
    *,
    by,
    partner,
    rrule,
    kind,
    starts_at,
    ends_at,
    location="",
    group=None,
    supervisor=None,
    supervisee=None,
    process=None,
):
    """Sessions from an RRULE with DTSTART = `starts_at` in the partner's time zone, each lasting as long as
    the first; at most MAX_OCCURRENCES. Every occurrence is checked for clashes in the same single query."""
    require_role(by, partner, SCHEDULERS, message="Only coordinators and supervisors schedule sessions.")
    _check_times(starts_at, ends_at)
    _check_process(partner, process)
    expansion = expand(rrule, starts_at, partner.time_zone)
    duration = ends_at - starts_at
    ranges = [(start, start + duration) for start in expansion.starts]
    for (_, previous_end), (next_start, _) in zip(ranges, ranges[1:], strict=False):
        if next_start < previous_end:
            raise Invalid("Occurrences of this rule would overlap one another.", field="rrule")
    attendees = _attendees_for(partner, kind, group, supervisor, supervisee)
    _lock_people(attendees)
    if kind == Session.Kind.ONE_TO_ONE:
        require_assignment(by=by, partner=partner, supervisor=supervisor, supervisee=supervisee)
    _refuse_clashes(partner, attendees, ranges)
    series = SupervisionSeries.objects.create(
        partner=partner,
        rrule=expansion.rrule,
        dtstart=starts_at,
        time_zone=partner.time_zone,
        duration=duration,
        capped=expansion.capped,
        created_by=by,
    )
    sessions = [
        _new_session(
            partner, kind, start, end, location, group, supervisor, supervisee, by, series=series, process=process
        )
        for start, end in ranges
    ]
    _create_with_attendees(sessions, attendees)
    if group is not None:
        rotate_facilitators(group)
    _tell_reminders(sessions)
    return series, sessions


def _targets(session, scope):
    """The session alone, or it and the scheduled occurrences of its series that follow it."""
    if scope not in SCOPES:
        raise Invalid(f"scope is {THIS!r} or {FOLLOWING!r}.", field="scope")
    if scope == THIS:
        return [session]
    if session.series_id is None:
        raise Invalid("This session is not part of a series.", field="scope")
    queryset = Session.objects.filter(
        series_id=session.series_id, status=Session.Status.SCHEDULED, starts_at__gte=session.starts_at
    ).order_by("starts_at", "pk")
    if _locks():
        queryset = queryset.select_for_update()
    return list(queryset)


@transaction.atomic
def reschedule_session(*, by, session, starts_at=None, ends_at=None, location=None, scope=THIS):
    """Move a scheduled session (or it and the following occurrences of its series) and/or change its place.

    "This and following" moves each occurrence by the same wall-clock change in
    the partner's time zone, so 18:00 -> 19:00 stays 19:00 after the clocks change.
    A change of time or place bumps `sequence`; clashes are refused for every attendee.
    """
    require_role(by, session.partner, SCHEDULERS, message="Only coordinators and supervisors move sessions.")
    session = _lock_session(session)
    if session.status != Session.Status.SCHEDULED:
        raise Invalid(
            f"Only a scheduled session can be changed; this one is {session.status}.", code="session_not_scheduled"
        )
    new_start = starts_at or session.starts_at
    new_end = ends_at or (new_start + (session.ends_at - session.starts_at))
    _check_times(new_start, new_end)
    targets = _targets(session, scope)
    tz = session.partner.time_zone
    # The change as a clock on the wall sees it, applied alike to every occurrence that moves.
    wall_change = _wall(new_start, tz) - _wall(session.starts_at, tz)
    duration = new_end - new_start
    moves = {}
    for target in targets:
        start = new_start if target.pk == session.pk else shift_wall_clock(target.starts_at, wall_change, tz)
        moves[target.pk] = (start, start + duration)
    moved = [t for t in targets if moves[t.pk] != (t.starts_at, t.ends_at)]
    if moved:
        people = list(
            SessionAttendance.objects.filter(session__in=[t.pk for t in moved])
            .values_list("person_id", flat=True)
            .distinct()
        )
        _lock_people(people)
        _refuse_clashes(session.partner, people, [moves[t.pk] for t in moved], exclude_sessions=[t.pk for t in targets])
    now = timezone.now()
    changed = []
    for target in targets:
        start, end = moves[target.pk]
        new_location = target.location if location is None else location
        if (start, end, new_location) == (target.starts_at, target.ends_at, target.location):
            continue
        target.starts_at, target.ends_at, target.location = start, end, new_location
        target.starts_on = local_date(start, tz)
        _bump(target, now)
        changed.append(target)
    Session.objects.bulk_update(changed, ["starts_at", "ends_at", "starts_on", "location", "sequence", "updated_at"])
    if changed and session.group_id is not None:
        rotate_facilitators(session.group)
    _tell_reminders(changed)
    session.refresh_from_db()
    return session


def _cancel(sessions, *, by, now, reason=""):
    for session in sessions:
        session.status = Session.Status.CANCELLED
        session.cancelled_at = now
        session.cancelled_by = by
        session.cancel_reason = reason[:300]
        _bump(session, now)
    Session.objects.bulk_update(
        sessions, ["status", "cancelled_at", "cancelled_by", "cancel_reason", "sequence", "updated_at"]
    )


@transaction.atomic
def cancel_session(*, by, session, scope=THIS, reason=""):
    """Cancel a scheduled session, or it and the following occurrences of its series. The rows stay (status
    cancelled, sequence bumped) so calendars and the reminders planner can tell attendees."""
    require_role(by, session.partner, SCHEDULERS, message="Only coordinators and supervisors cancel sessions.")
    session = _lock_session(session)
    check_transition(Session.TRANSITIONS, session.status, Session.Status.CANCELLED)
    targets = _targets(session, scope)
    _cancel(targets, by=by, now=timezone.now(), reason=reason or "")
    if session.group_id is not None:
        rotate_facilitators(session.group)
    _tell_reminders(targets)
    session.refresh_from_db()
    return session


def may_record(by, session):
    """May `by` record `session` (and agree its actions)? The partner's coordinators, a 1:1's supervisor, a
    group session's facilitator. Pages ask it to decide whether to offer the record form."""
    return _may_record(by, session)


def _may_record(by, session):
    access = access_for(by)
    if access.has_role(session.partner_id, (COORDINATOR,)):
        return True
    if session.is_one_to_one:
        return is_own_person(by, session.supervisor)
    return is_own_person(by, session.facilitator)


@transaction.atomic
def record_session(*, by, session, status, attendance=(), notes=None, toolkit_process=None, actions=(), process=None):
    """Record a session as held or missed, with attendance per invitee, notes, the toolkit process and actions.

    The partner's coordinators, the supervisor of a 1:1 or the facilitator of a
    group session record it. Invitees left out are `present` at a held session
    and `absent` at a missed one. A record can be corrected until the supervisee
    has confirmed it. `process` (one of the partner's toolkit) is the process
    that ran; the record keeps it and its name, which `toolkit_process` gives
    instead for a process outside the toolkit.
    """
    session = _lock_session(session)
    if not _may_record(by, session):
        raise NotPermitted("The partner's coordinators, the supervisor or the facilitator record a session.")
    _check_process(session.partner, process)
    check_transition(Session.TRANSITIONS, session.status, status)
    if session.confirmed_at is not None:
        raise Invalid("The supervisee has confirmed this record; it can no longer be changed.", code="confirmed")
    now = timezone.now()
    if session.starts_at > now:
        raise Invalid("A session is recorded once it has started.", field="status", code="not_started")
    rows = list(session.attendances.select_related("person"))
    by_person = {row.person_id: row for row in rows}
    given = {}
    for item in attendance:
        person_id = getattr(item["person"], "pk", item["person"])
        if person_id not in by_person:
            raise Invalid("Attendance is recorded for invitees of the session only.", field="attendance")
        if item["attendance"] not in SessionAttendance.Attendance.values:
            raise Invalid(f"{item['attendance']!r} is not present, apologies or absent.", field="attendance")
        given[person_id] = item["attendance"]
    default = (
        SessionAttendance.Attendance.PRESENT if status == Session.Status.HELD else SessionAttendance.Attendance.ABSENT
    )
    for row in rows:
        row.attendance = given.get(row.person_id) or row.attendance or default
    present = [row for row in rows if row.attendance == SessionAttendance.Attendance.PRESENT]
    if status == Session.Status.HELD:
        if session.is_one_to_one and by_person[session.supervisee_id].attendance != "present":
            raise Invalid("A 1:1 the supervisee did not attend was missed, not held.", field="attendance")
        if not present:
            raise Invalid("A held session has someone present.", field="attendance")
    SessionAttendance.objects.bulk_update(rows, ["attendance"])
    if status != session.status:
        _bump(session, now)
    session.status = status
    session.recorded_at = now
    session.recorded_by = by
    if notes is not None:
        session.notes = notes
    if process is not None:
        session.process = process
        session.toolkit_process = process.name
    elif toolkit_process is not None:
        session.toolkit_process = toolkit_process
        if session.process is not None and toolkit_process != session.process.name:
            # A process named outside the toolkit replaces the one chosen from it.
            session.process = None
    session.save()
    invitees = {row.person_id: row.person for row in rows}
    for item in actions:
        _new_action(session, invitees, **item)
    return session


def _new_action(session, invitees, *, owner, description, due_on):
    """`invitees`: person id -> Person; `owner`: a Person or an id among them."""
    owner_id = getattr(owner, "pk", owner)
    if owner_id not in invitees:
        raise Invalid("An action's owner is one of the session's invitees.", field="owner")
    if not (description or "").strip():
        raise Invalid("Say what the action is.", field="description")
    if due_on is None:
        raise Invalid("Give the date the action is due.", field="due_on")
    return SessionAction.objects.create(
        partner_id=session.partner_id,
        session=session,
        owner=invitees[owner_id],
        description=description.strip(),
        due_on=due_on,
    )


@transaction.atomic
def confirm_session(*, by, session, comment=""):
    """The supervisee of a 1:1 confirms its record, with a comment if they wish (as NHS supervision tools do)."""
    session = _lock_session(session)
    if not session.is_one_to_one:
        raise Invalid("Only the record of a 1:1 is confirmed, by its supervisee.", code="not_one_to_one")
    if not is_own_person(by, session.supervisee):
        raise NotPermitted("Only the supervisee confirms the record of a 1:1.")
    if session.status not in (Session.Status.HELD, Session.Status.MISSED):
        raise Invalid("There is no record to confirm yet.", code="not_recorded")
    if session.confirmed_at is not None:
        raise Invalid("You have already confirmed this record.", code="already_confirmed")
    session.confirmed_at = timezone.now()
    session.supervisee_comment = (comment or "").strip()
    session.save(update_fields=["confirmed_at", "supervisee_comment", "updated_at"])
    return session


@transaction.atomic
def add_action(*, by, session, owner, description, due_on):
    if not _may_record(by, session):
        raise NotPermitted("The partner's coordinators, the supervisor or the facilitator agree actions.")
    if session.status == Session.Status.CANCELLED:
        raise Invalid("A cancelled session agrees no actions.", field="session")
    invitees = {row.person_id: row.person for row in session.attendances.select_related("person")}
    return _new_action(session, invitees, owner=owner, description=description, due_on=due_on)


@transaction.atomic
def complete_action(*, by, action, done=True):
    """Mark an action done (or not done again): its owner, or whoever may record the session."""
    if not is_own_person(by, action.owner) and not _may_record(by, action.session):
        raise NotPermitted("The action's owner or the session's recorder marks it done.")
    action.done_at = timezone.now() if done else None
    action.save(update_fields=["done_at", "updated_at"])
    return action


@transaction.atomic
def choose_process(*, by, session, process):
    """Name the toolkit process a session is to follow (None: none chosen). Whoever may record the session
    chooses it (the facilitator of a group session, a coordinator); the record keeps it once held."""
    session = _lock_session(session)
    if not _may_record(by, session):
        raise NotPermitted("The facilitator, the supervisor or a coordinator chooses the session's process.")
    if session.status != Session.Status.SCHEDULED:
        raise Invalid("The process is chosen before the session; record it with the session.", code="not_scheduled")
    _check_process(session.partner, process)
    session.process = process
    session.toolkit_process = process.name if process else ""
    session.save(update_fields=["process", "toolkit_process", "updated_at"])
    return session


# --- the toolkit ----------------------------------------------------------------------

MAX_STEPS = 20
MAX_STEP_MINUTES = 240


def _clean_steps(steps):
    """[{"title", "minutes"}] as given, checked: at least one step, each titled, each 1 to 240 whole minutes."""
    if not isinstance(steps, (list, tuple)) or not steps:
        raise Invalid("A process has at least one step.", field="steps")
    if len(steps) > MAX_STEPS:
        raise Invalid(f"A process has at most {MAX_STEPS} steps.", field="steps")
    cleaned = []
    for number, step in enumerate(steps, start=1):
        title = str(step.get("title") or "").strip() if isinstance(step, dict) else ""
        minutes = step.get("minutes") if isinstance(step, dict) else None
        if not title:
            raise Invalid(f"Step {number} needs a title.", field="steps")
        if len(title) > 200:
            raise Invalid(f"Step {number}'s title is longer than 200 characters.", field="steps")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_STEP_MINUTES:
            raise Invalid(f"Step {number} lasts from 1 to {MAX_STEP_MINUTES} whole minutes.", field="steps")
        cleaned.append({"title": title, "minutes": minutes})
    return cleaned


def _process_name(partner, name, exclude=None):
    name = (name or "").strip()
    if not name:
        raise Invalid("Give the process a name.", field="name")
    taken = ToolkitProcess.objects.filter(partner=partner, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Invalid(f"The toolkit already has a process called “{name}”.", field="name", code="name_taken")
    return name


@transaction.atomic
def create_process(*, by, partner, name, steps, purpose=""):
    """A new process in the partner's peer-supervision toolkit."""
    require_role(by, partner, (COORDINATOR,), message="The partner's coordinators keep its toolkit.")
    return ToolkitProcess.objects.create(
        partner=partner,
        name=_process_name(partner, name),
        purpose=(purpose or "").strip(),
        steps=_clean_steps(steps),
        created_by=by,
    )


@transaction.atomic
def update_process(*, by, process, **changes):
    """Change a process's name, purpose or steps. Sessions that followed it keep pointing at it."""
    require_role(by, process.partner_id, (COORDINATOR,), message="The partner's coordinators keep its toolkit.")
    unknown = set(changes) - {"name", "purpose", "steps"}
    if unknown:
        raise Invalid(f"{', '.join(sorted(unknown))} cannot be changed here.")
    process = ToolkitProcess.objects.select_for_update().get(pk=process.pk)
    if "name" in changes:
        process.name = _process_name(process.partner_id, changes["name"], exclude=process)
    if "purpose" in changes:
        process.purpose = (changes["purpose"] or "").strip()
    if "steps" in changes:
        process.steps = _clean_steps(changes["steps"])
    process.save()
    if "name" in changes:
        # The sessions still to come show the new name; held ones keep the name they ran under.
        Session.objects.filter(process=process, status=Session.Status.SCHEDULED).update(toolkit_process=process.name)
    return process


@transaction.atomic
def delete_process(*, by, process):
    """Remove a process no session has named; one that ran stays, so the records keep which process ran."""
    require_role(by, process.partner_id, (COORDINATOR,), message="The partner's coordinators keep its toolkit.")
    if Session.objects.filter(process=process).exists():
        raise Invalid(
            f"“{process.name}” has been used by sessions, whose records keep it; it stays in the toolkit.",
            code="process_in_use",
        )
    process.delete()
