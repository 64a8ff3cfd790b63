"""Boundary incidents: the use cases that write (report, review, escalate, close, anonymise) and their rules.

Every function that changes an incident writes an IncidentAccess row in the
same transaction; those that change an existing one lock its row first, so
that two writers (closing while someone adds an action, say) are serialised.
"""

from datetime import timedelta
from functools import partial

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from core.errors import Invalid, NotPermitted, RuleNotMet, check_transition
from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR, TRAINER, access_for, require_role
from franchise import two_factor
from franchise.models import BoundaryRule
from franchise.policy import effective_policy
from supervision.incidents import signals
from supervision.incidents.rules import closing_unmet, may_read_agenda, readable_agenda
from supervision.models import (
    BoundaryIncident,
    IncidentAccess,
    IncidentAction,
    IncidentDiscussion,
    IncidentTransition,
)

Status = BoundaryIncident.Status
AccessAction = IncidentAccess.Action

# Anyone who works with the partner may report a concern; reporting is never gated on seniority.
REPORTER_ROLES = (COORDINATOR, TRAINER, SUPERVISOR, MENTOR)
UPDATABLE_FIELDS = ("category", "severity", "immediate_action")
ACTION_FIELDS = ("owner", "description", "due_on", "session")


# --- the access log -------------------------------------------------------------------


def log_access(incident, user, action, detail=""):
    return IncidentAccess.objects.create(
        partner_id=incident.partner_id, incident=incident, user=user, action=action, detail=detail[:200]
    )


def record_read(*, incident, by):
    """A read of the incident's detail (its description): logged every time it is allowed.

    Where the partner's policy asks for two-factor sign-in (or, for the licensor, its setting does), a
    reader without a confirmed device is refused before anything is logged: they have read nothing.
    """
    two_factor.require_for_confidential_reads(by, incident.partner_id)
    return log_access(incident, by, AccessAction.READ)


def require_log_reader(by, incident):
    """The access log is read by the partner's coordinators and the licensor (who sees escalated incidents
    only: the caller has already found the incident visible)."""
    access = access_for(by)
    if not (access.is_licensor or access.has_role(incident.partner_id, (COORDINATOR,))):
        raise NotPermitted("Only the partner's coordinators and the licensing organisation read the access log.")


def agenda_for(*, by, session):
    """The incidents on `session`'s agenda, for its supervisor and the partner's coordinators only."""
    if not may_read_agenda(session, by):
        raise NotPermitted("Only the session's supervisor and the partner's coordinators see its incident agenda.")
    return readable_agenda(session, by)


# --- reporting ------------------------------------------------------------------------


def _required_text(value, field, what):
    value = (value or "").strip()
    if not value:
        raise Invalid(f"{what} is required.", field=field, code=f"{field}_required")
    return value


@transaction.atomic
def report_incident(
    *,
    by,
    mentor,
    rule,
    severity,
    occurred_at,
    description,
    immediate_action="",
    category=None,
    match=None,
    now=None,
):
    """Record a boundary incident about `mentor` in the mentor's partner.

    The rule must belong to the partner's effective policy when the incident
    occurred; that policy version is stored with the incident. The review is due
    within the hours the policy in force now sets for the severity, counted from
    the report. Once committed, `signals.incident_reported` is sent (critical
    incidents are notified at once by its receiver).
    """
    now = now or timezone.now()
    partner = mentor.partner
    require_role(
        by,
        partner,
        REPORTER_ROLES,
        licensor=False,
        message="Only people working with the partner report its incidents.",
    )
    if severity not in BoundaryIncident.Severity.values:
        raise Invalid(f"{severity!r} is not a severity.", field="severity", code="invalid_choice")
    if occurred_at > now:
        raise Invalid("An incident cannot have occurred in the future.", field="occurred_at", code="occurred_in_future")
    description = _required_text(description, "description", "A description")
    if match is not None:
        if match.partner_id != partner.pk or getattr(match, "mentor_id", mentor.pk) != mentor.pk:
            raise Invalid("This match is not one of this mentor's.", field="match", code="match_of_another_mentor")
    policy_then = effective_policy(partner, at=occurred_at)
    if rule.pk not in policy_then.rule_ids:
        raise Invalid(
            f"Rule {rule.code} was not part of {partner.name}'s policy on "
            f"{timezone.localtime(occurred_at).date().isoformat()}.",
            field="rule",
            code="rule_not_in_policy",
        )
    if category is not None and category not in BoundaryRule.Category.values:
        raise Invalid(f"{category!r} is not a category.", field="category", code="invalid_choice")
    policy_now = effective_policy(partner, at=now)
    incident = BoundaryIncident.objects.create(
        partner=partner,
        reporter=by,
        mentor=mentor,
        match=match,
        rule=rule,
        policy_version=policy_then.version,
        category=category or rule.category,
        severity=severity,
        occurred_at=occurred_at,
        description=description,
        immediate_action=(immediate_action or "").strip(),
        review_due_at=now + timedelta(hours=policy_now.review_hours(severity)),
    )
    log_access(incident, by, AccessAction.CREATE)
    transaction.on_commit(
        partial(
            signals.incident_reported.send,
            sender=BoundaryIncident,
            incident_id=incident.pk,
            partner_id=incident.partner_id,
            severity=incident.severity,
            review_due_at=incident.review_due_at,
        ),
        robust=True,
    )
    return incident


