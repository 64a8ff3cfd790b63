"""The planner: each kind of reminder is one function that turns a domain queryset into ledger rows.

A planner function takes `now` and returns the number of rows it inserted.
It describes its rows as a queryset over its subjects *and their recipients*
(rows(): the recipient, when it is due, the dedupe key and the details, all
computed in SQL) and inserts them with one INSERT … SELECT … ON CONFLICT
(dedupe_key) DO NOTHING (insert()), counting the rows from the statement.
Nothing is read into Python: a row whose key is in the ledger, or one a
concurrent planner inserted first, is skipped by the database (ON CONFLICT
looks each key up in its unique index), so planning is safe to repeat and to
run in two places at once. The keys are the strings dedupe_key() builds, so
rows planned by earlier versions dedupe against new ones
(tests/reminders/test_planned_rows.py).

Kinds marked `daily` (licence and accreditation expiry) are planned by the
daily beat entry; the others by the sweep every few minutes. Kinds that a
domain event creates at once (a critical incident, a moved session) are
planned by reminders.services when the event happens, and also by a sweep
where the event leaves a trace the sweep can find.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    TextField,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Cast, JSONObject
from django.db.models.lookups import IsNull
from django.dispatch import receiver
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
                allow_long_statements()
                counts[str(kind)] = entry.plan(now)
        except Exception as exc:
            logger.exception("Planning %s reminders failed", kind)
            failures[str(kind)] = exc
    if failures:
        raise PlanningFailed(failures)
    return counts


# A kind plans in one statement however many rows fall due: the first sweep over a national programme
# (100,000 mentors overdue at once) inserts them all, longer than the timeout that guards web requests
# (DATABASE_STATEMENT_TIMEOUT_MS) on a busy machine. A sweep runs in a worker; this still bounds it.
PLANNING_STATEMENT_TIMEOUT_MS = 10 * 60 * 1000


def allow_long_statements():
    """Let the statements of the current transaction run for PLANNING_STATEMENT_TIMEOUT_MS (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(PLANNING_STATEMENT_TIMEOUT_MS)}")


# --- building rows, in SQL ----------------------------------------------------------


def dedupe_key(kind, *parts, user_id=None, email=""):
    """What makes a reminder unique: its kind, the facts it is about, and its recipient.

    The planner builds the same string in SQL (`Key`); this is its definition in Python, the format
    every row in a ledger has (rows planned before the planner wrote SQL dedupe against new ones)."""
    recipient = f"u{user_id}" if user_id is not None else f"e{email.strip().lower()}"
    key = ":".join([str(kind), *(str(part) for part in parts), recipient])
    if len(key) > 255:
        key = f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def _as_expression(value):
    return F(value) if isinstance(value, str) else value


class _Template(Func):
    """A function written as `postgresql_template` on PostgreSQL and as a call of `function` on SQLite, a Python
    function registered per connection (SQLITE_FUNCTIONS): where the two databases' SQL differs, SQLite runs Python."""

    postgresql_template = None

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self.postgresql_template, **extra_context)


def _key_text_of_datetime(value):
    return parse_datetime_text(value).isoformat()


class KeyText(Func):
    """An id, a date, a time or a number as text, written as Python's str() and isoformat() write it."""

    output_field = TextField()

    POSTGRESQL = {"DateField": "to_char(%(expressions)s, 'YYYY-MM-DD')"}
    # Python leaves out zero microseconds; every time the planner reads is UTC, as Django reads it.
    # (A choice of two formats costs less than a regular expression over the text.)
    POSTGRESQL_DATETIME = (
        "to_char({time} AT TIME ZONE 'UTC', CASE WHEN to_char({time}, 'US') = '000000' "
        'THEN \'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\' ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\' END)'
    )
    # SQLite keeps dates as ISO text already; ids as 32 hex digits and times as Django writes them.
    SQLITE = {
        "DateField": "%(expressions)s",
        "UUIDField": "tandem_uuid_text(%(expressions)s)",
        "DateTimeField": "tandem_datetime_text(%(expressions)s)",
    }

    def _template(self, templates):
        (source,) = self.get_source_expressions()
        return templates.get(source.output_field.get_internal_type(), "CAST(%(expressions)s AS text)")

    def as_postgresql(self, compiler, connection, **extra_context):
        (source,) = self.get_source_expressions()
        if source.output_field.get_internal_type() == "DateTimeField":
            sql, params = compiler.compile(source)
            return self.POSTGRESQL_DATETIME.replace("{time}", sql), [*params, *params]
        return self.as_sql(compiler, connection, template=self._template(self.POSTGRESQL), **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self._template(self.SQLITE), **extra_context)


