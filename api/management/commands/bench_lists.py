"""Benchmark the busiest list endpoints against their `.values()` floor: `python manage.py bench_lists`.

The world: a partner with `--sessions` 1:1 supervision sessions (10,000 by
default) between its people, its people and their shadowing logs, and
incidents with a full account each; a second partner with a fifth as much, so
that scoping has rows to leave out. A coordinator of the first partner reads,
with a real API token, through the production WSGI handler (middleware, URLs, DRF):

    GET /api/v1/supervision-sessions/?page_size=50
    GET /api/v1/incidents/?page_size=50
    GET /api/v1/people/?page_size=50

The floor of each, here and nowhere in the product, is what the same answer
needs at least: the same token authentication, the same `visible_to(user)`
scoping, a count and one page read with `.values()` (and the page's attendees
for sessions), dumped as JSON. Tandem and the floor run in interleaved rounds
(core.benchmarking.compare); the table shows their medians and the ratio.

The world is committed (so that PostgreSQL plans the queries over real
statistics, after an ANALYZE) and deleted at the end, also when the run is
interrupted: run it on a database of its own.
"""

import json
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.request import Request

from api.authentication import TokenAuthentication
from core.benchmarking import compare, print_table
from franchise.models import ApiToken, BoundaryRule, Membership, Partner, Role, User
from supervision.models import (
    BoundaryIncident,
    MentorStatus,
    Person,
    SessionAttendance,
    ShadowingLog,
    SupervisionSession,
)
from supervision.sessions.recurrence import local_date

BATCH = 2000
GOAL = 1.3
PAGE = 50
# What the list representations show, column for column (the floor reads exactly these).
SESSION_COLUMNS = [
    "id",
    "partner_id",
    "kind",
    "group_id",
    "supervisor_id",
    "supervisee_id",
    "facilitator_id",
    "series_id",
    "starts_at",
    "ends_at",
    "location",
    "status",
    "sequence",
    "toolkit_process",
    "notes",
    "recorded_at",
    "confirmed_at",
    "supervisee_comment",
    "cancelled_at",
    "cancel_reason",
    "updated_at",
]
INCIDENT_COLUMNS = [
    "id",
    "partner_id",
    "reporter_id",
    "mentor_id",
    "match_id",
    "rule_id",
    "category",
    "severity",
    "occurred_at",
    "status",
    "review_due_at",
    "reviewed_at",
    "escalated_at",
    "closed_at",
]
PERSON_COLUMNS = [
    "id",
    "partner_id",
    "name",
    "email",
    "user_id",
    "mentor_status",
    "shadowing_hours",
    "trained",
    "prior_learning_on",
    "background_check_on",
    "pause_reason",
    "pause_review_on",
    "calendar_secret",
]
# An incident's account is long: the list must not pay for reading it.
ACCOUNT = "What happened, as the mentor and the reporter told it. " * 30