# --- who manages an incident ----------------------------------------------------------


def _require_manager(by, incident):
    """The partner's coordinators manage an incident; the licensor only while it is escalated to it."""
    access = access_for(by)
    if access.has_role(incident.partner_id, (COORDINATOR,)):
        return
    if access.is_licensor and incident.status == Status.ESCALATED:
        return
    if access.is_licensor:
        raise NotPermitted(
            "The licensing organisation acts on an incident only while it is escalated; "
            "the partner's coordinators handle it otherwise.",
            code="not_escalated",
        )
    raise NotPermitted("Only the partner's coordinators manage an incident.")


def _locked(incident):
    return BoundaryIncident.objects.select_for_update().get(pk=incident.pk)


# --- the workflow ---------------------------------------------------------------------


@transaction.atomic
def transition_incident(*, by, incident, to, note, now=None):
    """Move an incident along reported → under_review → action_agreed → closed, or to escalated.

    Refusals in order: a role that may not move it (403), a move the workflow
    does not allow (409 naming the allowed ones), a missing note (400), and for
    `closed` every unmet closing requirement at once (400). Each move is stored
    as an IncidentTransition (the incident's chronology).
    """
    now = now or timezone.now()
    incident = _locked(incident)
    _require_manager(by, incident)
    check_transition(BoundaryIncident.TRANSITIONS, incident.status, to)
    note = _required_text(note, "note", "A note saying why")
    if to == Status.CLOSED:
        unmet = closing_unmet(incident)
        if unmet:
            raise RuleNotMet(unmet, "The incident cannot be closed yet.")
    previous = incident.status
    incident.status = to
    changed = ["status", "updated_at"]
    if previous == Status.REPORTED and incident.reviewed_at is None:
        incident.reviewed_at = now
        changed.append("reviewed_at")
    if to == Status.ESCALATED and incident.escalated_at is None:
        incident.escalated_at = now
        changed.append("escalated_at")
    if to == Status.CLOSED:
        incident.closed_at = now
        changed.append("closed_at")
    incident.save(update_fields=changed)
    IncidentTransition.objects.create(
        partner_id=incident.partner_id, incident=incident, from_status=previous, to_status=to, at=now, by=by, note=note
    )
    log_access(incident, by, AccessAction.TRANSITION, f"{previous} → {to}")
    return incident


