"""The reminder planner as it was before it planned in SQL: every kind's rows built in Python.

Kept, frozen, as the reference the set-based planner is compared with
(tests/reminders/test_planned_rows.py): for the same world and the same `now`,
both must produce the same rows, column by column, and the same dedupe keys,
so that rows planned before the change dedupe against rows planned after it.
Each function returns the unsaved Reminder rows its kind planned; none writes.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, DurationField, Exists, ExpressionWrapper, F, OuterRef, Value
from django.utils import timezone

from franchise.models import Licence, Partner, PolicyAcknowledgement, PolicyVersion
from franchise.querysets import policy_value
from reminders.kinds.incidents import _review_notice_at
from reminders.kinds.sessions import LONGEST_LEAD
from reminders.models import Kind, Reminder
from reminders.planner import (
    CATCH_UP,
    PLAN_AHEAD,
    coordinator_memberships,
    dedupe_key,
    expiry_thresholds,
    licensor_admins,
    morning_of,
    reachable,
    subject_type,
    threshold_expression,
    with_coordinators,
)
from supervision.models import (
    BoundaryIncident,
    IncidentAction,
    MentorStatus,
    Person,
    SessionAttendance,
    SupervisionSession,
)
from supervision.sessions.compliance import State, supervision_compliance
from training.models import Certificate, TrainerAccreditation


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


def coordinators_of(partner_ids, kind):
    return list(coordinator_memberships(partner_ids, kind).values_list("partner_id", "user_id").distinct())


def licence_expiring(now):
    kind = Kind.LICENCE_EXPIRING
    thresholds = expiry_thresholds()
    if not thresholds:
        return []
    today = timezone.localdate(now)
    expiring = Licence.objects.expiring_within(thresholds[-1], today=today).annotate(
        threshold=threshold_expression("ends_on", today, thresholds)
    )

    def row(item, partner_id, user_id):
        return reminder_row(
            kind,
            subject_type=subject_type(Licence),
            subject_id=item["pk"],
            partner_id=partner_id,
            due_at=now,
            key=(item["pk"], item["ends_on"].isoformat(), item["threshold"]),
            user_id=user_id,
            details={"days": item["threshold"], "ends_on": item["ends_on"].isoformat()},
        )

    rows = [
        row(item, item["partner_id"], item["coordinator_id"])
        for item in with_coordinators(expiring, kind)
        .values("pk", "partner_id", "ends_on", "threshold", "coordinator_id")
        .distinct()
    ]
    admins = licensor_admins(kind)
    if admins:
        for item in expiring.values("pk", "ends_on", "threshold"):
            rows.extend(row(item, None, user_id) for user_id in admins)
    return rows


def accreditation_expiring(now):
    kind = Kind.ACCREDITATION_EXPIRING
    thresholds = expiry_thresholds()
    if not thresholds:
        return []
    today = timezone.localdate(now)
    expiring = TrainerAccreditation.objects.expiring_within(thresholds[-1], today=today).annotate(
        threshold=threshold_expression("expires_on", today, thresholds)
    )

    def row(item, partner_id, user_id=None, email=""):
        return reminder_row(
            kind,
            subject_type=subject_type(TrainerAccreditation),
            subject_id=item["pk"],
            partner_id=partner_id,
            due_at=now,
            key=(item["pk"], item["expires_on"].isoformat(), item["threshold"]),
            user_id=user_id,
            email=email,
            details={"days": item["threshold"], "expires_on": item["expires_on"].isoformat()},
        )

    rows = [
        row(item, item["partner_id"], item["person__user_id"], item["person__email"])
        for item in reachable(expiring, kind, "person").values(
            "pk", "partner_id", "expires_on", "threshold", "person__user_id", "person__email"
        )
    ]
    admins = licensor_admins(kind)
    if admins:
        for item in expiring.values("pk", "expires_on", "threshold"):
            rows.extend(row(item, None, user_id) for user_id in admins)
    return rows


def certificate_issued(now):
    kind = Kind.CERTIFICATE_ISSUED
    issued = Certificate.objects.filter(status=Certificate.Status.VALID, created_at__gte=now - CATCH_UP)
    return [
        reminder_row(
            kind,
            subject_type=subject_type(Certificate),
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=now,
            key=(item["pk"],),
            user_id=item["enrolment__learner__user_id"],
            email=item["enrolment__learner__email"],
        )
        for item in reachable(issued, kind, "enrolment__learner").values(
            "pk", "partner_id", "enrolment__learner__user_id", "enrolment__learner__email"
        )
    ]


def supervision_overdue(now):
    kind = Kind.SUPERVISION_OVERDUE
    today = timezone.localdate(now)
    person_type = subject_type(Person)
    reminded = Reminder.objects.filter(
        kind=kind, subject_type=person_type, subject_id=OuterRef("pk"), created_at__date__gte=OuterRef("next_due_on")
    )
    overdue = (
        supervision_compliance(now=now, today=today)
        .filter(state=State.OVERDUE, next_due_on__gte=today - timedelta(days=CATCH_UP.days))
        .exclude(Exists(reminded))
    )
    return [
        reminder_row(
            kind,
            subject_type=person_type,
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=now,
            key=(item["pk"], item["next_due_on"].isoformat()),
            user_id=item["user_id"],
            email=item["email"],
            details={"next_due_on": item["next_due_on"].isoformat()},
        )
        for item in reachable(overdue, kind).values("pk", "partner_id", "user_id", "email", "next_due_on")
    ]


def supervision_overdue_digest(now):
    kind = Kind.SUPERVISION_OVERDUE_DIGEST
    today = timezone.localdate(now)
    overdue_partners = supervision_compliance(now=now, today=today).filter(state=State.OVERDUE).values("partner_id")
    return [
        reminder_row(
            kind,
            subject_type=subject_type(Partner),
            subject_id=partner_id,
            partner_id=partner_id,
            due_at=max(morning_of(today, settings.TIME_ZONE), now),
            key=(partner_id, today.isoformat()),
            user_id=user_id,
            details={"day": today.isoformat()},
        )
        for partner_id, user_id in coordinators_of(overdue_partners, kind)
    ]


def _critical_rows(incidents, now):
    kind = Kind.INCIDENT_CRITICAL

    def row(pk, partner_id, user_id):
        return reminder_row(
            kind,
            subject_type=subject_type(BoundaryIncident),
            subject_id=pk,
            partner_id=partner_id,
            due_at=now,
            key=(pk,),
            user_id=user_id,
        )

    rows = [
        row(item["pk"], item["partner_id"], item["coordinator_id"])
        for item in with_coordinators(incidents, kind).values("pk", "partner_id", "coordinator_id").distinct()
    ]
    admins = licensor_admins(kind)
    if admins:
        for pk in incidents.values_list("pk", flat=True):
            rows.extend(row(pk, None, user_id) for user_id in admins)
    return rows


def incident_critical(now):
    critical = BoundaryIncident.objects.filter(
        severity=BoundaryIncident.Severity.CRITICAL, created_at__gte=now - CATCH_UP
    )
    return _critical_rows(critical, now)


def incident_review_due(now):
    kind = Kind.INCIDENT_REVIEW_DUE
    incident_type = subject_type(BoundaryIncident)
    awaiting = BoundaryIncident.objects.awaiting_review().filter(review_due_at__gt=now)
    rows = [
        reminder_row(
            kind,
            subject_type=incident_type,
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=max(_review_notice_at(item["created_at"], item["review_due_at"]), now),
            key=(item["pk"], item["review_due_at"].isoformat()),
            user_id=item["coordinator_id"],
            details={"review_due_at": item["review_due_at"].isoformat()},
        )
        for item in with_coordinators(awaiting, kind)
        .values("pk", "partner_id", "created_at", "review_due_at", "coordinator_id")
        .distinct()
    ]
    escalated = BoundaryIncident.objects.filter(
        status=BoundaryIncident.Status.ESCALATED, escalated_at__gte=now - CATCH_UP
    ).values("pk", "escalated_at", "review_due_at")
    admins = licensor_admins(kind)
    for item in escalated if admins else ():
        rows.extend(
            reminder_row(
                kind,
                subject_type=incident_type,
                subject_id=item["pk"],
                partner_id=None,
                due_at=now,
                key=(item["pk"], "escalated", item["escalated_at"].isoformat()),
                user_id=user_id,
                details={"escalated_at": item["escalated_at"].isoformat()},
            )
            for user_id in admins
        )
    return rows


def incident_review_overdue(now):
    kind = Kind.INCIDENT_REVIEW_OVERDUE
    awaiting = BoundaryIncident.objects.awaiting_review().filter(
        review_due_at__gte=now - CATCH_UP, review_due_at__lte=now + timedelta(days=1)
    )
    return [
        reminder_row(
            kind,
            subject_type=subject_type(BoundaryIncident),
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=max(item["review_due_at"], now),
            key=(item["pk"], item["review_due_at"].isoformat()),
            user_id=item["coordinator_id"],
            details={"review_due_at": item["review_due_at"].isoformat()},
        )
        for item in with_coordinators(awaiting, kind)
        .values("pk", "partner_id", "review_due_at", "coordinator_id")
        .distinct()
    ]


def incident_action_due(now):
    kind = Kind.INCIDENT_ACTION_DUE
    today = timezone.localdate(now)
    open_actions = IncidentAction.objects.filter(
        done_at__isnull=True,
        dropped_at__isnull=True,
        owner__isnull=False,
        due_on__gte=today - CATCH_UP,
        due_on__lte=today + timedelta(days=1),
    )
    return [
        reminder_row(
            kind,
            subject_type=subject_type(IncidentAction),
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=max(morning_of(item["due_on"], item["partner__time_zone"]), now),
            key=(item["pk"], item["due_on"].isoformat()),
            user_id=item["owner__user_id"],
            email=item["owner__email"],
            details={"due_on": item["due_on"].isoformat()},
        )
        for item in reachable(open_actions, kind, "owner").values(
            "pk", "partner_id", "partner__time_zone", "due_on", "owner__user_id", "owner__email"
        )
    ]


def pause_review(now):
    kind = Kind.PAUSE_REVIEW
    today = timezone.localdate(now)
    paused = Person.objects.filter(
        mentor_status=MentorStatus.PAUSED,
        pause_review_on__gte=today - CATCH_UP,
        pause_review_on__lte=today + timedelta(days=1),
    )
    return [
        reminder_row(
            kind,
            subject_type=subject_type(Person),
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=max(morning_of(item["pause_review_on"], item["partner__time_zone"]), now),
            key=(item["pk"], item["pause_review_on"].isoformat()),
            user_id=item["coordinator_id"],
            details={"review_on": item["pause_review_on"].isoformat()},
        )
        for item in with_coordinators(paused, kind)
        .values("pk", "partner_id", "partner__time_zone", "pause_review_on", "coordinator_id")
        .distinct()
    ]


_RECIPIENT = ("person__partner_id", "person__user_id", "person__email")


def _invitees(kind, sessions):
    rows = SessionAttendance.objects.filter(session__in=sessions).exclude(
        attendance=SessionAttendance.Attendance.APOLOGIES
    )
    return reachable(rows, kind, "person")


def _session_row(kind, item, *, due_at, key, details=None):
    return reminder_row(
        kind,
        subject_type=subject_type(SupervisionSession),
        subject_id=item["session_id"],
        partner_id=item["person__partner_id"],
        due_at=due_at,
        key=key,
        user_id=item["person__user_id"],
        email=item["person__email"],
        details=details,
    )


def session_upcoming(now):
    kind = Kind.SESSION_UPCOMING
    scheduled = SupervisionSession.objects.filter(
        status=SupervisionSession.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + PLAN_AHEAD + LONGEST_LEAD,
    )
    lead = ExpressionWrapper(F("lead_hours") * Value(timedelta(hours=1)), output_field=DurationField())
    invitees = (
        _invitees(kind, scheduled)
        .annotate(lead_hours=policy_value("session_reminder_hours", at=now))
        .annotate(remind_at=ExpressionWrapper(F("session__starts_at") - lead, output_field=DateTimeField()))
        .filter(remind_at__lte=now + PLAN_AHEAD)
    )
    return [
        _session_row(
            kind,
            item,
            due_at=max(item["remind_at"], now),
            key=(item["session_id"], item["session__starts_at"].isoformat()),
            details={"starts_at": item["session__starts_at"].isoformat()},
        )
        for item in invitees.values("session_id", "session__starts_at", "remind_at", *_RECIPIENT)
    ]


def session_moved(now):
    kind = Kind.SESSION_MOVED
    changed = SupervisionSession.objects.filter(
        status=SupervisionSession.Status.SCHEDULED,
        sequence__gt=0,
        starts_at__gt=now,
        updated_at__gte=now - CATCH_UP,
    )
    return [
        _session_row(
            kind,
            item,
            due_at=now,
            key=(item["session_id"], item["session__sequence"]),
            details={"sequence": item["session__sequence"], "starts_at": item["session__starts_at"].isoformat()},
        )
        for item in _invitees(kind, changed).values(
            "session_id", "session__sequence", "session__starts_at", *_RECIPIENT
        )
    ]


def session_cancelled(now):
    kind = Kind.SESSION_CANCELLED
    cancelled = SupervisionSession.objects.filter(
        status=SupervisionSession.Status.CANCELLED, starts_at__gt=now, cancelled_at__gte=now - CATCH_UP
    )
    return [
        _session_row(kind, item, due_at=now, key=(item["session_id"],))
        for item in _invitees(kind, cancelled).values("session_id", *_RECIPIENT)
    ]


def policy_acknowledgement(now):
    kind = Kind.POLICY_ACKNOWLEDGEMENT
    version_in_force = PolicyVersion.objects.in_force_subquery(OuterRef("partner"), at=now)
    recent = PolicyVersion.objects.filter(pk=OuterRef("version_id"), effective_from__gte=now - CATCH_UP)
    acknowledged = PolicyAcknowledgement.objects.filter(person=OuterRef("pk"), policy_version=OuterRef("version_id"))
    due = (
        Person.objects.expected_to_acknowledge_policy()
        .annotate(version_id=version_in_force)
        .filter(Exists(recent))
        .exclude(Exists(acknowledged))
    )
    return [
        reminder_row(
            kind,
            subject_type=subject_type(Person),
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=now,
            key=(item["version_id"],),
            user_id=item["user_id"],
            email=item["email"],
            details={"version": str(item["version_id"])},
        )
        for item in reachable(due, kind).values("pk", "partner_id", "user_id", "email", "version_id")
    ]


PLANNERS = {
    Kind.LICENCE_EXPIRING: licence_expiring,
    Kind.ACCREDITATION_EXPIRING: accreditation_expiring,
    Kind.CERTIFICATE_ISSUED: certificate_issued,
    Kind.SUPERVISION_OVERDUE: supervision_overdue,
    Kind.SUPERVISION_OVERDUE_DIGEST: supervision_overdue_digest,
    Kind.INCIDENT_CRITICAL: incident_critical,
    Kind.INCIDENT_REVIEW_DUE: incident_review_due,
    Kind.INCIDENT_REVIEW_OVERDUE: incident_review_overdue,
    Kind.INCIDENT_ACTION_DUE: incident_action_due,
    Kind.PAUSE_REVIEW: pause_review,
    Kind.SESSION_UPCOMING: session_upcoming,
    Kind.SESSION_MOVED: session_moved,
    Kind.SESSION_CANCELLED: session_cancelled,
    Kind.POLICY_ACKNOWLEDGEMENT: policy_acknowledgement,
}