class Command(BaseCommand):
    help = "Time the session, incident and people lists against their .values() floor over a generated world."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=10_000, help="Sessions of the measured partner.")
        parser.add_argument("--people", type=int, default=1_000, help="People of the measured partner.")
        parser.add_argument("--incidents", type=int, default=3_000, help="Incidents of the measured partner.")
        parser.add_argument("--rounds", type=int, default=40, help="Interleaved rounds per endpoint (default 40).")

    def handle(self, *args, sessions, people, incidents, rounds, **options):
        if sessions < 1 or people < 2 or incidents < 1 or rounds < 1:
            raise CommandError("--sessions, --incidents and --rounds are at least 1, --people at least 2.")
        tag = f"bench-lists-{int(time.time())}"
        try:
            started = time.monotonic()
            with transaction.atomic():
                key = self._build(tag, sessions=sessions, people=people, incidents=incidents)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            self.stdout.write(
                f"{connection.vendor}: {sessions} sessions, {people} people and {incidents} incidents in the "
                f"measured partner (a fifth as many in another), built in {time.monotonic() - started:.1f} s"
            )
            self._measure(key, rounds)
        finally:
            started = time.monotonic()
            _delete_world(tag)
            self.stdout.write(f"deleted the generated world in {time.monotonic() - started:.1f} s")

    def _measure(self, key, rounds):
        factory = RequestFactory(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {key}")
        # The production WSGI handler (middleware, URL resolver, DRF), without the test client's own per-request
        # work (signal receivers, response bookkeeping), which would weigh on Tandem's side only.
        handler = WSGIHandler()

        def authenticated():
            # As DRF does per request: a fresh user object from the token, so memberships are read again.
            user, _token = TokenAuthentication().authenticate(Request(factory.get("/")))
            return user

        def tandem(path):
            environ = factory._base_environ(PATH_INFO=path, QUERY_STRING=f"page_size={PAGE}", REQUEST_METHOD="GET")

            def run():
                statuses = []
                body = b"".join(handler(dict(environ), lambda status, headers: statuses.append(status)))
                if not statuses[0].startswith("200"):
                    raise CommandError(f"GET {path}: {statuses[0]}")
                return body

            return run

        endpoints = [
            ("GET /supervision-sessions/?page_size=50", "/api/v1/supervision-sessions/", _sessions_floor),
            ("GET /incidents/?page_size=50", "/api/v1/incidents/", _incidents_floor),
            ("GET /people/?page_size=50", "/api/v1/people/", _people_floor),
        ]
        comparisons = []
        for what, path, floor in endpoints:
            run_tandem, run_floor = tandem(path), lambda floor=floor: floor(authenticated())
            for _ in range(3):  # warm both: caches, prepared plans, imported code
                run_tandem()
                run_floor()
            comparisons.append(compare(what, run_tandem, run_floor, goal=GOAL, rounds=rounds))
        print_table(self.stdout.write, comparisons)

    def _build(self, tag, *, sessions, people, incidents):
        now = timezone.now()
        coordinator = User.objects.create_user(f"{tag}-coordinator@example.org", None, name="Bench coordinator")
        measured, other = Partner.objects.bulk_create(
            Partner(name=f"Bench partner {n}", slug=f"{tag}-{n}", status=Partner.Status.ACTIVE) for n in range(2)
        )
        Membership.objects.create(user=coordinator, partner=measured, role=Role.COORDINATOR)
        for partner, share in ((measured, 1), (other, 5)):
            self._partner_world(
                partner, now, sessions=sessions // share, people=max(2, people // share), incidents=incidents // share
            )
        _token, key = ApiToken.objects.create(user=coordinator)
        return key

    def _partner_world(self, partner, now, *, sessions, people, incidents):
        statuses = list(MentorStatus.values)
        persons = Person.objects.bulk_create(
            [
                Person(
                    partner=partner,
                    name=f"Person {n:05d}",
                    email=f"person{n}@example.org",
                    mentor_status=statuses[n % len(statuses)] if n % 7 else None,
                    pause_reason="Bench" if statuses[n % len(statuses)] == MentorStatus.PAUSED else "",
                    pause_review_on=now.date() if statuses[n % len(statuses)] == MentorStatus.PAUSED else None,
                    prior_learning_on=now.date() - timedelta(days=300) if n % 3 == 0 else None,
                )
                for n in range(people)
            ],
            batch_size=BATCH,
        )
        ShadowingLog.objects.bulk_create(
            [
                ShadowingLog(
                    partner=partner,
                    mentor=person,
                    shadowed=persons[0],
                    date=now.date() - timedelta(days=day),
                    hours=Decimal("2.50"),
                )
                for person in persons[1:]
                for day in range(3)
            ],
            batch_size=BATCH,
        )
        pending_sessions, pending_attendance = [], []
        for n in range(sessions):
            supervisor, supervisee = persons[n % len(persons)], persons[(n * 7 + 1) % len(persons)]
            if supervisor == supervisee:
                supervisee = persons[(n + 1) % len(persons)]
            starts_at = (now + timedelta(hours=n - sessions // 2)).replace(minute=0, second=0, microsecond=0)
            held = starts_at < now
            session = SupervisionSession(
                partner=partner,
                kind=SupervisionSession.Kind.ONE_TO_ONE,
                supervisor=supervisor,
                supervisee=supervisee,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                starts_on=local_date(starts_at, partner.time_zone),
                location="Room 2",
                status=SupervisionSession.Status.HELD if held else SupervisionSession.Status.SCHEDULED,
                notes="Talked through the week." if held else "",
            )
            pending_sessions.append(session)
            attendance = SessionAttendance.Attendance.PRESENT if held else ""
            pending_attendance += [
                SessionAttendance(partner=partner, session=session, person=who, attendance=attendance)
                for who in (supervisor, supervisee)
            ]
            if len(pending_sessions) >= BATCH:
                SupervisionSession.objects.bulk_create(pending_sessions)
                SessionAttendance.objects.bulk_create(pending_attendance)
                pending_sessions, pending_attendance = [], []
        SupervisionSession.objects.bulk_create(pending_sessions)
        SessionAttendance.objects.bulk_create(pending_attendance)
        rule = BoundaryRule.objects.create(
            partner=partner, code="B1", title="Contact hours", description="Agreed hours only.", category="contact"
        )
        BoundaryIncident.objects.bulk_create(
            [
                BoundaryIncident(
                    partner=partner,
                    mentor=persons[n % len(persons)],
                    rule=rule,
                    category="contact",
                    severity="medium",
                    occurred_at=now - timedelta(hours=n),
                    description=ACCOUNT,
                    immediate_action=ACCOUNT,
                    review_due_at=now - timedelta(hours=n) + timedelta(days=2),
                )
                for n in range(incidents)
            ],
            batch_size=BATCH,
        )


# --- the floors: the least each answer needs, with the same auth and scoping -------------


def _page(rows, count, results):
    body = {"count": count, "next": "next" if count > len(results) else None, "previous": None, "results": results}
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")


def _sessions_floor(user):
    rows = SupervisionSession.objects.visible_to(user).with_notes_visibility(user)
    count = rows.count()
    page = list(rows.order_by("starts_at", "id").values(*SESSION_COLUMNS, "notes_visible")[:PAGE])
    attendees = defaultdict(list)
    for attendee in (
        SessionAttendance.objects.filter(session_id__in=[row["id"] for row in page])
        .order_by("person__name", "id")
        .values("session_id", "person_id", "person__name", "attendance")
    ):
        attendees[attendee.pop("session_id")].append(attendee)
    for row in page:
        if not row.pop("notes_visible"):
            row["notes"] = row["supervisee_comment"] = None
        row["attendees"] = attendees[row["id"]]
    return _page(rows, count, page)


def _incidents_floor(user):
    rows = BoundaryIncident.objects.visible_to(user)
    return _page(rows, rows.count(), list(rows.order_by("-occurred_at").values(*INCIDENT_COLUMNS)[:PAGE]))


def _people_floor(user):
    rows = Person.objects.visible_to(user).for_listing()
    return _page(rows, rows.count(), list(rows.order_by("name", "id").values(*PERSON_COLUMNS)[:PAGE]))


def _delete_world(tag):
    """Delete what the run with `tag` generated, children first, one DELETE per table (no signals to honour)."""
    partners = Partner.objects.filter(slug__startswith=f"{tag}-")
    users = User.objects.filter(email__startswith=f"{tag}-")
    with transaction.atomic():
        for queryset in (
            BoundaryIncident.objects.filter(partner__in=partners),
            BoundaryRule.objects.filter(partner__in=partners),
            SessionAttendance.objects.filter(partner__in=partners),
            SupervisionSession.objects.filter(partner__in=partners),
            ShadowingLog.objects.filter(partner__in=partners),
            Person.objects.filter(partner__in=partners),
            ApiToken.objects.filter(user__in=users),
            Membership.objects.filter(user__in=users),
            users,
            partners,
        ):
            queryset._raw_delete(queryset.db)
