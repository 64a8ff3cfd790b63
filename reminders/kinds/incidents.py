"""Boundary incidents: critical ones notified at once, reviews due and overdue, agreed actions due.

Safeguarding first, privacy always: these kinds cannot be switched off
(reminders.models.ESSENTIAL_KINDS), and no message carries an incident's
description, the people involved or an action's text — only what kind of
incident, when, and where in Tandem to read it (where the reader's access is
checked and logged). The licensor is told that a critical incident happened,
never what happened, until it is escalated.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import DateTimeField, Func, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from reminders.messages import content, local, site_link
from reminders.models import Kind
from reminders.planner import (
    CATCH_UP,
    KeyText,
    MorningOf,
    insert,
    parse_datetime_text,
    planner,
    reachable,
    rows,
    sqlite_datetime,
    sqlite_function,
    subject_type,
    to_licensor_admins,
    with_coordinators,
)
from supervision.models import BoundaryIncident, IncidentAction

logger = logging.getLogger(__name__)

CRITICAL = Kind.INCIDENT_CRITICAL
REVIEW_DUE, REVIEW_OVERDUE = Kind.INCIDENT_REVIEW_DUE, Kind.INCIDENT_REVIEW_OVERDUE
ACTION_DUE = Kind.INCIDENT_ACTION_DUE
# A review is reminded this long before its deadline, or half-way for a shorter window.
REVIEW_NOTICE = timedelta(hours=24)


# --- critical: at once -------------------------------------------------------------


def _critical_rows(incidents, now):
    columns = dict(subject="pk", due_at=Value(now), key=("pk",))
    return (
        rows(
            with_coordinators(incidents, CRITICAL),
            CRITICAL,
            partner="partner_id",
            user="coordinator_id",
            distinct=True,
            **columns,
        ),
        *to_licensor_admins(incidents, CRITICAL, **columns),
    )


@planner(CRITICAL)
def plan_incident_critical(now):
    """Critical incidents reported in the last week: to the partner's coordinators and the licensor admins.
    The `incident_reported` receiver plans the same rows the moment one is reported; this sweep is the
    safety net for a receiver that failed."""
    critical = BoundaryIncident.objects.filter(
        severity=BoundaryIncident.Severity.CRITICAL, created_at__gte=now - CATCH_UP
    )
    return insert(CRITICAL, *_critical_rows(critical, now), subject_type=subject_type(BoundaryIncident))


def notify_critical_incident(sender, *, incident_id, severity, **kwargs):
    """Receiver of supervision.incidents.signals.incident_reported (sent after the report committed): plan the
    critical notifications now and ask a worker to send them now."""
    if severity != BoundaryIncident.Severity.CRITICAL:
        return
    from reminders.services import publish_sweep

    now = timezone.now()
    with transaction.atomic():
        inserted = insert(
            CRITICAL,
            *_critical_rows(BoundaryIncident.objects.filter(pk=incident_id), now),
            subject_type=subject_type(BoundaryIncident),
        )
    if inserted:
        publish_sweep()


# --- reviews ---------------------------------------------------------------------------


def _review_notice_at(created_at, review_due_at):
    return review_due_at - min(REVIEW_NOTICE, (review_due_at - created_at) / 2)


@sqlite_function("tandem_review_notice_at", 2)
def _sqlite_review_notice_at(created_at, review_due_at):
    return sqlite_datetime(_review_notice_at(parse_datetime_text(created_at), parse_datetime_text(review_due_at)))


class ReviewNoticeAt(Func):
    """_review_notice_at() of the incident's created_at and review_due_at, in SQL."""

    function = "tandem_review_notice_at"
    output_field = DateTimeField()

    def as_postgresql(self, compiler, connection, **extra_context):
        (created, created_params), (due, due_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        notice = f"INTERVAL '{int(REVIEW_NOTICE.total_seconds())} seconds'"
        return f"({due} - LEAST({notice}, ({due} - {created}) / 2))", [*due_params, *due_params, *created_params]


@planner(REVIEW_DUE)
def plan_incident_review_due(now):
    """Incidents awaiting review: each coordinator is reminded a day before the deadline (half-way through
    a shorter window). Escalated incidents: the licensor admins are told at once that the review is theirs."""
    # A deadline already passed is the overdue reminder's.
    awaiting = BoundaryIncident.objects.awaiting_review().filter(review_due_at__gt=now)
    escalated = BoundaryIncident.objects.filter(
        status=BoundaryIncident.Status.ESCALATED, escalated_at__gte=now - CATCH_UP
    )
    return insert(
        REVIEW_DUE,
        rows(
            with_coordinators(awaiting, REVIEW_DUE),
            REVIEW_DUE,
            subject="pk",
            partner="partner_id",
            user="coordinator_id",
            due_at=Greatest(ReviewNoticeAt("created_at", "review_due_at"), Value(now)),
            key=("pk", "review_due_at"),
            details={"review_due_at": KeyText("review_due_at")},
            distinct=True,
        ),
        *to_licensor_admins(
            escalated,
            REVIEW_DUE,
            subject="pk",
            due_at=Value(now),
            key=("pk", Value("escalated"), "escalated_at"),
            details={"escalated_at": KeyText("escalated_at")},
        ),
        subject_type=subject_type(BoundaryIncident),
    )


@planner(REVIEW_OVERDUE)
def plan_incident_review_overdue(now):
    """Incidents still awaiting review at their deadline: to each coordinator, due at the deadline."""
    awaiting = BoundaryIncident.objects.awaiting_review().filter(
        review_due_at__gte=now - CATCH_UP, review_due_at__lte=now + timedelta(days=1)
    )
    return insert(
        REVIEW_OVERDUE,
        rows(
            with_coordinators(awaiting, REVIEW_OVERDUE),
            REVIEW_OVERDUE,
            subject="pk",
            partner="partner_id",
            user="coordinator_id",
            due_at=Greatest("review_due_at", Value(now)),
            key=("pk", "review_due_at"),
            details={"review_due_at": KeyText("review_due_at")},
            distinct=True,
        ),
        subject_type=subject_type(BoundaryIncident),
    )


# --- actions -------------------------------------------------------------------------


@planner(ACTION_DUE)
def plan_incident_action_due(now):
    """Open incident actions due today or tomorrow (or lately): to the action's owner, on the morning of the
    due date where the partner is."""
    today = timezone.localdate(now)
    open_actions = IncidentAction.objects.filter(
        done_at__isnull=True,
        dropped_at__isnull=True,
        owner__isnull=False,
        due_on__gte=today - CATCH_UP,
        due_on__lte=today + timedelta(days=1),
    )
    return insert(
        ACTION_DUE,
        rows(
            reachable(open_actions, ACTION_DUE, "owner"),
            ACTION_DUE,
            subject="pk",
            partner="partner_id",
            user="owner__user_id",
            email="owner__email",
            due_at=Greatest(MorningOf("due_on", "partner__time_zone"), Value(now)),
            key=("pk", "due_on"),
            details={"due_on": KeyText("due_on")},
        ),
        subject_type=subject_type(IncidentAction),
    )


# --- what they say ------------------------------------------------------------------


def _incidents(ids):
    return BoundaryIncident.objects.select_related("partner").in_bulk(ids)


def _incident_context(incident, title, **extra):
    return {
        "title": title,
        "incident": incident,
        "severity": incident.get_severity_display().lower(),
        "category": incident.get_category_display().lower(),
        "reported": local(incident.created_at, incident.partner.time_zone),
        "review_due": local(incident.review_due_at, incident.partner.time_zone),
        "link": site_link(f"/api/v1/incidents/{incident.pk}/"),
        **extra,
    }


@content(CRITICAL, load=_incidents)
def incident_critical(reminder, incident, now):
    return _incident_context(
        incident,
        f"Critical boundary incident reported at {incident.partner.name}",
        to_licensor=reminder.partner_id is None,
    )


def _same_deadline(incident, reminder):
    return incident.review_due_at.isoformat() == reminder.details.get("review_due_at")


@content(REVIEW_DUE, load=_incidents)
def incident_review_due(reminder, incident, now):
    if reminder.partner_id is None:  # the licensor's: escalated to it
        if incident.status != BoundaryIncident.Status.ESCALATED:
            return None
        return _incident_context(
            incident, f"An incident at {incident.partner.name} was escalated to you", escalated=True
        )
    if (
        incident.status != BoundaryIncident.Status.REPORTED
        or incident.reviewed_at
        or not _same_deadline(incident, reminder)
        or incident.review_due_at <= now  # missed: the overdue reminder says so
    ):
        return None
    return _incident_context(
        incident, f"Incident review due by {local(incident.review_due_at, incident.partner.time_zone):%a %-d %b %H:%M}"
    )


@content(REVIEW_OVERDUE, load=_incidents)
def incident_review_overdue(reminder, incident, now):
    if (
        incident.status != BoundaryIncident.Status.REPORTED
        or incident.reviewed_at
        or not _same_deadline(incident, reminder)
    ):
        return None
    return _incident_context(incident, f"Incident review overdue at {incident.partner.name}")


def _actions(ids):
    return IncidentAction.objects.select_related("partner").in_bulk(ids)


@content(ACTION_DUE, load=_actions)
def incident_action_due(reminder, action, now):
    if action.done_at or action.dropped_at or action.due_on.isoformat() != reminder.details.get("due_on"):
        return None
    today = timezone.localdate(now)
    return {
        "title": "An incident action you own is due today"
        if action.due_on == today
        else f"An incident action you own is due on {action.due_on:%-d %B}",
        "action": action,
        "due_on": action.due_on,
        "overdue": action.due_on < today,
        "link": site_link(f"/api/v1/incident-actions/{action.pk}/"),
    }
