"""The set-based planner plans exactly the rows the Python planner did, column by column.

One hand-built world holds a due subject of every kind, and the awkward cases
of each: a person without a login whose email has capitals and spaces, an
address so long that the key is hashed, a partner in another time zone, a
session whose reminder falls due in a few minutes rather than now, times with
and without microseconds. The rows the frozen Python planner
(tests/reminders/python_planner.py) builds for that world are compared with
the rows the planner inserts; and rows the Python planner inserted (rows
already in a ledger when the planner changed) dedupe against new ones.
"""

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Role
from reminders import planner
from reminders.models import Kind, Reminder
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import LicenceFactory, PolicyVersionFactory
from tests.reminders import python_planner
from tests.reminders.factories import ReminderPreferenceFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    IncidentActionFactory,
    PersonFactory,
    SessionAttendanceFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import days_from_now
from tests.training.factories import CertificateFactory, TrainerAccreditationFactory

pytestmark = pytest.mark.django_db

COLUMNS = (
    "kind",
    "partner_id",
    "recipient_user_id",
    "recipient_email",
    "subject_type_id",
    "subject_id",
    "due_at",
    "attempt_after",
    "dedupe_key",
    "details",
    "status",
    "attempts",
    "last_error",
    "cancelled_reason",
    "claimed_by",
    "claimed_until",
    "sent_at",
)
LONG_EMAIL = "a.very.long.address." + "x" * 220 + "@example.org"


def _columns(row):
    # The kind as its value and the details as sorted JSON; datetimes compare as instants.
    values = {column: getattr(row, column) for column in COLUMNS}
    return tuple({**values, "kind": str(row.kind), "details": json.dumps(row.details, sort_keys=True)}.items())


def _build_world(now, partner, other_partner, coordinator, other_coordinator):
    today = timezone.localdate(now)
    # Three coordinators between two partners, one of whom has switched the pause reviews off.
    second = user_with_role(Role.COORDINATOR, partner, email="second@example.org")
    ReminderPreferenceFactory(user=second, kind=Kind.PAUSE_REVIEW, enabled=False)
    far = PartnerFactory(name="Far Away", slug="far-away", time_zone="Pacific/Auckland")
    # A policy version of this week, to be read by the partner's mentors (with and without a login), and an
    # older one elsewhere that is not announced late.
    PolicyVersionFactory(partner=partner, number=1, effective_from=now - timedelta(days=2))
    PolicyVersionFactory(partner=other_partner, number=1, effective_from=now - timedelta(days=30))
    user_with_role(Role.COORDINATOR, far, email="far@example.org")

    for where in (partner, other_partner, far):
        LicenceFactory(partner=where, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=20))
        LicenceFactory(partner=where, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=80))
        TrainerAccreditationFactory(
            partner=where, granted_on=today - timedelta(days=700), expires_on=today + timedelta(days=6)
        )
        CertificateFactory(partner=where)
        # Overdue mentors: one with a login, one with an awkward address, one with a very long one.
        for person in (
            PersonFactory(partner=where, active_mentor=True, with_user=True),
            PersonFactory(partner=where, active_mentor=True, email="  Mixed.Case@Example.ORG "),
            PersonFactory(partner=where, active_mentor=True, email=LONG_EMAIL),
        ):
            SupervisionSessionFactory(partner=where, supervisee=person, held=True, starts_at=days_from_now(-45))
        PersonFactory(partner=where, paused=True, pause_review_on=today)
        PersonFactory(partner=where, paused=True, pause_review_on=today + timedelta(days=1))
        PersonFactory(partner=where, paused=True, pause_review_on=today - timedelta(days=3))
        BoundaryIncidentFactory(partner=where, critical=True)
        BoundaryIncidentFactory(partner=where)  # review due: a day before its deadline
        BoundaryIncidentFactory(partner=where, review_due_at=now + timedelta(hours=10, microseconds=1))  # half-way
        BoundaryIncidentFactory(partner=where, review_due_at=now - timedelta(hours=1))  # overdue
        BoundaryIncidentFactory(partner=where, escalated=True)
        IncidentActionFactory(partner=where, due_on=today)
        IncidentActionFactory(partner=where, due_on=today + timedelta(days=1), owner=PersonFactory(partner=where))
        # Coming up: at once, a few minutes from now, and (with an email-only guest) moved and cancelled.
        SupervisionSessionFactory(partner=where, starts_at=(now + timedelta(hours=2)).replace(microsecond=0))
        SupervisionSessionFactory(partner=where, starts_at=now + timedelta(hours=24, minutes=10))
        moved = SupervisionSessionFactory(partner=where, sequence=2)
        SessionAttendanceFactory(
            partner=where, session=moved, person=PersonFactory(partner=where, email=" vera.Guest@X.org\t")
        )
        SupervisionSessionFactory(partner=where, cancelled=True)


# The kinds that existed when the planner moved to SQL: kinds born after have their own tests.
FROZEN_KINDS = set(python_planner.PLANNERS)


def _plan_in_python(now):
    return {kind: plan(now) for kind, plan in python_planner.PLANNERS.items()}


def test_the_planner_inserts_the_rows_the_python_planner_built(
    partner, other_partner, coordinator, other_coordinator, licensor
):
    now = timezone.now()
    _build_world(now, partner, other_partner, coordinator, other_coordinator)
    expected = _plan_in_python(now)
    assert all(expected.values()), f"the world plans nothing for {[k for k, rows in expected.items() if not rows]}"
    # The world covers the awkward cases it means to.
    overdue_keys = [row.dedupe_key for row in expected[Kind.SUPERVISION_OVERDUE]]
    assert any(key.count(":") == 1 for key in overdue_keys), "no key long enough to be hashed"
    assert any(key.endswith(":emixed.case@example.org") for key in overdue_keys)
    for kind in (Kind.SESSION_UPCOMING, Kind.INCIDENT_REVIEW_DUE, Kind.INCIDENT_REVIEW_OVERDUE, Kind.PAUSE_REVIEW):
        assert any(row.due_at > now for row in expected[kind]), f"every {kind} row is due now"

    inserted = planner.plan(now, kinds=FROZEN_KINDS)

    assert inserted == {str(kind): len({row.dedupe_key for row in rows}) for kind, rows in expected.items()}
    for kind, rows in expected.items():
        planned = Counter(_columns(row) for row in Reminder.objects.filter(kind=kind))
        assert planned == Counter(_columns(row) for row in rows), kind
    assert all(row.created_at for row in Reminder.objects.all())
    assert planner.plan(now, kinds=FROZEN_KINDS) == dict.fromkeys(inserted, 0)


def test_rows_the_python_planner_inserted_are_not_planned_again(
    partner, other_partner, coordinator, other_coordinator, licensor
):
    now = timezone.now()
    _build_world(now, partner, other_partner, coordinator, other_coordinator)
    expected = _plan_in_python(now)
    Reminder.objects.bulk_create([row for rows in expected.values() for row in rows], ignore_conflicts=True)
    before = Reminder.objects.count()

    assert planner.plan(now, kinds=FROZEN_KINDS) == dict.fromkeys(map(str, expected), 0)
    assert Reminder.objects.count() == before