@transaction.atomic
def update_incident(*, by, incident, **changes):
    """A coordinator corrects the category, severity or immediate action of an open incident.

    The description stays as reported: corrections to the account go in a
    transition note. A new severity before the first review moves the review's
    due time to the new severity's hours, counted from the report.
    """
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise Invalid(f"These cannot be changed: {', '.join(sorted(unknown))}.", code="not_updatable")
    if "severity" in changes and changes["severity"] not in BoundaryIncident.Severity.values:
        raise Invalid(f"{changes['severity']!r} is not a severity.", field="severity", code="invalid_choice")
    if "category" in changes and changes["category"] not in BoundaryRule.Category.values:
        raise Invalid(f"{changes['category']!r} is not a category.", field="category", code="invalid_choice")
    incident = _locked(incident)
    require_role(by, incident.partner_id, (COORDINATOR,), licensor=False)
    if not incident.is_open:
        raise Invalid("A closed incident is not changed.", code="incident_closed")
    changed = [name for name, value in changes.items() if getattr(incident, name) != value]
    if not changed:
        return incident
    for name in changed:
        setattr(incident, name, changes[name])
    if "severity" in changed and incident.reviewed_at is None:
        hours = effective_policy(incident.partner_id).review_hours(incident.severity)
        incident.review_due_at = incident.created_at + timedelta(hours=hours)
        changed.append("review_due_at")
    incident.save(update_fields=[*changed, "updated_at"])
    log_access(incident, by, AccessAction.UPDATE, "changed " + ", ".join(n for n in changed if n != "review_due_at"))
    return incident


# --- actions --------------------------------------------------------------------------


def _check_action_links(incident, owner, session):
    if owner is not None and owner.partner_id != incident.partner_id:
        raise Invalid("The owner must be one of the partner's people.", field="owner", code="owner_of_another_partner")
    if session is not None and session.partner_id != incident.partner_id:
        raise Invalid("The session must be one of the partner's.", field="session", code="session_of_another_partner")


def _open_incident_for_actions(by, incident):
    incident = _locked(incident)
    _require_manager(by, incident)
    if not incident.is_open:
        raise Invalid("The incident is closed; its actions no longer change.", code="incident_closed")
    return incident


@transaction.atomic
def add_action(*, by, incident, description, due_on, owner=None, session=None):
    incident = _open_incident_for_actions(by, incident)
    _check_action_links(incident, owner, session)
    action = IncidentAction.objects.create(
        partner_id=incident.partner_id,
        incident=incident,
        owner=owner,
        description=_required_text(description, "description", "A description"),
        due_on=due_on,
        session=session,
        created_by=by,
    )
    log_access(incident, by, AccessAction.ACTION, f"action added, due {due_on.isoformat()}")
    return action


def _settle_target(by, action):
    incident = _open_incident_for_actions(by, action.incident)
    action = IncidentAction.objects.select_for_update().get(pk=action.pk)
    if action.is_settled:
        state = "done" if action.done_at else "dropped"
        raise Invalid(f"This action is already {state}.", code="action_settled")
    return incident, action


@transaction.atomic
def update_action(*, by, action, **changes):
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise Invalid(f"These cannot be changed: {', '.join(sorted(unknown))}.", code="not_updatable")
    incident, action = _settle_target(by, action)
    if "description" in changes:
        changes["description"] = _required_text(changes["description"], "description", "A description")
    _check_action_links(incident, changes.get("owner"), changes.get("session"))
    for name, value in changes.items():
        setattr(action, name, value)
    action.save()
    log_access(incident, by, AccessAction.ACTION, "action changed: " + ", ".join(sorted(changes)))
    return action


@transaction.atomic
def complete_action(*, by, action, now=None):
    incident, action = _settle_target(by, action)
    action.done_at = now or timezone.now()
    action.save(update_fields=["done_at", "updated_at"])
    log_access(incident, by, AccessAction.ACTION, "action done")
    return action


@transaction.atomic
def drop_action(*, by, action, note, now=None):
    """Drop an action that will not be done; the note saying why is what lets the incident close without it."""
    incident, action = _settle_target(by, action)
    action.drop_note = _required_text(note, "note", "A note saying why the action is dropped")
    action.dropped_at = now or timezone.now()
    action.save(update_fields=["drop_note", "dropped_at", "updated_at"])
    log_access(incident, by, AccessAction.ACTION, "action dropped")
    return action


# --- supervision ----------------------------------------------------------------------


