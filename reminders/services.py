"""Use cases of the reminders app that other apps and the API call.

`kick()` is how a domain service asks for its reminders to go out soon: it
publishes a sweep after the transaction commits and never lets a broker that
is down fail the caller — the rows are in the database, and the next beat
sweep sends them anyway.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Invalid
from reminders.models import ESSENTIAL_KINDS, Kind, Reminder, ReminderPreference

logger = logging.getLogger(__name__)


def kick():
    """After the current transaction commits, ask a worker to plan and send reminders now. Best effort."""
    transaction.on_commit(publish_sweep, robust=True)


def publish_sweep():
    """Publish a plan-and-dispatch task once, without retrying: a broker that is down or hung costs at most
    the broker's socket timeouts (CELERY_BROKER_SOCKET_TIMEOUT) and is logged, never raised."""
    from reminders.tasks import plan_reminders

    try:
        plan_reminders.apply_async(kwargs={"dispatch": True}, retry=False)
    except Exception as exc:
        logger.warning("Could not publish a reminders sweep (beat catches up): %s", exc)
        return False
    return True


# --- preferences --------------------------------------------------------------------


def preferences_for(user):
    """[{kind, label, essential, enabled}] for every kind, one query."""
    switched = dict(ReminderPreference.objects.filter(user_id=user.pk).values_list("kind", "enabled"))
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "essential": kind in ESSENTIAL_KINDS,
            "enabled": kind in ESSENTIAL_KINDS or switched.get(kind.value, True),
        }
        for kind in Kind
    ]


def set_preference(*, user, kind, enabled):
    """Switch one kind of reminder on or off for `user`. Essential kinds cannot be switched off.

    Pending reminders of a kind switched off are not sent (the dispatcher checks
    the preference as it sends); switching it back on plans them again at the
    next sweep.
    """
    if kind not in Kind.values:
        raise Invalid(f"{kind!r} is not a kind of reminder.", field="kind", code="unknown_kind")
    if not enabled and kind in ESSENTIAL_KINDS:
        raise Invalid(
            f"{Kind(kind).label} notifications cannot be switched off: they carry safeguarding work.",
            field="kind",
            code="essential_reminder",
        )
    try:
        with transaction.atomic():
            ReminderPreference.objects.update_or_create(user=user, kind=kind, defaults={"enabled": enabled})
    except IntegrityError:
        # Two requests for the same user and kind at once: the other one created the row.
        ReminderPreference.objects.filter(user=user, kind=kind).update(enabled=enabled)
    return next(item for item in preferences_for(user) if item["kind"] == kind)


# --- hooks for other apps' services ------------------------------------------------


def sessions_changed(session_ids):
    """Call from a use case that scheduled, moved or cancelled supervision sessions, inside its transaction.

    The sessions' stale reminders are cancelled and their notices (cancelled,
    moved, coming up) planned in the same transaction, and a worker is asked to
    send them once it commits. Without this call the next sweep does the same
    within minutes; with it, attendees hear at once.
    """
    from reminders.kinds import sessions
    from supervision.models import SupervisionSession

    changed = SupervisionSession.objects.filter(pk__in=list(session_ids))
    now = timezone.now()
    current = {pk: (start, sequence) for pk, start, sequence in changed.values_list("pk", "starts_at", "sequence")}
    stale = [
        pk
        for pk, subject_id, kind, details in Reminder.objects.pending()
        .filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            kind__in=[Kind.SESSION_UPCOMING, Kind.SESSION_MOVED],
            subject_type=ContentType.objects.get_for_model(SupervisionSession),
            subject_id__in=list(current),
        )
        .values_list("pk", "subject_id", "kind", "details")
        if (details.get("starts_at") != current[subject_id][0].isoformat())
        or (kind == Kind.SESSION_MOVED and details.get("sequence") != current[subject_id][1])
    ]
    Reminder.objects.filter(pk__in=stale).update(
        status=Reminder.Status.CANCELLED, cancelled_reason="The session has changed since."
    )
    counts = sessions.plan_for(changed, now)
    kick()
    return counts


# --- cancelling ---------------------------------------------------------------------


def cancel_pending(subject, *, kinds=None, reason):
    """Cancel the pending reminders about `subject` (of `kinds`, when given); returns how many.

    A row a sender holds right now is left to it: the message is on its way, and
    the sender re-reads the subject before sending, so a stale one is cancelled
    there instead.
    """
    now = timezone.now()
    rows = Reminder.objects.about(subject).pending().filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.update(
        status=Reminder.Status.CANCELLED, cancelled_reason=reason[:200], claimed_by=None, claimed_until=None
    )
