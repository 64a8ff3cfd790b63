"""The dispatcher: claims due reminders in batches, sends each, and marks each sent.

How a reminder is sent once
---------------------------
1. *Claim.* In a short transaction the pass selects up to `batch_size` due,
   pending, unclaimed rows — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL,
   so two dispatchers never wait for each other nor take the same row; on
   SQLite the write transaction (BEGIN IMMEDIATE) serialises claimers — and
   stamps them with this pass's token and a lease (`claimed_until`). The
   stamping UPDATE repeats the "still claimable" condition, so a row is
   claimed by one pass only, whatever the database.
2. *Send, then mark.* Each message is sent on its own and marked sent at once
   by a conditional UPDATE (`WHERE claimed_by = <this pass>`), committed before
   the next message is handed to the mail server (on PostgreSQL the next one is
   rendered while the server commits: `_SentMarks`): the lock is not held while
   talking to the mail server. A claim takes along the due rows about the same
   subjects, so what their messages share is built once (reminders.messages.Batch).
3. *Crash.* A sender that dies leaves its claimed rows pending; their lease
   runs out and the next pass takes them. The lease (TANDEM_REMINDER_LEASE_SECONDS,
   600 s) is longer than the task's hard time limit, and a pass stops starting
   new sends after half of it, so a lease never runs out under a sender that is
   still alive.

So in the normal path a reminder is sent at most once, and after a crash
exactly once — except for the one message in flight when the sender died
*after* the mail server accepted it and *before* the "sent" row committed (a
window of one UPDATE): that message goes out a second time. Email cannot be
sent and committed atomically; we keep the window to one message, never a
batch.

A failure to send one message retries it with exponential backoff
(1, 2, 4, 8 minutes) and, on the MAX_ATTEMPTS-th failure, marks it failed
with the error kept. A mail server that cannot be reached at all fails
nothing: the claims are released and the next pass tries again.
"""

import logging
import select
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.utils import timezone
from psycopg import pq

from reminders.messages import Batch, NothingToSend
from reminders.models import Reminder

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
DEFAULT_LEASE_SECONDS = 600
# A pass ends itself well inside the task's soft time limit (240 s).
PASS_SECONDS = 180


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def handled(self):
        return self.sent + self.retried + self.failed + self.cancelled

    def as_dict(self):
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "cancelled": self.cancelled}


