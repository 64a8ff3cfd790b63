"""Supervision sessions: coming up (with an invitation .ics), moved (.ics update) and cancelled (.ics CANCEL).

To every attendee (SessionAttendance), each as a row of their own partner's
(a guest of an external group belongs to another partner than the session).

- *coming up*: `session_reminder_hours` before the start (the session's
  partner's policy, read in the same query for every partner); its start time
  is in the key, so a moved session gets a fresh reminder, and the old one is
  cancelled when it comes due (the dispatcher re-reads the session).
- *moved*: once per change (the session's `sequence`, which supervision bumps
  whenever time, place or status change) of a session still to come.
- *cancelled*: once per session; planning it also cancels the session's pending
  reminders.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

import icalendar
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value
from django.db.models.functions import Greatest

from core.facts import Fact, join_facts
from franchise.models import Partner
from franchise.policy_fields import BY_NAME
from franchise.querysets import policy_value
from reminders.messages import content, local, sender_address
from reminders.models import Kind, Reminder
from reminders.planner import CATCH_UP, PLAN_AHEAD, KeyText, insert, planner, reachable, rows, subject_type
from supervision.models import SessionAttendance, SupervisionSession
from supervision.sessions.calendar import PRODID, event_for

UPCOMING, MOVED, CANCELLED = Kind.SESSION_UPCOMING, Kind.SESSION_MOVED, Kind.SESSION_CANCELLED
LONGEST_LEAD = timedelta(hours=BY_NAME["session_reminder_hours"].maximum)


def _invitees(kind, sessions):
    """Attendance rows of `sessions` whose person can be written to (apologies sent: not reminded)."""
    rows = SessionAttendance.objects.filter(session__in=sessions).exclude(
        attendance=SessionAttendance.Attendance.APOLOGIES
    )
    return reachable(rows, kind, "person")


def _rows(kind, attendances, **columns):
    return rows(
        attendances,
        kind,
        subject="session_id",
        partner="person__partner_id",
        user="person__user_id",
        email="person__email",
        **columns,
    )


@planner(UPCOMING)
def plan_session_upcoming(now, sessions=None):
    """Scheduled sessions whose reminder time (start − the partner's session_reminder_hours) falls before
    now + PLAN_AHEAD: one row per attendee, due at that time (or now, for a session booked at short notice)."""
    scheduled = (sessions if sessions is not None else SupervisionSession.objects.all()).filter(
        status=SupervisionSession.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + PLAN_AHEAD + LONGEST_LEAD,
    )
    lead = ExpressionWrapper(F("lead_hours") * Value(timedelta(hours=1)), output_field=DurationField())
    # Each partner's lead time is looked up once and joined (a hundred partners, not a hundred thousand rows).
    lead_hours = Partner.objects.order_by().annotate(
        hours=policy_value("session_reminder_hours", partner=OuterRef("pk"), at=now)
    )
    invitees = _invitees(UPCOMING, scheduled)
    policy = join_facts(invitees, lead_hours.values("id", "hours"), name="lead", key="id", column="partner_id")
    invitees = (
        invitees.annotate(lead_hours=Fact(policy, "hours", IntegerField()))
        .annotate(remind_at=ExpressionWrapper(F("session__starts_at") - lead, output_field=DateTimeField()))
        .filter(remind_at__lte=now + PLAN_AHEAD)
    )
    return insert(
        UPCOMING,
        _rows(
            UPCOMING,
            invitees,
            due_at=Greatest("remind_at", Value(now)),
            key=("session_id", "session__starts_at"),
            details={"starts_at": KeyText("session__starts_at")},
        ),
        subject_type=subject_type(SupervisionSession),
    )


@planner(MOVED)
def plan_session_moved(now, sessions=None):
    """Sessions still to come whose time or place changed (sequence > 0) lately: one row per change and attendee."""
    changed = (sessions if sessions is not None else SupervisionSession.objects.all()).filter(
        status=SupervisionSession.Status.SCHEDULED,
        sequence__gt=0,
        starts_at__gt=now,
        updated_at__gte=now - CATCH_UP,
    )
    return insert(
        MOVED,
        _rows(
            MOVED,
            _invitees(MOVED, changed),
            due_at=Value(now),
            key=("session_id", "session__sequence"),
            details={"sequence": "session__sequence", "starts_at": KeyText("session__starts_at")},
        ),
        subject_type=subject_type(SupervisionSession),
    )


@planner(CANCELLED)
def plan_session_cancelled(now, sessions=None):
    """Sessions still to come that were cancelled lately: one row per attendee; their pending reminders
    (coming up, moved) are cancelled in the same pass."""
    cancelled = (sessions if sessions is not None else SupervisionSession.objects.all()).filter(
        status=SupervisionSession.Status.CANCELLED, starts_at__gt=now, cancelled_at__gte=now - CATCH_UP
    )
    Reminder.objects.pending().filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        kind__in=[UPCOMING, MOVED],
        subject_type=subject_type(SupervisionSession),
        subject_id__in=cancelled.values("pk"),
    ).update(status=Reminder.Status.CANCELLED, cancelled_reason="The session was cancelled.")
    return insert(
        CANCELLED,
        _rows(CANCELLED, _invitees(CANCELLED, cancelled), due_at=Value(now), key=("session_id",)),
        subject_type=subject_type(SupervisionSession),
    )


def plan_for(sessions, now):
    """Plan at once what the sweep would plan for `sessions` (a queryset): see reminders.services.sessions_changed."""
    return {
        str(kind): plan(now, sessions=sessions)
        for kind, plan in (
            (CANCELLED, plan_session_cancelled),
            (MOVED, plan_session_moved),
            (UPCOMING, plan_session_upcoming),
        )
    }


# --- what they say ------------------------------------------------------------------


def _sessions(ids):
    return SupervisionSession.objects.select_related(
        "partner", "group", "supervisor", "supervisee", "facilitator"
    ).in_bulk(ids)


def _context(session, title):
    starts = local(session.starts_at, session.partner.time_zone)
    ends = local(session.ends_at, session.partner.time_zone)
    if session.kind == SupervisionSession.Kind.GROUP:
        what = f"peer supervision with {session.group.name}"
    else:
        what = f"1:1 supervision of {session.supervisee.name} with {session.supervisor.name}"
    return {
        "title": f"{title} {starts:%a %-d %b} at {starts:%H:%M}",
        "session": session,
        "what": what,
        "starts": starts,
        "ends": ends,
        "time_zone": session.partner.time_zone,
    }


def _still_to_come(session, now):
    return session.starts_at > now


@content(UPCOMING, load=_sessions, attachments=lambda r, s, c: [invitation(s, r, "REQUEST")])
def session_upcoming(reminder, session, now):
    planned_start = datetime.fromisoformat(reminder.details.get("starts_at", "1970-01-01T00:00:00+00:00"))
    if session.status != SupervisionSession.Status.SCHEDULED or session.starts_at != planned_start:
        return None  # cancelled or moved since: its own message says so
    if not _still_to_come(session, now):
        return None
    return _context(session, "Supervision")


@content(MOVED, load=_sessions, attachments=lambda r, s, c: [invitation(s, r, "REQUEST")])
def session_moved(reminder, session, now):
    if session.status != SupervisionSession.Status.SCHEDULED or session.sequence != reminder.details.get("sequence"):
        return None  # changed again (a newer message follows) or cancelled
    if not _still_to_come(session, now):
        return None
    return _context(session, "Supervision changed: now")


@content(CANCELLED, load=_sessions, attachments=lambda r, s, c: [invitation(s, r, "CANCEL")])
def session_cancelled(reminder, session, now):
    if session.status != SupervisionSession.Status.CANCELLED or not _still_to_come(session, now):
        return None
    return _context(session, "Cancelled: supervision on")


def invitation(session, reminder, method):
    """The session as an iCalendar invitation (REQUEST: add or update it; CANCEL: remove it), with the same
    UID and SEQUENCE as the person's calendar feed, so a calendar holds one event whatever it got first."""
    calendar = icalendar.Calendar.new(prodid=PRODID)
    calendar.add("METHOD", method)
    event = event_for(session)
    organizer = icalendar.vCalAddress(f"mailto:{sender_address()}")
    organizer.params["CN"] = "Tandem"
    event.add("ORGANIZER", organizer)
    attendee = icalendar.vCalAddress(f"mailto:{reminder.recipient_address}")
    attendee.params["RSVP"] = "FALSE"
    event.add("ATTENDEE", attendee)
    calendar.add_component(event)
    text = calendar.to_ical().replace(b"BEGIN:VEVENT", _vtimezone(session.partner.time_zone, session.starts_at.year), 1)
    return ("supervision.ics", text.decode(), "text/calendar")


@lru_cache(maxsize=64)
def _vtimezone(tzid, year):
    # Building and writing out a VTIMEZONE is the slowest part of a session email: one per zone and
    # year, holding the transitions around the session only (all a calendar needs to place it).
    # Written out once and placed before the event (RFC 5545 allows the VTIMEZONE anywhere in the calendar).
    timezone_component = icalendar.Timezone.from_tzid(
        tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1)
    )
    return timezone_component.to_ical() + b"BEGIN:VEVENT"
