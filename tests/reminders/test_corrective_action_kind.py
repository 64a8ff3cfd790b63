"""Overdue corrective actions: to the action's owner (or, without one, the partner's coordinators) and the
licensor admins, exactly once; nothing goes once the evidence is in."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Role
from reminders import planner
from reminders.models import Kind, Reminder
from supervision.fidelity import services as fidelity
from tests.factories import user_with_role
from tests.reminders.helpers import rows, send, to
from tests.supervision.factories import CorrectiveActionFactory

pytestmark = pytest.mark.django_db

OVERDUE = Kind.CORRECTIVE_ACTION_OVERDUE


def _plan():
    return planner.plan(kinds={OVERDUE})[OVERDUE]


def test_an_action_without_owner_reminds_the_coordinators_and_the_licensor_once(partner, coordinator, licensor):
    action = CorrectiveActionFactory(partner=partner, overdue=True)
    CorrectiveActionFactory(partner=partner)  # not yet due
    CorrectiveActionFactory(partner=partner, overdue=True, status="submitted")  # evidence is in

    assert _plan() == 2
    assert _plan() == 0

    sent = send()
    assert len(sent) == 2
    subject = f"Corrective action {action.question.code} of {partner.name} is overdue"
    assert subject in to(sent, coordinator.email).subject
    assert "lowers the partner's score" in to(sent, licensor.email).body
    assert f"/api/v1/corrective-actions/{action.pk}/" in to(sent, coordinator.email).body
    # Nothing of what the auditor wrote leaves in an email.
    assert action.description not in to(sent, licensor.email).body
    assert send() == []


def test_an_owned_action_reminds_its_owner_instead_of_the_coordinators(partner, coordinator, licensor):
    owner = user_with_role(Role.SUPERVISOR, partner, email="owner@example.org")
    CorrectiveActionFactory(partner=partner, overdue=True, owner=owner)

    assert _plan() == 2
    assert {message.to[0] for message in send()} == {owner.email, licensor.email}


def test_an_owner_who_cannot_sign_in_leaves_it_to_the_coordinators(partner, coordinator, licensor):
    owner = user_with_role(Role.SUPERVISOR, partner, is_active=False)
    CorrectiveActionFactory(partner=partner, overdue=True, owner=owner)

    assert _plan() == 2
    assert {message.to[0] for message in send()} == {coordinator.email, licensor.email}


def test_evidence_submitted_before_the_reminder_goes_cancels_it(partner, coordinator, licensor):
    action = CorrectiveActionFactory(partner=partner, overdue=True)
    _plan()

    fidelity.submit_action(coordinator, action, evidence="Supervision log brought up to date.")

    assert send() == []
    assert {row.status for row in rows(OVERDUE)} == {Reminder.Status.CANCELLED}


def test_a_new_due_date_that_passes_is_announced_again_and_an_old_one_is_not_announced_late(
    partner, coordinator, licensor
):
    action = CorrectiveActionFactory(partner=partner, overdue=True)
    CorrectiveActionFactory(partner=partner, overdue=True, due_on=timezone.localdate() - timedelta(days=40))
    assert _plan() == 2
    send()

    fidelity.update_action(licensor, action, due_on=timezone.localdate() + timedelta(days=3))
    assert _plan() == 0

    five_days_on = timezone.now() + timedelta(days=5)
    assert planner.plan(now=five_days_on, kinds={OVERDUE})[OVERDUE] == 2
    assert len(send(now=five_days_on)) == 2