def lease():
    return timedelta(seconds=getattr(settings, "TANDEM_REMINDER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def backoff(attempts):
    """The wait before attempt `attempts + 1`: 1, 2, 4, 8 … minutes."""
    return BACKOFF_BASE * (2 ** max(attempts - 1, 0))


def dispatch(*, now=None, batch_size=BATCH_SIZE, connection=None, max_messages=None):
    """One dispatcher pass: send the due reminders for up to PASS_SECONDS (and never beyond half the lease),
    claiming no more batches once `max_messages` reminders were handled.

    `now` fixes the clock (tests); by default each step reads the time afresh.
    """
    clock = (lambda: now) if now is not None else timezone.now
    token = uuid.uuid4()
    result = DispatchResult()
    deadline = time.monotonic() + min(lease().total_seconds() / 2, PASS_SECONDS)
    mail = _LazyConnection(connection)
    marks = _SentMarks(token, result)
    # Every batch is finished (each row sent, retried, failed or cancelled) before the next is claimed, so what a
    # pass can leave claimed is its last batch: released by key, never by scanning the ledger for the token.
    held = []
    try:
        with db.execute_wrapper(marks.settle_before):
            try:
                while time.monotonic() < deadline:
                    marks.settle()  # the last message of the batch before is counted
                    if max_messages is not None and result.handled >= max_messages:
                        break
                    batch = claim(token, batch_size, clock(), claimed=held)
                    if not batch:
                        break
                    _send_batch(batch, token, clock, mail, marks, result, deadline)
                    if len(batch) < batch_size:
                        break  # nothing more is due
            finally:
                marks.settle()
    except MailServerUnavailable as exc:
        logger.warning("Reminders not sent, the mail server is unavailable (next pass retries): %s", exc)
    finally:
        release(token, among=held)
        mail.close()
    if result.sent or result.failed or result.retried:
        logger.info("Reminders dispatched: %s", result.as_dict())
    return result


def claim(token, limit, now, *, claimed=None):
    """Claim up to `limit` due rows for the pass `token`, and up to `limit` more due rows about the same
    subjects; returns them (recipients and preferences loaded). `claimed`, a list, is set to their keys as soon
    as they are stamped, so that the pass can give them back even if reading them fails."""
    with transaction.atomic():
        claimable = Reminder.objects.claimable(now).order_by("attempt_after", "pk").select_for_update(skip_locked=True)
        first = list(claimable.values_list("pk", "subject_type_id", "subject_id")[:limit])
        if not first:
            return []
        ids = [pk for pk, _, _ in first]
        # A session's attendees (a licence's coordinators …) are sent to together: what their messages share
        # (the session's invitation) is built once for the batch. Any due row may be claimed; these come early.
        ids += (
            claimable.filter(
                subject_type_id__in={subject_type for _, subject_type, _ in first},
                subject_id__in={subject for _, _, subject in first},
            )
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)[:limit]
        )
        Reminder.objects.claimable(now).filter(pk__in=ids).update(claimed_by=token, claimed_until=now + lease())
    if claimed is not None:
        claimed[:] = ids
    # Read back by key: `claimed_by` has no index, and filtering on it alone scans the ledger.
    return list(
        Reminder.objects.filter(pk__in=ids, claimed_by=token, status=Reminder.Status.PENDING)
        .select_related("recipient_user")
        .with_switched_off()
        .order_by("attempt_after", "pk")
    )


def release(token, among=None):
    """Give back the rows this pass claimed but did not finish, for the next pass; `among` (keys) narrows the
    search to those rows, as `claimed_by` has no index and a ledger of millions is not scanned for a token."""
    rows = Reminder.objects.filter(claimed_by=token, status=Reminder.Status.PENDING)
    if among is not None:
        if not among:
            return 0
        rows = rows.filter(pk__in=among)
    return rows.update(claimed_by=None, claimed_until=None)


def _send_batch(batch, token, clock, mail, marks, result, deadline):
    messages = Batch(batch)
    for reminder in batch:
        if time.monotonic() >= deadline:
            return
        now = clock()
        if reminder.switched_off and not reminder.essential:
            _cancel(reminder, token, "The recipient has switched this kind of reminder off.", result)
            continue
        if reminder.recipient_user_id is not None and not reminder.recipient_user.is_active:
            _cancel(reminder, token, "The recipient's account is inactive.", result)
            continue
        try:
            message = messages.message(reminder, now)
        except NothingToSend as exc:
            _cancel(reminder, token, str(exc), result)
            continue
        except Exception as exc:
            logger.exception("Reminder %s could not be rendered", reminder.pk)
            _record_failure(reminder, token, exc, now, result)
            continue
        marks.settle()  # the message before this one is marked sent, and committed, before this one goes
        try:
            accepted = mail.send(message)
        except MailServerUnavailable:
            raise
        except Exception as exc:
            logger.warning("Reminder %s could not be sent: %s", reminder.pk, exc)
            _record_failure(reminder, token, exc, clock(), result)
            continue
        if not accepted:
            _record_failure(reminder, token, RuntimeError("The email backend accepted no message."), clock(), result)
            continue
        marks.mark(reminder, clock())


def _mine(reminder, token):
    return Reminder.objects.filter(pk=reminder.pk, claimed_by=token, status=Reminder.Status.PENDING)


# One statement per sent message, committed on its own before the next message is sent (the window of a
# message sent twice is this statement): written out once and, on PostgreSQL, prepared once per connection,
# as it runs once a message.
MARK_SENT_SQL = (
    f"UPDATE {Reminder._meta.db_table} "  # noqa: S608 - our table name; every value is a parameter
    "SET status = 'sent', sent_at = %s, attempts = attempts + 1, "
    "last_error = '', claimed_by = NULL, claimed_until = NULL "
    "WHERE id = %s AND claimed_by = %s AND status = 'pending'"
)
_MARK_SENT_STATEMENT = "tandem_reminder_mark_sent"
INVALID_STATEMENT_NAME = b"26000"
_prepared_on = weakref.WeakSet()


class _SentMarks:
    """Marks the pass's messages sent, one committed statement each, never more than one outstanding.

    On PostgreSQL the statement for a message is sent to the server at once and its answer awaited only
    when the pass needs the connection again, or before it hands the next message to the mail server
    (`settle`): the next message is rendered while the server commits this one, and a message is still never
    sent before the one before it is marked sent. Any query of the pass settles first (`settle_before`, an
    execute wrapper), so nothing else ever runs on the connection while a statement is outstanding.
    """

    def __init__(self, token, result):
        self.token = token
        self.result = result
        self._outstanding = None

    def mark(self, reminder, now):
        self.settle()
        if db.vendor != "postgresql":
            self._counted(reminder.pk, _execute_mark_sent(now, reminder.pk, self.token))
            return
        _prepare_mark_sent()
        pgconn = db.connection.pgconn
        pgconn.send_query_prepared(
            _MARK_SENT_STATEMENT.encode(),
            [now.isoformat().encode(), str(reminder.pk).encode(), str(self.token).encode()],
        )
        while pgconn.flush():
            select.select([], [pgconn.socket], [])
        self._outstanding = (pgconn, reminder.pk, now, time.perf_counter())

    def settle(self):
        """Wait for the outstanding statement's answer (its commit), if one is outstanding."""
        if self._outstanding is None:
            return
        pgconn, pk, now, started = self._outstanding
        self._outstanding = None
        results = []
        while True:
            pgconn.consume_input()
            if pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                continue
            answer = pgconn.get_result()
            if answer is None:
                break
            results.append(answer)
        if db.queries_logged:
            db.queries_log.append(
                {
                    "sql": f"EXECUTE {_MARK_SENT_STATEMENT} ('{now.isoformat()}', '{pk}', '{self.token}')",
                    "time": f"{time.perf_counter() - started:.3f}",
                }
            )
        failed = [r for r in results if r.status != pq.ExecStatus.COMMAND_OK]
        if (
            failed
            and failed[0].error_field(pq.DiagnosticField.SQLSTATE) == INVALID_STATEMENT_NAME
            and not db.in_atomic_block
        ):
            # The session lost its prepared statements (a pooler's reset, DISCARD ALL): prepare it again.
            _prepared_on.discard(db.connection)
            self._counted(pk, _execute_mark_sent(now, pk, self.token))
            return
        if failed or not results:
            error = failed[0].error_message.decode(errors="replace") if failed else "no answer"
            raise DatabaseError(f"Reminder {pk} was sent but could not be marked sent: {error}")
        self._counted(pk, results[-1].command_tuples or 0)

    def settle_before(self, execute, sql, params, many, context):
        self.settle()
        return execute(sql, params, many, context)

    def _counted(self, pk, updated):
        if updated:
            self.result.sent += 1
        else:
            # Only possible if this pass outlived its lease, which the deadline prevents.
            logger.error("Reminder %s was sent but this pass no longer held it; it may be sent twice", pk)


def _prepare_mark_sent():
    if db.connection not in _prepared_on:
        with db.cursor() as cursor:
            cursor.execute(
                f"PREPARE {_MARK_SENT_STATEMENT} (timestamptz, uuid, uuid) AS "
                + MARK_SENT_SQL.replace("%s", "$1", 1).replace("%s", "$2", 1).replace("%s", "$3", 1)
            )
        _prepared_on.add(db.connection)


def _execute_mark_sent(now, pk, token):
    """Run MARK_SENT_SQL and wait for it (in autocommit: committed when it returns); the rows it marked."""
    uuid_field = Reminder._meta.pk
    params = (
        db.ops.adapt_datetimefield_value(now),
        uuid_field.get_db_prep_value(pk, db),
        uuid_field.get_db_prep_value(token, db),
    )
    with db.cursor() as cursor:
        if db.vendor != "postgresql":
            cursor.execute(MARK_SENT_SQL, params)
            return cursor.rowcount
        _prepare_mark_sent()
        cursor.execute(f"EXECUTE {_MARK_SENT_STATEMENT} (%s, %s, %s)", params)
        return cursor.rowcount


def _record_failure(reminder, token, exc, now, result):
    attempts = reminder.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= MAX_ATTEMPTS:
        changes = {"status": Reminder.Status.FAILED}
        result.failed += 1
    else:
        changes = {"attempt_after": now + backoff(attempts)}
        result.retried += 1
    _mine(reminder, token).update(attempts=attempts, last_error=error, claimed_by=None, claimed_until=None, **changes)


def _cancel(reminder, token, reason, result):
    if _mine(reminder, token).update(
        status=Reminder.Status.CANCELLED, cancelled_reason=reason[:200], claimed_by=None, claimed_until=None
    ):
        result.cancelled += 1


class MailServerUnavailable(Exception):
    """The mail connection could not be opened: no message is at fault, so none is charged an attempt."""


class _LazyConnection:
    """One mail connection per pass, opened at the first message (a pass with nothing due opens none)."""

    def __init__(self, connection=None):
        self._connection = connection
        self._opened = False

    def send(self, message):
        if not self._opened:
            self._connection = self._connection or get_connection()
            try:
                self._connection.open()
            except Exception as exc:
                raise MailServerUnavailable(str(exc)) from exc
            self._opened = True
        message.connection = self._connection
        return self._connection.send_messages([message])

    def close(self):
        if self._opened:
            try:
                self._connection.close()
            except Exception:
                logger.warning("Closing the mail connection failed", exc_info=True)
