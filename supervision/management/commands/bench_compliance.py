"""Benchmark of the supervision compliance query: `python manage.py bench_compliance --mentors 100000 --partners 100`.

Builds partners with different supervision intervals, the given number of
active mentors and a few months of held, missed and cancelled sessions, commits
them and VACUUMs and ANALYZEs them, as production's autovacuum would have: a
world that is never committed has no statistics and plans unlike the real one.
Then it times, side by side with the hand-written SQL floor that returns the
same rows (GROUP BY and, on PostgreSQL, DISTINCT ON; core.benchmarking):

- every row: the compliance rows of every mentor, as the licensor reads them;
- API page: what GET /api/v1/compliance/supervision/?page_size=200 asks of the
  database, a count and the first 200 rows by next due date;
- ?state=overdue: the same count and page of overdue mentors only.

The generated world is deleted at the end. A benchmark, not a test: it asserts
nothing; run it against the database you want figures for (DATABASE_URL=postgres://…).
"""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.benchmarking import compare, print_table
from core.tenancy import access_for
from franchise import policy_fields
from franchise.models import BaselinePolicy, Membership, Partner, PolicyVersion, Role, User
from supervision.models import MentorStatus, Person, PersonTransition, SessionAttendance, SupervisionSession
from supervision.sessions.compliance import DUE_SOON_DAYS, UNCONFIRMED_AFTER_DAYS, State, compliance_rows
from supervision.sessions.recurrence import local_date

INTERVALS = (28, 35, 42)
BATCH = 2000
GOAL = 1.3
PAGE = 200
ORDER = "ORDER BY next_due_on, name, id"


