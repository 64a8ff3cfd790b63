"""Supervision compliance: for every active mentor, when they were last supervised and when they are next due.

One query for any number of mentors and partners: each figure is a subquery
or an expression over the Person rows, and the interval comes from each
partner's policy version in force (franchise.querysets.policy_value), so
partners with different intervals are compared in the same statement.

- last_supervised_on: the date (in the partner's time zone) of the last *held*
  session the mentor attended (attendance `present`), 1:1 or group.
- next_due_on: last_supervised_on + the partner's supervision_interval_days. A
  mentor never supervised yet is due that many days after they last became
  active (after their Person was created, when no activation was recorded).
- state: `overdue` once next_due_on has passed, `due_soon` within 7 days
  (today included), else `ok`.
- unconfirmed_records: held 1:1 records of the mentor as supervisee, older than
  7 days, not yet confirmed by them: shown to coordinators next to the state.
"""

from datetime import timedelta

from django.apps import apps
from django.db import models
from django.db.models import Count, F, Func, Max, OuterRef, Q, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from core.facts import Fact, join_facts
from core.tenancy import COORDINATOR, SUPERVISOR, own_person_q, restrict
from franchise.querysets import policy_value

__all__ = [
    "DUE_SOON_DAYS",
    "UNCONFIRMED_AFTER_DAYS",
    "State",
    "AddDays",
    "ROW",
    "supervision_compliance",
    "compliance_rows",
    "compliance_visible_to",
]

DUE_SOON_DAYS = 7
UNCONFIRMED_AFTER_DAYS = 7

# What a compliance row shows (the endpoint's fields): read as values, not as Person objects, where every row is read.
ROW = (
    "pk",
    "name",
    "partner_id",
    "last_supervised_on",
    "next_due_on",
    "state",
    "interval_days",
    "policy_version",
    "unconfirmed_records",
)


class State(models.TextChoices):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class AddDays(Func):
    """date + a whole number of days, as a date, on SQLite and PostgreSQL alike."""

    output_field = models.DateField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date + integer is a date.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '+' || ",
            **extra_context,
        )


class DaysBetween(Func):
    """later - earlier, in whole days (two dates)."""

    output_field = models.IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class StateOf(Func):
    """The state from the days left until the due date, in a simple CASE over a clamped value.

    The days left are computed from the mentor's subqueries; a searched CASE
    (WHEN days < 0 … WHEN days <= 7 …) would make the database evaluate them
    once per branch, a simple CASE evaluates its operand once.
    """

    output_field = models.CharField()
    arity = 1
    template = (
        f"CASE MIN(MAX(%(expressions)s, -1), {DUE_SOON_DAYS + 1}) "
        f"WHEN -1 THEN '{State.OVERDUE.value}' WHEN {DUE_SOON_DAYS + 1} THEN '{State.OK.value}' "
        f"ELSE '{State.DUE_SOON.value}' END"
    )

    def as_postgresql(self, compiler, connection, **extra_context):
        template = self.template.replace("MIN(MAX(", "LEAST(GREATEST(")
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _model(name):
    return apps.get_model("supervision", name)


def supervision_compliance(people=None, *, today=None, now=None):
    """Active mentors annotated with last_supervised_on, interval_days, next_due_on, state, unconfirmed_records
    and policy_version (the version in force whose interval was used). One query; filter it like any queryset
    (`.filter(state="overdue")`, `.filter(partner=...)`). The reminders planner reads the same queryset.

    Each per-mentor fact (the last held session attended, the last activation, the unconfirmed records) is
    grouped once over its table and joined; the policy in force is looked up once per partner. When `people`
    is narrowed (a partner, a caseload, a few ids), the grouped queries are narrowed to those people too, so a
    small read stays small.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    person = _model("Person")
    attendance = _model("SessionAttendance")
    session = _model("SupervisionSession")
    transition = _model("PersonTransition")
    partner = apps.get_model("franchise", "Partner")
    version = apps.get_model("franchise", "PolicyVersion")

    narrowed = people is not None and people.query.has_filters()
    people = (people if people is not None else person.objects.all()).filter(mentor_status=person.Status.ACTIVE)
    mentors = people.order_by().values("pk")

    def of_these(rows, path):
        return rows.filter(**{f"{path}__in": mentors}) if narrowed else rows

    last_held = of_these(
        attendance.objects.filter(attendance=attendance.Attendance.PRESENT, session__status=session.Status.HELD),
        "person",
    )
    last_held = last_held.order_by().values("person_id").annotate(on=Max("session__starts_on"))
    became_active = of_these(transition.objects.filter(to_status=person.Status.ACTIVE), "person")
    became_active = became_active.order_by().values("person_id").annotate(on=TruncDate(Max("at")))
    unconfirmed = of_these(
        session.objects.filter(
            kind=session.Kind.ONE_TO_ONE,
            status=session.Status.HELD,
            confirmed_at__isnull=True,
            starts_at__lt=now - timedelta(days=UNCONFIRMED_AFTER_DAYS),
        ),
        "supervisee",
    )
    unconfirmed = unconfirmed.order_by().values("supervisee_id").annotate(n=Count("*"))
    # Per partner, not per mentor: a hundred partners are a hundred look-ups, however many mentors they have.
    policy = partner.objects.order_by().annotate(
        version_id=version.objects.in_force_subquery(partner=OuterRef("pk"), at=now),
        interval_days=policy_value("supervision_interval_days", partner=OuterRef("pk"), at=now),
    )
    policy = policy.values("id", "version_id", "interval_days")

    people = people._chain()
    held_at = join_facts(people, last_held, name="last_held", key="person_id")
    active_at = join_facts(people, became_active, name="became_active", key="person_id")
    unconfirmed_at = join_facts(people, unconfirmed, name="unconfirmed", key="supervisee_id")
    policy_at = join_facts(people, policy, name="policy", key="id", column="partner_id")
    return people.annotate(
        last_supervised_on=Fact(held_at, "on", models.DateField()),
        interval_days=Fact(policy_at, "interval_days", models.IntegerField()),
        policy_version=Fact(policy_at, "version_id", models.UUIDField()),
        next_due_on=AddDays(
            Coalesce(
                F("last_supervised_on"),
                Fact(active_at, "on", models.DateField()),
                TruncDate("created_at"),
            ),
            F("interval_days"),
        ),
        state=StateOf(DaysBetween(F("next_due_on"), Value(today))),
        unconfirmed_records=Fact(unconfirmed_at, "n", models.IntegerField(), default=0),
    )


def compliance_rows(user, *, partner=None, state=None, today=None, now=None):
    """The compliance list as `user` reads it (ROW values, by next due date): the mentors they may see, of
    `partner` when given, in `state` when given. Who and which partner narrow the people before the facts are
    computed; the state is known only once they are."""
    people = compliance_visible_to(user, _model("Person").objects.all())
    if partner is not None:
        people = people.filter(partner=partner)
    rows = supervision_compliance(people, today=today, now=now)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("next_due_on", "name", "pk").values(*ROW)


def compliance_visible_to(user, rows):
    """Who reads compliance rows: the licensor (every partner), a partner's coordinators and supervisors, and a
    mentor their own row."""
    return restrict(rows, user, _compliance_readers)


def _compliance_readers(access, user):
    return Q(partner__in=access.partner_ids([COORDINATOR, SUPERVISOR])) | own_person_q(access, user, "")
