"""Benchmark of the supervision compliance query: `python manage.py bench_compliance --mentors 10000`.

Builds partners with different supervision intervals, the given number of
active mentors and a few months of held, missed and cancelled sessions, then
times the compliance endpoint's queryset (every row, and the endpoint's first
page as the API serves it) and counts its queries. Everything is written in one
transaction that is rolled back at the end, so the database is left as it was.
A benchmark, not a test: run it against the database you want figures for
(DATABASE_URL=postgres://… for PostgreSQL).
"""

import random
import statistics
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.tenancy import access_for
from franchise import policy_fields
from franchise.models import Membership, Partner, PolicyVersion, Role, User
from supervision.models import MentorStatus, Person, PersonTransition, SessionAttendance, SupervisionSession
from supervision.sessions.compliance import compliance_visible_to, supervision_compliance
from supervision.sessions.recurrence import local_date

INTERVALS = (28, 35, 42)
BATCH = 2000


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the supervision compliance query over generated data, then roll the data back."

    def add_arguments(self, parser):
        parser.add_argument("--mentors", type=int, default=10000, help="Active mentors to generate (default 10000).")
        parser.add_argument("--partners", type=int, default=10, help="Partners to spread them over (default 10).")
        parser.add_argument("--sessions", type=int, default=4, help="Past 1:1 sessions per mentor (default 4).")
        parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each query (default 5).")
        parser.add_argument("--seed", type=int, default=5)
        parser.add_argument(
            "--no-jit",
            action="store_true",
            help="PostgreSQL: switch JIT compilation off for the run (SET LOCAL jit = off), to compare.",
        )

    def handle(self, *args, mentors, partners, sessions, repeat, seed, no_jit=False, **options):
        if mentors < 1 or partners < 1 or sessions < 0 or repeat < 1:
            raise CommandError("--mentors, --partners and --repeat are at least 1; --sessions at least 0.")
        try:
            with transaction.atomic():
                self._run(mentors, partners, sessions, repeat, random.Random(seed), no_jit)
                raise _Rollback
        except _Rollback:
            self.stdout.write("Generated data rolled back.")

    def _run(self, mentors, partners, sessions, repeat, rng, no_jit):
        started = time.perf_counter()
        licensor = self._world(mentors, partners, sessions, rng)
        built = time.perf_counter() - started
        jit = ""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
                if no_jit:
                    cursor.execute("SET LOCAL jit = off")
                cursor.execute("SHOW jit")
                jit = f" (jit {cursor.fetchone()[0]})"
        self.stdout.write(
            f"{connection.vendor}{jit}: {mentors} active mentors in {partners} partners, "
            f"{SupervisionSession.objects.count()} sessions, {SessionAttendance.objects.count()} attendances "
            f"(built in {built:.1f} s)."
        )

        access_for(licensor)  # the caller's memberships, read once per request by the API, not per query

        def every_row():
            rows = compliance_visible_to(licensor, supervision_compliance()).order_by("next_due_on", "name", "pk")
            return len(list(rows))

        def first_page():
            # What GET /api/v1/compliance/supervision/?page_size=200 asks of the database: a count, then a page.
            rows = compliance_visible_to(licensor, supervision_compliance()).order_by("next_due_on", "name", "pk")
            return rows.count(), len(list(rows[:200]))

        def overdue_only():
            return len(list(supervision_compliance().filter(state="overdue")))

        for label, run in (
            ("every row", every_row),
            ("API page (count + 200 rows)", first_page),
            ("?state=overdue", overdue_only),
        ):
            timings, queries, result = [], 0, None
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    begun = time.perf_counter()
                    result = run()
                    timings.append(time.perf_counter() - begun)
                queries = len(captured.captured_queries)
            self.stdout.write(
                f"{label}: {queries} quer{'y' if queries == 1 else 'ies'}, result {result}, "
                f"median {statistics.median(timings) * 1000:.0f} ms, best {min(timings) * 1000:.0f} ms "
                f"over {repeat} runs"
            )
        states = {}
        for state in supervision_compliance().values_list("state", flat=True):
            states[state] = states.get(state, 0) + 1
        self.stdout.write(f"States: {dict(sorted(states.items()))}")

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
        return licensor