class Command(BaseCommand):
    help = "Time the supervision compliance query beside hand-written SQL over a generated world, then delete it."

    def add_arguments(self, parser):
        parser.add_argument("--mentors", type=int, default=10000, help="Active mentors to generate (default 10000).")
        parser.add_argument("--partners", type=int, default=10, help="Partners to spread them over (default 10).")
        parser.add_argument("--sessions", type=int, default=4, help="Past 1:1 sessions per mentor (default 4).")
        parser.add_argument("--repeat", type=int, default=5, help="Interleaved rounds of each comparison (default 5).")
        parser.add_argument("--seed", type=int, default=5)
        parser.add_argument(
            "--no-jit",
            action="store_true",
            help="PostgreSQL: switch JIT compilation off for the run (SET jit = off), to compare.",
        )

    def handle(self, *args, mentors, partners, sessions, repeat, seed, no_jit=False, **options):
        if mentors < 1 or partners < 1 or sessions < 0 or repeat < 1:
            raise CommandError("--mentors, --partners and --repeat are at least 1; --sessions at least 0.")
        started = time.perf_counter()
        with transaction.atomic():
            licensor, owners = self._world(mentors, partners, sessions, random.Random(seed))
        built = time.perf_counter() - started
        try:
            jit = ""
            with connection.cursor() as cursor:
                # What autovacuum does to a table that took many inserts: statistics, and on PostgreSQL the
                # visibility map that lets index-only scans skip the table (VACUUM cannot run inside a
                # transaction, as when a test calls the command).
                vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
                cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
                if connection.vendor == "postgresql":
                    if no_jit:
                        cursor.execute("SET jit = off")
                    cursor.execute("SHOW jit")
                    jit = f" (jit {cursor.fetchone()[0]})"
            self.stdout.write(
                f"{connection.vendor}{jit}: {mentors} active mentors in {partners} partners, "
                f"{SupervisionSession.objects.count()} sessions, {SessionAttendance.objects.count()} attendances "
                f"(built in {built:.1f} s)."
            )
            self._compare(licensor, mentors, repeat)
        finally:
            self._delete(licensor, owners)
            if no_jit and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("RESET jit")
        self.stdout.write("Generated data deleted.")

    def _compare(self, licensor, mentors, repeat):
        now = timezone.now()
        today = timezone.localdate(now)
        access_for(licensor)  # the caller's memberships, read once per request by the API, not per query
        floor = _Floor(now, today)

        def every_row():
            return list(compliance_rows(licensor, now=now, today=today))

        def page(state=None):
            rows = compliance_rows(licensor, state=state, now=now, today=today)
            return rows.count(), list(rows[:PAGE])

        checks = [("every row", every_row), ("API page (count + 200 rows)", page)]
        checks.append(("?state=overdue", lambda: page(State.OVERDUE)))
        for label, run in checks:
            with CaptureQueriesContext(connection) as captured:
                run()
            queries = len(captured.captured_queries)
            self.stdout.write(f"{label}: {queries} quer{'y' if queries == 1 else 'ies'}")
        tandem_rows, floor_rows = every_row(), floor.rows()
        self.stdout.write(
            f"every row: {len(tandem_rows)} rows, the floor {len(floor_rows)}; "
            f"states {_states(tandem_rows)}, the floor's {_states(floor_rows, index=5)}"
        )
        print_table(
            self.stdout.write,
            [
                compare(f"compliance, every row, {mentors} mentors", every_row, floor.rows, goal=GOAL, rounds=repeat),
                compare("compliance, API page (count + 200)", page, floor.page, goal=GOAL, rounds=repeat),
                compare(
                    "compliance, ?state=overdue (count + 200)",
                    lambda: page(State.OVERDUE),
                    lambda: floor.page(overdue=True),
                    goal=GOAL,
                    rounds=repeat,
                ),
            ],
        )

    def _delete(self, licensor, owners):
        """The world, table by table in one statement each: the ORM's cascade would read every row first."""
        partner_ids = [Partner._meta.pk.get_db_prep_value(partner.pk, connection) for partner in owners]
        with transaction.atomic(), connection.cursor() as cursor:
            for model in (SessionAttendance, SupervisionSession, PersonTransition, Person, PolicyVersion):
                in_list = ", ".join(["%s"] * len(partner_ids))
                sql = f"DELETE FROM {model._meta.db_table} WHERE partner_id IN ({in_list})"  # noqa: S608 - our tables
                cursor.execute(sql, partner_ids)
            Membership.objects.filter(user=licensor).delete()
            Partner.objects.filter(pk__in=partner_ids).delete()
            licensor.delete()

    def _world(self, mentors, partners, sessions_per_mentor, rng):
        now = timezone.now()
        stamp = int(now.timestamp())
        licensor = User.objects.create_user(f"bench-{stamp}@bench.invalid", None, name="Bench licensor")
        Membership.objects.create(user=licensor, partner=None, role=Role.LICENSOR_ADMIN)
        owners = Partner.objects.bulk_create(
            [
                Partner(name=f"Bench partner {n}", slug=f"bench-{stamp}-{n}", status=Partner.Status.ACTIVE)
                for n in range(partners)
            ]
        )
        defaults = policy_fields.defaults()
        PolicyVersion.objects.bulk_create(
            [
                PolicyVersion(
                    partner=partner,
                    number=1000 + n,
                    effective_from=now - timedelta(days=400),
                    reason="Benchmark",
                    values={**defaults, "supervision_interval_days": INTERVALS[n % len(INTERVALS)]},
                    overridden=["supervision_interval_days"],
                    boundary_rules=[],
                    fallbacks=[],
                )
                for n, partner in enumerate(owners)
            ]
        )
        supervisors = Person.objects.bulk_create(
            [Person(partner=partner, name=f"Supervisor {n}") for n, partner in enumerate(owners * 5)],
            batch_size=BATCH,
        )
        by_partner = {}
        for supervisor in supervisors:
            by_partner.setdefault(supervisor.partner_id, []).append(supervisor)
        people = Person.objects.bulk_create(
            [
                Person(
                    partner=owners[n % partners],
                    name=f"Mentor {n:05d}",
                    mentor_status=MentorStatus.ACTIVE,
                    prior_learning_on=now.date() - timedelta(days=500),
                )
                for n in range(mentors)
            ],
            batch_size=BATCH,
        )
        # A few more people who are not active mentors: the query must leave them out, not skip them for free.
        Person.objects.bulk_create(
            [
                Person(
                    partner=owners[n % partners],
                    name=f"Paused {n}",
                    mentor_status=MentorStatus.PAUSED,
                    pause_reason="Benchmark",
                    pause_review_on=now.date(),
                )
                for n in range(mentors // 10)
            ],
            batch_size=BATCH,
        )
        PersonTransition.objects.bulk_create(
            [
                PersonTransition(
                    partner_id=person.partner_id,
                    person=person,
                    from_status=MentorStatus.SHADOWING,
                    to_status=MentorStatus.ACTIVE,
                    at=now - timedelta(days=rng.randint(10, 400)),
                )
                for person in people
            ],
            batch_size=BATCH,
        )
        zones = {partner.pk: partner.time_zone for partner in owners}
        statuses = [SupervisionSession.Status.HELD] * 6 + [
            SupervisionSession.Status.MISSED,
            SupervisionSession.Status.CANCELLED,
        ]
        pending_sessions, pending_attendance = [], []

        def flush():
            SupervisionSession.objects.bulk_create(pending_sessions, batch_size=BATCH)
            SessionAttendance.objects.bulk_create(pending_attendance, batch_size=BATCH)
            pending_sessions.clear()
            pending_attendance.clear()

        for person in people:
            supervisor = rng.choice(by_partner[person.partner_id])
            # Some mentors were never supervised; the others had sessions over the last months.
            count = 0 if rng.random() < 0.05 else sessions_per_mentor
            for _ in range(count):
                starts_at = (now - timedelta(days=rng.randint(1, 120))).replace(minute=0, second=0, microsecond=0)
                status = rng.choice(statuses)
                session = SupervisionSession(
                    partner_id=person.partner_id,
                    kind=SupervisionSession.Kind.ONE_TO_ONE,
                    supervisor=supervisor,
                    supervisee=person,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    starts_on=local_date(starts_at, zones[person.partner_id]),
                    status=status,
                    confirmed_at=now if rng.random() < 0.7 else None,
                )
                attendance = {
                    SupervisionSession.Status.HELD: SessionAttendance.Attendance.PRESENT,
                    SupervisionSession.Status.MISSED: SessionAttendance.Attendance.ABSENT,
                }.get(status, "")
                pending_sessions.append(session)
                pending_attendance += [
                    SessionAttendance(partner_id=person.partner_id, session=session, person=who, attendance=attendance)
                    for who in (supervisor, person)
                ]
            if len(pending_sessions) >= BATCH:
                flush()
        flush()
        return licensor, owners


def _states(rows, index=None):
    counts = {}
    for row in rows:
        state = row["state"] if index is None else row[index]
        counts[state] = counts.get(state, 0) + 1
    return dict(sorted(counts.items()))


class _Floor:
    """The compliance rows written by hand: each fact grouped once and joined, the policy in force per partner by
    DISTINCT ON (a window on SQLite), next due computed once in a derived table and the state from it; the same
    columns in the same order as compliance.ROW."""

    def __init__(self, now, today):
        self.vendor = connection.vendor
        ops = connection.ops
        self.params = {
            "now": ops.adapt_datetimefield_value(now),
            "unconfirmed_before": ops.adapt_datetimefield_value(now - timedelta(days=UNCONFIRMED_AFTER_DAYS)),
            "today": ops.adapt_datefield_value(today),
            "soon": ops.adapt_datefield_value(today + timedelta(days=DUE_SOON_DAYS)),
            "zone": timezone.get_current_timezone_name(),
            "baseline": policy_fields.BY_NAME["supervision_interval_days"].default,
        }
        self.sql = self._rows_sql()

    def _rows_sql(self):
        person, attendance = Person._meta.db_table, SessionAttendance._meta.db_table
        session, transition = SupervisionSession._meta.db_table, PersonTransition._meta.db_table
        version, baseline = PolicyVersion._meta.db_table, BaselinePolicy._meta.db_table
        if self.vendor == "postgresql":
            local_date = "(MAX(t.at) AT TIME ZONE %(zone)s)::date"
            created_on = "(p.created_at AT TIME ZONE %(zone)s)::date"
            in_force = f"""SELECT DISTINCT ON (partner_id) partner_id, id,
                    (\"values\"->>'supervision_interval_days')::integer AS interval_days
                FROM {version} WHERE effective_from <= %(now)s
                ORDER BY partner_id, effective_from DESC, number DESC"""  # noqa: S608 - our tables
            due = "COALESCE(h.last_on, a.active_on, {created_on}) + {interval}"
        else:
            local_date = "django_datetime_cast_date(MAX(t.at), %(zone)s, 'UTC')"
            created_on = "django_datetime_cast_date(p.created_at, %(zone)s, 'UTC')"
            in_force = f"""SELECT partner_id, id, interval_days FROM (
                    SELECT partner_id, id,
                        CAST(json_extract(\"values\", '$.supervision_interval_days') AS INTEGER) AS interval_days,
                        ROW_NUMBER() OVER (PARTITION BY partner_id ORDER BY effective_from DESC, number DESC) AS n
                    FROM {version} WHERE effective_from <= %(now)s) WHERE n = 1"""  # noqa: S608 - our tables
            due = "date(COALESCE(h.last_on, a.active_on, {created_on}), '+' || {interval} || ' days')"
        baseline_interval = f"(SELECT supervision_interval_days FROM {baseline} WHERE id = 1)"  # noqa: S608
        interval = f"COALESCE(v.interval_days, {baseline_interval}, %(baseline)s)"
        due = due.format(created_on=created_on, interval=interval)
        return f"""
            SELECT id, name, partner_id, last_on, next_due_on,
                CASE WHEN next_due_on < %(today)s THEN 'overdue' WHEN next_due_on <= %(soon)s THEN 'due_soon'
                    ELSE 'ok' END AS state,
                interval_days, version_id, unconfirmed
            FROM (
                SELECT p.id, p.name, p.partner_id, h.last_on, {due} AS next_due_on, {interval} AS interval_days,
                    v.id AS version_id, COALESCE(u.n, 0) AS unconfirmed
                FROM {person} p
                LEFT JOIN (
                    SELECT sa.person_id, MAX(s.starts_on) AS last_on
                    FROM {attendance} sa JOIN {session} s ON s.id = sa.session_id
                    WHERE sa.attendance = 'present' AND s.status = 'held'
                    GROUP BY sa.person_id
                ) h ON h.person_id = p.id
                LEFT JOIN (
                    SELECT t.person_id, {local_date} AS active_on FROM {transition} t
                    WHERE t.to_status = 'active' GROUP BY t.person_id
                ) a ON a.person_id = p.id
                LEFT JOIN (
                    SELECT supervisee_id, COUNT(*) AS n FROM {session}
                    WHERE kind = 'one_to_one' AND status = 'held' AND confirmed_at IS NULL
                        AND starts_at < %(unconfirmed_before)s
                    GROUP BY supervisee_id
                ) u ON u.supervisee_id = p.id
                LEFT JOIN ({in_force}) v ON v.partner_id = p.partner_id
                WHERE p.mentor_status = 'active'
            ) rows
            {{where}} {{order}}
        """  # noqa: S608 - our tables, values as parameters

    def _fetch(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchall()

    def rows(self):
        return self._fetch(self.sql.format(where="", order=ORDER))

    def page(self, overdue=False):
        where = "WHERE next_due_on < %(today)s" if overdue else ""
        rows = self.sql.format(where=where, order=ORDER)
        if overdue:
            count = self._fetch(f"SELECT COUNT(*) FROM ({self.sql.format(where=where, order='')}) counted")  # noqa: S608
        else:
            count = self._fetch(f"SELECT COUNT(*) FROM {Person._meta.db_table} WHERE mentor_status = 'active'")  # noqa: S608
        return count[0][0], self._fetch(f"{rows} LIMIT {PAGE}")
