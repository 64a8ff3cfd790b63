"""Incident reminders: critical ones at once, reviews due and overdue, actions due — and never their story."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reminders.kinds.incidents import (
    plan_incident_action_due,
    plan_incident_critical,
    plan_incident_review_due,
    plan_incident_review_overdue,
)
from reminders.models import Kind, Reminder
from supervision.incidents.signals import incident_reported
from supervision.models import BoundaryIncident, IncidentAction
from tests.reminders.helpers import html, rows, send, to
from tests.supervision.factories import BoundaryIncidentFactory, IncidentActionFactory, PersonFactory

pytestmark = pytest.mark.django_db

STORY = "Texted the mentee from a personal phone"


def _report(incident):
    incident_reported.send(
        sender=BoundaryIncident,
        incident_id=incident.pk,
        partner_id=incident.partner_id,
        severity=incident.severity,
        review_due_at=incident.review_due_at,
    )


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr("reminders.services.publish_sweep", lambda: calls.append(True) or True)
    return calls


def test_a_critical_incident_is_notified_at_once_to_coordinators_and_licensor_without_its_story(
    partner, coordinator, licensor, published
):
    incident = BoundaryIncidentFactory(
        partner=partner, critical=True, review_due_at=timezone.now() + timedelta(hours=24)
    )

    _report(incident)

    assert {(r.recipient_user_id, r.partner_id) for r in rows(Kind.INCIDENT_CRITICAL)} == {
        (coordinator.pk, partner.pk),
        (licensor.pk, None),
    }
    assert published == [True]
    sent = send()
    coordinators = to(sent, "coord@example.org")
    licensors = to(sent, "licensor@example.org")
    assert coordinators.subject == f"Critical boundary incident reported at {partner.name}"
    assert f"/api/v1/incidents/{incident.pk}/" in coordinators.body
    assert f"/api/v1/incidents/{incident.pk}/" not in licensors.body
    assert "stay with the partner unless it is escalated" in licensors.body
    for message in sent:
        assert STORY not in message.body and STORY not in html(message)
        assert incident.mentor.name not in message.body


def test_an_incident_that_is_not_critical_is_not_notified_at_once(partner, coordinator, published):
    _report(BoundaryIncidentFactory(partner=partner))
    assert not rows(Kind.INCIDENT_CRITICAL) and not published


def test_the_sweep_notifies_a_critical_incident_the_receiver_missed_and_only_once(partner, coordinator, published):
    incident = BoundaryIncidentFactory(partner=partner, critical=True)
    assert plan_incident_critical(timezone.now()) == 1
    _report(incident)
    assert len(rows(Kind.INCIDENT_CRITICAL)) == 1


def test_a_review_is_reminded_a_day_before_its_deadline_and_again_when_it_is_missed(partner, coordinator):
    deadline = timezone.now() + timedelta(hours=168)
    incident = BoundaryIncidentFactory(partner=partner, review_due_at=deadline)

    assert plan_incident_review_due(timezone.now()) == 1
    assert rows(Kind.INCIDENT_REVIEW_DUE)[0].due_at == deadline - timedelta(hours=24)
    assert plan_incident_review_overdue(timezone.now()) == 0  # planned in the last day before the deadline
    assert send() == []

    (due,) = send(now=deadline - timedelta(hours=24))
    assert due.subject.startswith("Incident review due by ")
    assert plan_incident_review_overdue(deadline - timedelta(hours=12)) == 1
    (overdue,) = send(now=deadline)
    assert overdue.subject == f"Incident review overdue at {partner.name}"
    for message in (due, overdue):
        assert message.to == ["coord@example.org"]
        assert STORY not in message.body
    assert incident.pk == rows(Kind.INCIDENT_REVIEW_OVERDUE)[0].subject_id


def test_a_short_review_window_is_reminded_half_way(partner, coordinator):
    incident = BoundaryIncidentFactory(partner=partner, review_due_at=timezone.now() + timedelta(hours=10))
    plan_incident_review_due(timezone.now())
    window = incident.review_due_at - incident.created_at
    assert rows(Kind.INCIDENT_REVIEW_DUE)[0].due_at == incident.review_due_at - window / 2


def test_a_review_started_in_time_stops_its_reminders(partner, coordinator):
    deadline = timezone.now() + timedelta(hours=20)
    incident = BoundaryIncidentFactory(partner=partner, review_due_at=deadline)
    plan_incident_review_due(timezone.now())
    plan_incident_review_overdue(timezone.now())
    BoundaryIncident.objects.filter(pk=incident.pk).update(status="under_review", reviewed_at=timezone.now())
    assert send(now=deadline) == []
    assert {r.status for r in Reminder.objects.all()} == {Reminder.Status.CANCELLED}


def test_an_escalated_incident_tells_the_licensor_its_review_is_theirs(partner, licensor, coordinator):
    BoundaryIncidentFactory(partner=partner, escalated=True)
    assert plan_incident_review_due(timezone.now()) == 1
    (message,) = send()
    assert message.to == ["licensor@example.org"]
    assert message.subject == f"An incident at {partner.name} was escalated to you"
    assert "its review is now yours" in message.body


def _when_due(kind):
    """The moment the dispatcher first sends the planned reminder: the morning of the due date, or now when
    planned later in the day (a fixed offset from now would cross midnight in an afternoon run)."""
    (reminder,) = rows(kind)
    return max(reminder.due_at, timezone.now())


def test_an_action_due_today_is_reminded_to_its_owner(partner):
    owner = PersonFactory(partner=partner, active_mentor=True, email="owner@example.org")
    action = IncidentActionFactory(partner=partner, owner=owner, due_on=timezone.localdate())
    IncidentActionFactory(partner=partner)  # due in a fortnight

    assert plan_incident_action_due(timezone.now()) == 1
    (message,) = send(now=_when_due(Kind.INCIDENT_ACTION_DUE))
    assert message.to == ["owner@example.org"]
    assert message.subject == "An incident action you own is due today"
    assert action.description not in message.body
    assert f"/api/v1/incident-actions/{action.pk}/" in message.body


def test_an_action_done_before_its_reminder_goes_is_not_reminded(partner):
    action = IncidentActionFactory(partner=partner, due_on=timezone.localdate())
    plan_incident_action_due(timezone.now())
    IncidentAction.objects.filter(pk=action.pk).update(done_at=timezone.now())
    assert send(now=_when_due(Kind.INCIDENT_ACTION_DUE)) == []
    assert Reminder.objects.get(kind=Kind.INCIDENT_ACTION_DUE).status == Reminder.Status.CANCELLED


def test_a_review_already_past_its_deadline_is_reminded_as_overdue_only(partner, coordinator):
    BoundaryIncidentFactory(partner=partner, review_due_at=timezone.now() - timedelta(hours=1))
    assert plan_incident_review_due(timezone.now()) == 0
    assert plan_incident_review_overdue(timezone.now()) == 1
    (message,) = send()
    assert message.subject == f"Incident review overdue at {partner.name}"