# What Python's str.strip() strips, for PostgreSQL's btrim(), which strips spaces only unless told.
_WHITESPACE = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace())


class EmailKey(_Template):
    """An email address as a key part: without surrounding whitespace, lower case."""

    function = "tandem_email_key"
    postgresql_template = f"lower(btrim(%(expressions)s, E'{_WHITESPACE}'))"
    output_field = TextField()


class FitKey(_Template):
    """A key longer than the column holds as its kind and the key's SHA-256, as dedupe_key() does."""

    function = "tandem_fit_key"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        (kind, kind_params), (key, key_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = (
            f"CASE WHEN length({key}) > 255 THEN {kind} || ':' || encode(sha256(convert_to({key}, 'UTF8')), 'hex') "
            f"ELSE {key} END"
        )
        return sql, [*key_params, *kind_params, *key_params, *key_params]


class Joined(Func):
    """Texts, none of them null, one after the other (Concat nests a COALESCE per pair, too deep for SQLite)."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = TextField()


def key_expression(kind, parts, *, user, email):
    """The dedupe key, in SQL, before it is fitted to the column (FitKey): dedupe_key(kind, *parts,
    user_id=user, email=email) for every row whose key is short enough, as nearly all are."""
    pieces = [Value(f"{kind!s}:")]
    for part in parts:
        part = _as_expression(part)
        pieces += [part if isinstance(part, Value) else KeyText(part), Value(":")]
    user, email = _as_expression(user), _as_expression(email)
    recipient = Case(
        When(IsNull(user, True), then=Joined(Value("e"), EmailKey(email))),
        default=Joined(Value("u"), KeyText(user)),
        output_field=TextField(),
    )
    return Joined(*pieces, recipient)


class MorningOf(_Template):
    """MORNING on the date in the first expression where the time zone in the second is (morning_of())."""

    function = "tandem_morning_of"
    output_field = DateTimeField()

    def __init__(self, day, time_zone):
        super().__init__(_as_expression(day), _as_expression(time_zone))

    def as_postgresql(self, compiler, connection, **extra_context):
        day, time_zone = (compiler.compile(expression) for expression in self.get_source_expressions())
        sql = f"(({day[0]} + TIME '{MORNING.isoformat()}') AT TIME ZONE COALESCE(NULLIF({time_zone[0]}, ''), %s))"
        return sql, [*day[1], *time_zone[1], settings.TIME_ZONE]


def rows(queryset, kind, *, subject, partner, user, email=None, due_at, key, details=None, distinct=False):
    """`queryset` as ledger rows of `kind`, one per row of it (insert() skips those whose key is in the ledger).

    Every argument is a field name or an expression over the queryset's rows: the subject's id, the
    row's partner, the recipient (a user, or where that is null an email address), when it is due, the
    facts that make up its key besides kind and recipient, and the `details` to keep (a dict of
    expressions). Nothing is read: the result is a queryset for insert()."""
    user = _as_expression(user)
    email = _as_expression(email) if email is not None else Value("")
    planned = queryset.annotate(
        planned_subject_id=_as_expression(subject),
        planned_partner_id=_as_expression(partner) if partner is not None else Cast(Value(None), UUIDField()),
        planned_user_id=user,
        planned_email=Case(When(IsNull(user, True), then=email), default=Value(""), output_field=CharField()),
        planned_due_at=_as_expression(due_at),
        planned_raw_key=key_expression(kind, key, user=user, email=email),
        planned_key=FitKey(Value(str(kind)), F("planned_raw_key")),
        planned_details=JSONObject(**{name: _as_expression(value) for name, value in (details or {}).items()}),
    )
    # A row whose key is in the ledger is skipped by ON CONFLICT, one look-up in the key's unique index, which
    # the database uses whatever its statistics say. (A NOT EXISTS look-up of the ledger per row, tried here,
    # was planned as a scan of the whole ledger per row when the statistics still called it empty, as after a
    # first import: the first sweep of 100,000 new rows took 151 s instead of 4.)
    planned = planned.order_by().values(*PLANNED_COLUMNS)
    return planned.distinct() if distinct else planned


PLANNED_COLUMNS = (
    "planned_subject_id",
    "planned_partner_id",
    "planned_user_id",
    "planned_email",
    "planned_due_at",
    "planned_key",
    "planned_details",
)


def text(value):
    """A constant text, typed as text (PostgreSQL cannot type a bare parameter inside a JSON object)."""
    return Cast(Value(value), TextField())


def insert(kind, *planned, subject_type):
    """Insert the rows of the querysets `planned` (from rows()) in one INSERT … SELECT … ON CONFLICT DO NOTHING;
    returns how many it inserted (the statement's rowcount: a row whose key exists is not counted)."""
    if not planned:
        return 0
    selects = [queryset.query.sql_with_params() for queryset in planned]
    # The ORM's own SQL, values as parameters.
    select = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS part" for sql, _ in selects)  # noqa: S608
    params = [param for _, part_params in selects for param in part_params]
    new_id = "gen_random_uuid()" if connection.vendor == "postgresql" else "tandem_uuid4()"
    # Each call stamps its rows with the clock (`created_at`), which the overdue kind reads back.
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    # Our table and the ORM's SELECT; every value a parameter.
    sql = (
        f"INSERT INTO {Reminder._meta.db_table} (id, kind, partner_id, recipient_user_id, recipient_email, "  # noqa: S608
        "subject_type_id, subject_id, due_at, attempt_after, dedupe_key, details, status, attempts, last_error, "
        "cancelled_reason, created_at) "
        f"SELECT {new_id}, %s, planned_partner_id, planned_user_id, planned_email, %s, planned_subject_id, "
        "planned_due_at, planned_due_at, planned_key, planned_details, %s, 0, '', '', %s "
        # SQLite needs a WHERE before ON CONFLICT to read the statement as an upsert.
        f"FROM ({select}) AS planned WHERE true ON CONFLICT (dedupe_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(kind), subject_type.pk, Reminder.Status.PENDING, stamp, *params])
        return cursor.rowcount


def parse_datetime_text(value):
    """A time as SQLite holds it (Django writes UTC, without a zone) as an aware datetime."""
    value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def sqlite_datetime(value):
    """An aware datetime as Django writes it in SQLite (UTC, no zone), so that times compare as text."""
    return str(timezone.make_naive(value, UTC))


SQLITE_FUNCTIONS = {
    "tandem_uuid4": (0, lambda: uuid.uuid4().hex),
    "tandem_uuid_text": (1, lambda value: None if value is None else str(uuid.UUID(value))),
    "tandem_datetime_text": (1, lambda value: None if value is None else _key_text_of_datetime(value)),
    "tandem_email_key": (1, lambda value: None if value is None else value.strip().lower()),
    "tandem_fit_key": (2, lambda kind, key: None if key is None else _fit_key(kind, key)),
    "tandem_morning_of": (
        2,
        lambda day, time_zone: sqlite_datetime(morning_of(date.fromisoformat(day), time_zone)),
    ),
}


def _fit_key(kind, key):
    return f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}" if len(key) > 255 else key


def sqlite_function(name, arguments):
    """Register a Python function SQLite runs as `name` (a kind's expression SQLite has no SQL for)."""

    def register(function):
        SQLITE_FUNCTIONS[name] = (arguments, function)
        return function

    return register


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    for name, (arguments, function) in SQLITE_FUNCTIONS.items():
        connection.connection.create_function(name, arguments, function, deterministic=name != "tandem_uuid4")


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


def coordinator_memberships(partner_ids, kind):
    """The memberships of the active coordinators of `partner_ids` (a list or a subquery) who have not
    switched `kind` off."""
    return Membership.objects.filter(role=COORDINATOR, partner__in=partner_ids, user__is_active=True).exclude(
        switched_off(kind, "user_id")
    )


def to_licensor_admins(queryset, kind, **columns):
    """`queryset` as rows() to each licensor admin, licensor-wide (no partner): one part of the INSERT per admin,
    who are a handful, read in one query."""
    return [rows(queryset, kind, partner=None, user=Value(user_id), **columns) for user_id in licensor_admins(kind)]


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
