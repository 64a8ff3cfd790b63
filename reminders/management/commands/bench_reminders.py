"""Benchmark the planner and the dispatcher on a generated world, deleted again at the end.

    python manage.py bench_reminders --people 100000 --partners 100

The world: each partner has a coordinator, an expiring licence, and `people /
partners` active mentors with an email address and no login; every mentor is
overdue for supervision and has a 1:1 session in the next hours (mentors paired
as supervisor and supervisee), so each mentor is due one session reminder and
one overdue reminder, and each coordinator a licence reminder and a digest.
Prints, per planner kind, the rows inserted, rows per second and the number of
queries; then (after an ANALYZE, which autovacuum does in production) the
dispatcher's messages per second beside its floor, over the first `--dispatch`
due messages (10,000 by default): in interleaved rounds, the dispatcher sends
through a backend that renders each message to the bytes SMTP would send and
keeps none (so memory stays flat), and the floor
claims as many rows and marks each sent with hand-written SQL, rendering
nothing; medians, their ratio, and both in messages per second.

The world is committed, not built in a transaction rolled back: the
dispatcher claims and marks rows in transactions of their own, as in
production, and one long transaction would keep every updated row version
alive and make each claim wade through them. Everything the run created is
deleted at the end, also when it is interrupted; run it on a database of its
own all the same.
"""

import statistics
import time
import uuid
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.benchmarking import compare, print_table
from franchise.models import Licence, Membership, Partner, Programme, Role, User
from reminders import dispatcher, planner
from reminders.models import Kind, Reminder
from supervision.models import SupervisionSession

BATCH = 5000
DISPATCH_ROUNDS = 5
# The goal is a rate, 500 messages a second per process, not a ratio: the floor (claim and mark, no message
# built) moves with the machine far more than rendering does, so the ratio row is printed without a goal.
DISPATCH_GOAL_RATE = 500


class CountingBackend(BaseEmailBackend):
    """Each message rendered to the bytes the SMTP backend would hand the server, and counted; not kept (the
    locmem backend deep-copies every message into its outbox, a cost no real mail server adds)."""

    sent = 0

    def send_messages(self, messages):
        for message in messages:
            message.message().as_bytes(linesep="\r\n")
        CountingBackend.sent += len(messages)
        return len(messages)


