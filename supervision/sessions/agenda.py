"""A mentor's own supervision: their next sessions, the 1:1 records waiting for them to confirm, and what their
supervision talks about: their matches' recent contacts and the concerns they flagged.

Each read is one query from `visible_to(user)`, bounded, whatever the number of sessions or records.
"""

from datetime import timedelta

from django.utils import timezone

from supervision.models import ContactRecord, SupervisionSession

__all__ = ["flagged_concerns", "next_sessions", "recent_contacts", "records_to_confirm"]

NEXT_SESSIONS = 5
RECORDS_TO_CONFIRM = 10
# About the time between two 1:1s, and a quarter for concerns: what a supervisor goes through in one session.
RECENT_CONTACT_DAYS = 42
CONCERN_DAYS = 90
CONTACTS_SHOWN = 10


def next_sessions(user, person, *, now=None, limit=NEXT_SESSIONS):
    """The next sessions `person` is invited to (1:1 and group, of any partner running them), soonest first,
    including one under way now."""
    now = now or timezone.now()
    return list(
        SupervisionSession.objects.visible_to(user)
        .attended_by(person)
        .filter(status=SupervisionSession.Status.SCHEDULED, ends_at__gt=now)
        .select_related("partner", "group", "supervisor")
        .order_by("starts_at", "pk")[:limit]
    )


def records_to_confirm(user, person, *, limit=RECORDS_TO_CONFIRM):
    """The recorded 1:1s of `person` as supervisee that they have not confirmed (nor commented on) yet, latest
    first: as confirm_session allows, a held or a missed one."""
    return list(
        SupervisionSession.objects.visible_to(user)
        .filter(
            kind=SupervisionSession.Kind.ONE_TO_ONE,
            supervisee=person,
            status__in=(SupervisionSession.Status.HELD, SupervisionSession.Status.MISSED),
            confirmed_at__isnull=True,
        )
        .select_related("supervisor")
        .order_by("-starts_at", "-pk")[:limit]
    )


def _mentors_records(user, person, until, days):
    until = until or timezone.localdate()
    return (
        ContactRecord.objects.visible_to(user)
        .filter(match__mentor=person, date__lte=until, date__gt=until - timedelta(days=days))
        .select_related("match", "incident__rule")
        .order_by("-date", "-created_at", "pk")
    )


def recent_contacts(user, person, *, until=None, days=RECENT_CONTACT_DAYS, limit=CONTACTS_SHOWN):
    """The contact records of `person`'s matches in the `days` up to `until` (today), latest first, as far as
    `user` reads them (the partner's coordinators and supervisors, and the mentor)."""
    return list(_mentors_records(user, person, until, days)[:limit])


def flagged_concerns(user, person, *, until=None, days=CONCERN_DAYS, limit=CONTACTS_SHOWN):
    """Of those, the ones flagging a concern, over a longer span: each with the incident it led to, if any."""
    return list(_mentors_records(user, person, until, days).concerns()[:limit])
