"""Corrective actions between the partner and the licensor: the partner names an owner and submits evidence, the
licensor accepts or reopens; each refusal says why and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted
from franchise.models import Role
from supervision.fidelity import services as fidelity
from supervision.fidelity.rules import latest_audit_points
from tests.factories import user_with_role


@pytest.fixture
def action(licensor, audit, answer_all):
    answer_all(audit, SUP_1="not_met")
    fidelity.complete_audit(licensor, audit)
    return audit.corrective_actions.get()


def test_a_coordinator_names_a_member_of_the_partner_as_owner(coordinator, action, partner):
    mentor = user_with_role(Role.SUPERVISOR, partner)
    action = fidelity.update_action(coordinator, action, owner=mentor)
    action.refresh_from_db()
    assert action.owner == mentor


def test_the_owner_is_a_member_of_the_audited_partner(coordinator, action, other_coordinator):
    with pytest.raises(Invalid) as refused:
        fidelity.update_action(coordinator, action, owner=other_coordinator)
    assert refused.value.field == "owner"
    action.refresh_from_db()
    assert action.owner is None


def test_another_partners_coordinator_does_not_reach_the_action(other_coordinator, action):
    with pytest.raises(NotFound):
        fidelity.update_action(other_coordinator, action, owner=other_coordinator)
    with pytest.raises(NotFound):
        fidelity.submit_action(other_coordinator, action, evidence="Done.")


def test_the_licensor_moves_the_due_date_and_the_coordinator_may_not(licensor, coordinator, action):
    later = timezone.localdate() + timedelta(days=90)
    with pytest.raises(NotPermitted):
        fidelity.update_action(coordinator, action, due_on=later)
    fidelity.update_action(licensor, action, due_on=later, description="Book every overdue 1:1 by March.")
    action.refresh_from_db()
    assert (action.due_on, action.description) == (later, "Book every overdue 1:1 by March.")


def test_the_owner_is_the_partners_to_name(licensor, action, coordinator):
    with pytest.raises(NotPermitted):
        fidelity.update_action(licensor, action, owner=coordinator)


def test_submit_accept_and_the_scorecard_counts_it_as_met(licensor, coordinator, action, partner):
    assert latest_audit_points()[partner.pk][:2] == (2, 4)
    fidelity.submit_action(coordinator, action, evidence="All overdue 1:1s held; log attached.")
    fidelity.accept_action(licensor, action, note="Log checked.")
    action.refresh_from_db()
    assert (action.status, action.submitted_by, action.reviewed_by, action.review_note) == (
        "accepted",
        coordinator,
        licensor,
        "Log checked.",
    )
    assert latest_audit_points()[partner.pk][:2] == (4, 4)


def test_evidence_is_required(coordinator, action):
    with pytest.raises(Invalid) as refused:
        fidelity.submit_action(coordinator, action, evidence="  ")
    assert refused.value.field == "evidence"
    action.refresh_from_db()
    assert action.status == "open"


def test_the_licensor_does_not_submit_for_the_partner(licensor, action):
    with pytest.raises(NotPermitted):
        fidelity.submit_action(licensor, action, evidence="Done.")


def test_a_coordinator_does_not_accept(coordinator, action):
    fidelity.submit_action(coordinator, action, evidence="Done.")
    with pytest.raises(NotPermitted):
        fidelity.accept_action(coordinator, action)


def test_an_open_action_cannot_be_accepted(licensor, action):
    with pytest.raises(IllegalTransition) as refused:
        fidelity.accept_action(licensor, action)
    assert refused.value.allowed == ["submitted"]


@pytest.fixture
def accepted(licensor, coordinator, action):
    fidelity.submit_action(coordinator, action, evidence="Done.")
    return fidelity.accept_action(licensor, action)


def test_reopening_needs_a_note_and_sends_it_back(licensor, coordinator, accepted):
    action = accepted
    with pytest.raises(Invalid) as refused:
        fidelity.reopen_action(licensor, action, note="")
    assert refused.value.field == "note"
    fidelity.reopen_action(licensor, action, note="Two sessions were not logged after all.")
    action.refresh_from_db()
    assert (action.status, action.review_note) == ("open", "Two sessions were not logged after all.")
    fidelity.submit_action(coordinator, action, evidence="Logged now.")


def test_an_accepted_action_no_longer_changes(licensor, coordinator, accepted):
    with pytest.raises(Invalid) as refused:
        fidelity.update_action(licensor, accepted, description="Something else.")
    assert refused.value.code == "action_accepted"
    with pytest.raises(IllegalTransition):
        fidelity.submit_action(coordinator, accepted, evidence="Again.")