class Command(BaseCommand):
    help = (
        "Plan and dispatch reminders for a generated world (deleted afterwards): rows/s, messages/s, queries per kind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100_000)
        parser.add_argument("--partners", type=int, default=100)
        parser.add_argument("--no-dispatch", action="store_true", help="Plan only.")
        parser.add_argument(
            "--dispatch",
            type=int,
            default=10_000,
            dest="dispatch_count",
            help="Messages to send for the dispatcher's figure (default 10000; 0: every due one).",
        )

    def handle(self, *args, people, partners, no_dispatch, dispatch_count, **options):
        if people < 2 * partners:
            raise CommandError("Give each partner at least two people.")
        tag = f"bench-{int(time.time())}"
        try:
            started = time.monotonic()
            with transaction.atomic():
                self._build(people, partners, tag)
            self.stdout.write(f"world: {people} people in {partners} partners, built in {_since(started)}")
            # The world appears at once, as no ledger's does; autovacuum would analyze it within the minute. Planned
            # on the empty tables' statistics instead, the first session sweep once took 513 s for its 100,000 rows.
            if connection.vendor == "postgresql":
                _analyze()
            self._plan()
            if not no_dispatch:
                self._dispatch(dispatch_count or None)
        finally:
            started = time.monotonic()
            _delete_world(tag)
            self.stdout.write(f"deleted the generated world in {_since(started)}")

    # --- the world ----------------------------------------------------------------------

    def _build(self, people, partners, tag):
        from supervision.models import MentorStatus, Person, SessionAttendance, SupervisionSession

        now = timezone.now()
        today = timezone.localdate()
        programme = Programme.objects.create(name="Bench programme", code=tag.upper())
        licensor = User.objects.create_user(f"{tag}-licensor@example.org", None, name="Bench licensor")
        Membership.objects.create(user=licensor, partner=None, role=Role.LICENSOR_ADMIN)
        partner_rows = Partner.objects.bulk_create(
            Partner(name=f"Bench partner {n}", slug=f"{tag}-{n}", status=Partner.Status.ACTIVE) for n in range(partners)
        )
        coordinators = User.objects.bulk_create(
            User(email=f"{tag}-coordinator-{n}@example.org", name=f"Coordinator {n}") for n in range(partners)
        )
        Membership.objects.bulk_create(
            Membership(user=user, partner=partner, role=Role.COORDINATOR)
            for user, partner in zip(coordinators, partner_rows, strict=True)
        )
        Licence.objects.bulk_create(
            Licence(
                partner=partner,
                programme=programme,
                reference=f"{tag.upper()}-{n}",
                starts_on=today - timedelta(days=300),
                ends_on=today + timedelta(days=20),
                status=Licence.Status.ACTIVE,
            )
            for n, partner in enumerate(partner_rows)
        )
        per_partner = people // partners
        for partner in partner_rows:
            mentors = Person.objects.bulk_create(
                (
                    Person(
                        partner=partner,
                        name=f"Mentor {n}",
                        email=f"mentor-{n}-{partner.slug}@example.org",
                        mentor_status=MentorStatus.ACTIVE,
                    )
                    for n in range(per_partner)
                ),
                batch_size=BATCH,
            )
            sessions = SupervisionSession.objects.bulk_create(
                (
                    SupervisionSession(
                        partner=partner,
                        kind=SupervisionSession.Kind.ONE_TO_ONE,
                        supervisor=mentors[i],
                        supervisee=mentors[i + 1],
                        starts_at=now + timedelta(hours=2),
                        ends_at=now + timedelta(hours=3),
                        starts_on=today,
                    )
                    for i in range(0, per_partner - 1, 2)
                ),
                batch_size=BATCH,
            )
            SessionAttendance.objects.bulk_create(
                (
                    SessionAttendance(partner=partner, session=session, person_id=person_id)
                    for session in sessions
                    for person_id in (session.supervisor_id, session.supervisee_id)
                ),
                batch_size=BATCH,
            )
        # Active for 45 days and never supervised: overdue by three days on the baseline's 42.
        Person.objects.filter(partner__in=partner_rows).update(created_at=now - timedelta(days=45))

    # --- planner ------------------------------------------------------------------------

    def _plan(self):
        now = timezone.now()
        self.stdout.write(f"{'planner kind':<28} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'queries':>8}")
        total_rows, total_seconds = 0, 0.0
        for kind in sorted(planner.PLANNERS):
            with CaptureQueriesContext(connection) as queries:
                started = time.monotonic()
                inserted = planner.plan(now, kinds={kind})[kind]
                seconds = time.monotonic() - started
            total_rows += inserted
            total_seconds += seconds
            self.stdout.write(
                f"{kind:<28} {inserted:>8} {seconds:>8.2f} {_rate(inserted, seconds):>9} {len(queries):>8}"
            )
        self.stdout.write(
            f"{'all kinds':<28} {total_rows:>8} {total_seconds:>8.2f} {_rate(total_rows, total_seconds):>9}"
        )
        # Production leaves statistics to autovacuum; a benchmark that has just written its world cannot wait.
        _analyze()
        started = time.monotonic()
        again = sum(planner.plan(timezone.now()).values())
        self.stdout.write(f"planning again inserted {again} rows in {_since(started)} (every key exists)")
        self._compare_planner(now)

    def _compare_planner(self, now):
        """The session reminders (one per mentor) beside one hand-written INSERT … SELECT … ON CONFLICT DO NOTHING
        of the same rows: all of them new (each round deletes them first, untimed), then every key existing."""
        if connection.vendor != "postgresql":
            self.stdout.write("planner floors: hand-written PostgreSQL; give BENCH_DATABASE_URL=postgres://…")
            return
        kind = Kind.SESSION_UPCOMING
        planned = Reminder.objects.filter(kind=kind)
        count = planned.count()

        def forget():
            planned._raw_delete(planned.db)
            # New rows' keys have never been in the ledger: vacuumed, the deleted rows leave no dead index
            # entries under the very keys about to be planned (both the planner's look-up and ON CONFLICT
            # would visit them, the heap behind each, as no real sweep ever does).
            _vacuum(Reminder._meta.db_table)

        def tandem():
            planner.plan(now, kinds={kind})

        def floor():
            with transaction.atomic(), connection.cursor() as cursor:
                planner.allow_long_statements()  # as the planner does
                cursor.execute(_UPCOMING_FLOOR, _upcoming_floor_params(now))

        comparisons = [
            compare(f"planner, {count:,} new rows", tandem, floor, goal=1.3, rounds=5, setup=forget),
            compare("planner, nothing new (every sweep)", tandem, floor, goal=1.5, rounds=5),
        ]
        print_table(self.stdout.write, comparisons)

    # --- dispatcher ---------------------------------------------------------------------

    def _dispatch(self, count):
        """Send `count` due messages (all, for None) in DISPATCH_ROUNDS rounds, each round's messages sent by
        dispatcher passes as beat would run them, interleaved with the floor claiming and marking as many."""
        due = Reminder.objects.claimable(timezone.now()).count()
        wanted = due if count is None else min(count, due)
        # Half the rows for Tandem, half for the floor; each round takes fresh rows.
        per_round = max(wanted // (2 * DISPATCH_ROUNDS), 1)
        CountingBackend.sent = 0
        tandem_counts, floor_counts, passes, cpu = [], [], [0], [0.0]

        def tandem():
            started = time.process_time()
            handled = 0
            while handled < per_round:
                left = per_round - handled
                result = dispatcher.dispatch(
                    connection=CountingBackend(), max_messages=left, batch_size=min(dispatcher.BATCH_SIZE, left)
                )
                passes[0] += 1
                if not result.handled:
                    break
                handled += result.handled
            tandem_counts.append(handled)
            cpu[0] += time.process_time() - started

        def floor():
            # As many as Tandem's pass just handled (a batch may take a few more than asked: a session's attendees).
            floor_counts.append(_claim_and_mark_each(tandem_counts[-1]))

        comparison = compare(
            f"dispatcher, {per_round} messages with .ics",
            tandem,
            floor,
            goal=None,
            rounds=DISPATCH_ROUNDS,
            gc=True,  # a rate a worker sustains for hours: collecting its garbage is part of it
        )
        print_table(self.stdout.write, [comparison])
        sent = CountingBackend.sent
        tandem_rate = statistics.median(tandem_counts) / comparison.tandem_seconds
        floor_rate = statistics.median(floor_counts) / comparison.floor_seconds
        self.stdout.write(
            f"dispatcher: {sent} of {due} due messages sent ({passes[0]} passes, {DISPATCH_ROUNDS} rounds): "
            f"{tandem_rate:,.0f} messages/s; floor (claim + mark each, no rendering) {floor_rate:,.0f} messages/s; "
            f"goal >= {DISPATCH_GOAL_RATE} messages/s {'ok' if tandem_rate >= DISPATCH_GOAL_RATE else 'OVER'}"
        )
        # The part of a message's time that is this process's own work (rendering, MIME, the ORM): the rest is
        # the database's, and on a busy machine the other processes'.
        self.stdout.write(
            f"dispatcher CPU in this process: {cpu[0] / max(sum(tandem_counts), 1) * 1000:.2f} ms a message"
        )


def _claim_and_mark_each(count):
    """The dispatcher's floor: claim due rows in batches as the dispatcher does, and mark each sent on its own
    (autocommit), rendering and sending nothing. Hand-written SQL; returns the rows marked."""
    table = Reminder._meta.db_table
    pk = Reminder._meta.pk
    locking = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    claim = (
        f"UPDATE {table} SET claimed_by = %s, claimed_until = %s WHERE id IN ("  # noqa: S608 - our table name
        f"SELECT id FROM {table} WHERE status = 'pending' AND attempt_after <= %s "
        f"AND (claimed_until IS NULL OR claimed_until < %s) ORDER BY attempt_after, id LIMIT %s{locking}) RETURNING id"
    )
    mark = (
        f"UPDATE {table} SET status = 'sent', sent_at = %s, attempts = attempts + 1, last_error = '', "  # noqa: S608
        "claimed_by = NULL, claimed_until = NULL WHERE id = %s AND claimed_by = %s AND status = 'pending'"
    )
    token = pk.get_db_prep_value(uuid.uuid4(), connection)
    adapt = connection.ops.adapt_datetimefield_value
    marked = 0
    with connection.cursor() as cursor:
        while marked < count:
            now = timezone.now()
            with transaction.atomic():
                cursor.execute(
                    claim,
                    (
                        token,
                        adapt(now + dispatcher.lease()),
                        adapt(now),
                        adapt(now),
                        min(dispatcher.BATCH_SIZE, count - marked),
                    ),
                )
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            for row_id in ids:
                cursor.execute(mark, (adapt(timezone.now()), row_id, token))
                marked += cursor.rowcount
    return marked


# The floor of the session reminders: the rows the planner plans for the bench's world (every attendee
# reachable, no preference switched off, the baseline's 24 hours for every partner), keys and all.
_UPCOMING_FLOOR = """
INSERT INTO reminders_reminder (id, kind, partner_id, recipient_user_id, recipient_email, subject_type_id, subject_id,
    due_at, attempt_after, dedupe_key, details, status, attempts, last_error, cancelled_reason, created_at)
SELECT gen_random_uuid(), 'session_upcoming', p.partner_id, p.user_id, CASE WHEN p.user_id IS NULL THEN p.email ELSE ''
    END, %(subject_type)s, s.id, GREATEST(s.starts_at - interval '24 hours', %(now)s),
    GREATEST(s.starts_at - interval '24 hours', %(now)s),
    'session_upcoming:' || s.id || ':' || t.starts_at || ':' ||
        CASE WHEN p.user_id IS NULL THEN 'e' || lower(btrim(p.email)) ELSE 'u' || p.user_id END,
    jsonb_build_object('starts_at', t.starts_at), 'pending', 0, '', '', %(now)s
FROM supervision_sessionattendance a
JOIN supervision_supervisionsession s ON s.id = a.session_id
JOIN supervision_person p ON p.id = a.person_id
LEFT JOIN franchise_user u ON u.id = p.user_id
CROSS JOIN LATERAL (SELECT regexp_replace(to_char(s.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    '\\.000000$', '') || '+00:00' AS starts_at) t
WHERE s.status = 'scheduled' AND s.starts_at > %(now)s AND s.starts_at <= %(latest)s
    AND s.starts_at - interval '24 hours' <= %(plan_ahead)s AND a.attendance <> 'apologies'
    AND (u.is_active OR (p.user_id IS NULL AND p.email <> ''))
ON CONFLICT (dedupe_key) DO NOTHING
"""


def _upcoming_floor_params(now):
    from reminders.kinds.sessions import LONGEST_LEAD

    return {
        "subject_type": ContentType.objects.get_for_model(SupervisionSession).pk,
        "now": now,
        "latest": now + planner.PLAN_AHEAD + LONGEST_LEAD,
        "plan_ahead": now + planner.PLAN_AHEAD,
    }


def _analyze(table=None):
    """Fresh statistics (of `table`, or of every table) after building the world and a large plan, as autovacuum
    gathers them in production, so the claim and the dispatcher's reads are planned for tables of this size, not
    for the empty ones the run started with."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}" if table else "ANALYZE")


def _vacuum(table):
    """VACUUM ANALYZE `table`; inside a transaction (the benchmark's own test), where VACUUM cannot run, ANALYZE."""
    if connection.in_atomic_block:
        _analyze(table)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def _delete_world(tag):
    """Delete what the run with `tag` generated, children first, one DELETE per table: the world has no
    signals or files to honour, and collecting 100,000 people object by object would take longer than the run."""
    from supervision.models import Person, SessionAttendance, SupervisionSession

    partners = Partner.objects.filter(slug__startswith=f"{tag}-")
    users = User.objects.filter(email__startswith=f"{tag}-")
    with transaction.atomic():
        licences = Licence.objects.filter(partner__in=partners)
        for queryset in (
            # Reminders to the licensing organisation carry no partner: found by what they are about.
            Reminder.objects.filter(
                subject_type=ContentType.objects.get_for_model(Licence), subject_id__in=licences.values("pk")
            ),
            Reminder.objects.filter(partner__in=partners),
            Reminder.objects.filter(recipient_user__in=users),
            SessionAttendance.objects.filter(partner__in=partners),
            SupervisionSession.objects.filter(partner__in=partners),
            Person.objects.filter(partner__in=partners),
            licences,
            Membership.objects.filter(user__in=users),
            users,
            partners,
            Programme.objects.filter(code=tag.upper()),
        ):
            queryset._raw_delete(queryset.db)


def _rate(count, seconds):
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


def _since(started):
    return f"{time.monotonic() - started:.1f} s"
