"""iCalendar feeds of supervision sessions (a person's, a group's), built with the icalendar library.

Each session is its own VEVENT (a series is stored as its occurrences, so an
edited or cancelled occurrence is simply that event changed), with:

- UID `<session id>@<site host>`: stable for the life of the session;
- SEQUENCE: the session's `sequence`, bumped by every change of time, place or
  status, so calendar clients replace their copy;
- STATUS: CANCELLED for a cancelled session (kept in the feed so that clients
  remove it), CONFIRMED otherwise;
- DTSTART/DTEND in the partner's time zone (TZID, with its VTIMEZONE).

Feeds never carry notes, attendance or actions: a secret URL is only as private
as the calendar app it is pasted into.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone

from supervision.models import SupervisionSession
from supervision.sessions.recurrence import zone

__all__ = ["person_feed", "group_feed", "event_for", "FEED_HISTORY"]

# Past sessions stay in a feed this long, so a calendar keeps the recent history.
FEED_HISTORY = timedelta(days=365)
PRODID = "-//Tandem//Supervision sessions//EN"


def _host():
    return urlsplit(settings.TANDEM_SITE_URL).hostname or "tandem.invalid"


def _summary(session):
    if session.kind == SupervisionSession.Kind.GROUP:
        return f"Peer supervision: {session.group.name}"
    return f"Supervision: {session.supervisee.name} with {session.supervisor.name}"


def _description(session):
    lines = []
    if session.kind == SupervisionSession.Kind.GROUP and session.facilitator is not None:
        lines.append(f"Facilitator: {session.facilitator.name}")
    if session.status == SupervisionSession.Status.CANCELLED and session.cancel_reason:
        lines.append(f"Cancelled: {session.cancel_reason}")
    return "\n".join(lines) or None


def event_for(session, *, host=None, stamp=None):
    tz = zone(session.partner.time_zone)
    event = icalendar.Event.new(
        uid=f"{session.pk}@{host or _host()}",
        start=session.starts_at.astimezone(tz),
        end=session.ends_at.astimezone(tz),
        summary=_summary(session),
        location=session.location or None,
        description=_description(session),
        sequence=session.sequence,
        status="CANCELLED" if session.status == SupervisionSession.Status.CANCELLED else "CONFIRMED",
        stamp=stamp or timezone.now(),
        created=session.created_at,
        last_modified=session.updated_at,
    )
    return event


def _calendar(name, sessions):
    calendar = icalendar.Calendar.new(name=name, prodid=PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    host, stamp = _host(), timezone.now()
    for session in sessions:
        calendar.add_component(event_for(session, host=host, stamp=stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _sessions(queryset, now=None):
    since = (now or timezone.now()) - FEED_HISTORY
    return (
        queryset.filter(starts_at__gte=since)
        .select_related("partner", "group", "supervisor", "supervisee", "facilitator")
        .order_by("starts_at", "pk")
    )


def person_feed(person, *, now=None):
    """The sessions `person` is invited to (cancelled ones included), as iCalendar bytes. Two queries."""
    sessions = _sessions(SupervisionSession.objects.filter(attendances__person=person), now)
    return _calendar(f"Supervision — {person.name}", sessions)


def group_feed(group, *, now=None):
    """The sessions of a peer group, as iCalendar bytes."""
    sessions = _sessions(SupervisionSession.objects.filter(group=group), now)
    return _calendar(f"Peer supervision — {group.name}", sessions)
