"""A mentor's own supervision: their next sessions and the 1:1 records waiting for them to confirm.

Each read is one query from `visible_to(user)`, bounded, whatever the number of sessions.
"""

from django.utils import timezone

from supervision.models import SupervisionSession

__all__ = ["next_sessions", "records_to_confirm"]

NEXT_SESSIONS = 5
RECORDS_TO_CONFIRM = 10


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