@transaction.atomic
def record_discussion(*, by, session, incident, note, now=None):
    """Record that an incident on a session's agenda was discussed there, with the reflective note.

    `incident` is an incident or its id: a supervisor who may not read the
    incident itself (the partner's policy keeps incidents from supervisors)
    still reflects on it in the supervision they hold. Only incidents on the
    session's agenda qualify, so nothing else is disclosed or reachable.
    """
    now = now or timezone.now()
    if not may_read_agenda(session, by):
        raise NotPermitted("Only the session's supervisor or the partner's coordinators record what it discussed.")
    incident_id = getattr(incident, "pk", incident)
    incident = readable_agenda(session, by).filter(pk=incident_id).select_for_update().first()
    if incident is None:
        raise Invalid("This incident is not on the agenda of that session.", field="incident", code="not_on_agenda")
    if session.starts_at > now:
        raise Invalid(
            "A reflective note is recorded once the session has started.", field="session", code="session_not_held"
        )
    note = _required_text(note, "note", "A reflective note")
    if IncidentDiscussion.objects.filter(incident=incident, session=session).exists():
        raise Invalid(
            "A reflective note on this incident is already recorded for this session.",
            field="session",
            code="already_recorded",
        )
    discussion = IncidentDiscussion.objects.create(
        partner_id=incident.partner_id, incident=incident, session=session, note=note, recorded_by=by, recorded_at=now
    )
    log_access(incident, by, AccessAction.UPDATE, "reflective note recorded in supervision")
    return discussion


# --- retention ------------------------------------------------------------------------

ANONYMISED = "Anonymised on {date} under the retention policy."


def due_for_anonymisation(now=None):
    """Closed, not yet anonymised incidents closed longer ago than the retention period.

    The retention period is the licensor's (`incident_retention_years`), read
    from each partner's policy in force: one query per partner that has
    candidates, not per incident.
    """
    now = now or timezone.now()
    candidates = BoundaryIncident.objects.filter(status=Status.CLOSED, anonymised_at__isnull=True)
    ids = []
    for partner_id in candidates.order_by().values_list("partner_id", flat=True).distinct():
        years = effective_policy(partner_id, at=now).incident_retention_years
        cutoff = now - relativedelta(years=years)
        ids += candidates.filter(partner_id=partner_id, closed_at__lt=cutoff).values_list("pk", flat=True)
    return BoundaryIncident.objects.filter(pk__in=ids).select_related("partner").order_by("closed_at")


def anonymise_incidents(incident_ids, *, now=None):
    """Replace what identifies or describes people; keep the figures (partner, rule, category,
    severity, dates, status) so that the licensor's statistics do not change.

    Set-based, a fixed number of queries for any number of incidents; running it
    twice changes nothing the second time (anonymised incidents are skipped).
    """
    now = now or timezone.now()
    with transaction.atomic():
        incidents = BoundaryIncident.objects.filter(pk__in=list(incident_ids), anonymised_at__isnull=True)
        ids = list(incidents.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        text = ANONYMISED.format(date=timezone.localdate(now).isoformat())
        BoundaryIncident.objects.filter(pk__in=ids).update(
            description=text,
            immediate_action="",
            reporter=None,
            mentor=None,
            match=None,
            anonymised_at=now,
            updated_at=now,
        )
        IncidentTransition.objects.filter(incident__in=ids).update(note="", by=None, updated_at=now)
        IncidentAction.objects.filter(incident__in=ids).update(
            description=text, drop_note="", owner=None, session=None, created_by=None, updated_at=now
        )
        IncidentDiscussion.objects.filter(incident__in=ids).update(
            note=text, session=None, recorded_by=None, updated_at=now
        )
        # Who read an incident identifies people too (a reporter reading their own report).
        IncidentAccess.objects.filter(incident__in=ids).update(user=None)
        partners = dict(BoundaryIncident.objects.filter(pk__in=ids).values_list("pk", "partner_id"))
        IncidentAccess.objects.bulk_create(
            [
                IncidentAccess(
                    partner_id=partners[pk], incident_id=pk, user=None, at=now, action=AccessAction.ANONYMISE
                )
                for pk in ids
            ]
        )
    return len(ids)
