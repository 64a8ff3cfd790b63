"""The planner: each kind of reminder is one function that turns a domain queryset into ledger rows.

A planner function takes `now` and returns the number of rows it inserted.
It reads its subjects *and their recipients* with set-based queries (a join
or a subquery, never a query per subject) and writes them with
bulk_create(ignore_conflicts=True) — INSERT … ON CONFLICT DO NOTHING, 2,000
rows a statement: a row whose dedupe key exists already is skipped by the
database, so planning is safe to repeat and to run in two places at once.

Kinds marked `daily` (licence and accreditation expiry) are planned by the
daily beat entry; the others by the sweep every few minutes. Kinds that a
domain event creates at once (a critical incident, a moved session) are
planned by reminders.services when the event happens, and also by a sweep
where the event leaves a trace the sweep can find.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from core.tenancy import COORDINATOR, LICENSOR_ADMIN
from franchise.models import BaselinePolicy, Membership
from reminders.models import Reminder, ReminderPreference

logger = logging.getLogger(__name__)

INSERT_BATCH_SIZE = 2000
# Sweeps plan what falls due this far ahead, so the dispatcher (every minute) sends it on time.
PLAN_AHEAD = timedelta(minutes=15)
# What became due while no worker ran is still planned if it is this recent; older
# occasions (a mentor overdue for a month) are not announced late. Compliance lists show them.
CATCH_UP = timedelta(days=7)
# Date-based reminders (a pause review, an action due) go out at this local time on the day.
MORNING = time(8, 0)


@dataclass(frozen=True)
class Planner:
    kind: str
    plan: object  # (now) -> int
    daily: bool


PLANNERS: dict[str, Planner] = {}


def planner(kind, *, daily=False):
    """Register the planner function of one kind."""

    def register(function):
        PLANNERS[kind] = Planner(kind=kind, plan=function, daily=daily)
        return function

    return register


class PlanningFailed(Exception):
    def __init__(self, failures):
        super().__init__("Planning failed for " + ", ".join(sorted(failures)))
        self.failures = failures


def plan(now=None, *, daily=None, kinds=None):
    """Run the planners; returns {kind: rows inserted}.

    `daily`: None runs every planner, True only the daily ones, False only the
    sweep ones. One kind failing does not stop the others; the failures are
    raised together at the end.
    """
    now = now or timezone.now()
    counts, failures = {}, {}
    for kind, entry in PLANNERS.items():
        if kinds is not None and kind not in kinds:
            continue
        if daily is not None and entry.daily != daily:
            continue
        try:
            with transaction.atomic():
                counts[str(kind)] = entry.plan(now)
        except Exception as exc:
            logger.exception("Planning %s reminders failed", kind)
            failures[str(kind)] = exc
    if failures:
        raise PlanningFailed(failures)
    return counts


# --- building rows ------------------------------------------------------------------


def dedupe_key(kind, *parts, user_id=None, email=""):
    """What makes a reminder unique: its kind, the facts it is about, and its recipient."""
    recipient = f"u{user_id}" if user_id is not None else f"e{email.strip().lower()}"
    key = ":".join([str(kind), *(str(part) for part in parts), recipient])
    if len(key) > 255:
        key = f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def reminder_row(kind, *, subject_type, subject_id, partner_id, due_at, key, user_id=None, email="", details=None):
    return Reminder(
        kind=kind,
        partner_id=partner_id,
        recipient_user_id=user_id,
        recipient_email="" if user_id is not None else email,
        subject_type=subject_type,
        subject_id=subject_id,
        due_at=due_at,
        attempt_after=due_at,
        dedupe_key=dedupe_key(kind, *key, user_id=user_id, email=email),
        details=details or {},
    )


def insert(kind, rows, *, now):
    """Insert the rows whose dedupe key is new; returns how many this call inserted.

    bulk_create(ignore_conflicts=True) cannot say which rows a conflict skipped,
    so every row of a call carries the call's own timestamp in `created_at` and
    the call counts those afterwards. (`now` is the pass's notion of the time,
    which a test may fix; the stamp is the clock's, unique to the call.)
    """
    rows = list(rows)
    if not rows:
        return 0
    stamp = timezone.now()
    for row in rows:
        row.created_at = stamp
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=INSERT_BATCH_SIZE)
    return Reminder.objects.filter(kind=kind, created_at=stamp).count()


def switched_off(kind, user_ref):
    """An expression: has the user at `user_ref` switched this kind off? (Essential kinds are never off.)"""
    return Exists(ReminderPreference.objects.switched_off(kind).filter(user_id=OuterRef(user_ref)))


def licensor_admins(kind):
    """The ids of every active licensor admin who has not switched `kind` off: one query."""
    return list(
        Membership.objects.filter(role=LICENSOR_ADMIN, partner__isnull=True, user__is_active=True)
        .exclude(switched_off(kind, "user_id"))
        .values_list("user_id", flat=True)
        .distinct()
    )


def with_coordinators(queryset, kind, partner_path="partner"):
    """`queryset` joined to the active coordinators of each row's partner (annotated `coordinator_id`),
    one row per subject and coordinator, without those who switched `kind` off."""
    memberships = f"{partner_path}__memberships"
    return (
        queryset.filter(**{f"{memberships}__role": COORDINATOR, f"{memberships}__user__is_active": True})
        .annotate(coordinator_id=F(f"{memberships}__user_id"))
        .exclude(switched_off(kind, "coordinator_id"))
    )


def coordinators_of(partner_ids, kind):
    """(partner id, user id) of the active coordinators of `partner_ids` (a list or a subquery): one query."""
    return list(
        Membership.objects.filter(role=COORDINATOR, partner__in=partner_ids, user__is_active=True)
        .exclude(switched_off(kind, "user_id"))
        .values_list("partner_id", "user_id")
        .distinct()
    )


def reachable(queryset, kind, person_path=""):
    """Rows whose person (at `person_path`; "" for a Person queryset) can be written to — an active login,
    or no login and an email address — and has not switched `kind` off."""
    prefix = f"{person_path}__" if person_path else ""
    return queryset.filter(
        Q(**{f"{prefix}user__isnull": False, f"{prefix}user__is_active": True})
        | (Q(**{f"{prefix}user__isnull": True}) & ~Q(**{f"{prefix}email": ""}))
    ).exclude(switched_off(kind, f"{prefix}user_id"))


def morning_of(day, time_zone):
    """MORNING on `day` where the partner is, as an aware datetime."""
    return datetime.combine(day, MORNING, tzinfo=ZoneInfo(time_zone or settings.TIME_ZONE))


def subject_type(model):
    return ContentType.objects.get_for_model(model)


def expiry_thresholds():
    """The licensor's expiry reminder days (90, 30, 7), smallest first. A licensor-only setting: the baseline's."""
    return sorted({int(days) for days in BaselinePolicy.load().expiry_reminder_days if int(days) >= 0})


def threshold_expression(field, today, thresholds):
    """The smallest threshold whose window the date in `field` falls in: 7 for a date within 7 days, and so on."""
    return Case(
        *(When(**{f"{field}__lte": today + timedelta(days=days)}, then=Value(days)) for days in thresholds),
        output_field=IntegerField(),
    )
