"""The incident workflow: every move and every refusal, the chronology, and what closing needs."""

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted, RuleNotMet
from franchise.models import Role
from supervision.incidents import services as incidents
from supervision.models import BoundaryIncident, IncidentAccess, IncidentTransition
from tests.factories import user_with_role
from tests.supervision.factories import BoundaryIncidentFactory, IncidentActionFactory, IncidentDiscussionFactory

Status = BoundaryIncident.Status
ALL = list(Status.values)
# Sorted: xdist workers must collect the same parameters in the same order.
LEGAL = [(source, target) for source, targets in BoundaryIncident.TRANSITIONS.items() for target in sorted(targets)]
ILLEGAL = [(source, target) for source in ALL for target in ALL if (source, target) not in LEGAL]

STATE_TRAITS = {
    "reported": {},
    "under_review": {"under_review": True},
    "action_agreed": {"action_agreed": True},
    "escalated": {"escalated": True},
    "closed": {"closed": True},
}


def incident_in(status, partner, **fields):
    return BoundaryIncidentFactory(partner=partner, **STATE_TRAITS[status], **fields)


def ready_to_close(incident):
    IncidentDiscussionFactory(partner=incident.partner, incident=incident)
    return incident


def test_the_workflow_is_the_designs():
    assert set(LEGAL) == {
        ("reported", "under_review"),
        ("reported", "escalated"),
        ("under_review", "action_agreed"),
        ("under_review", "escalated"),
        ("escalated", "action_agreed"),
        ("escalated", "closed"),
        ("action_agreed", "closed"),
    }


@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_each_allowed_move_is_made_and_recorded(source, target, partner, coordinator):
    incident = ready_to_close(incident_in(source, partner))
    at = timezone.now()

    moved = incidents.transition_incident(
        by=coordinator, incident=incident, to=target, note="Spoke to the mentor.", now=at
    )

    assert BoundaryIncident.objects.get(pk=incident.pk).status == target == moved.status
    step = IncidentTransition.objects.get(incident=incident)
    assert (step.from_status, step.to_status, step.by, step.at, step.note) == (
        source,
        target,
        coordinator,
        at,
        "Spoke to the mentor.",
    )
    assert IncidentAccess.objects.filter(incident=incident, user=coordinator, action="transition").count() == 1


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_each_move_the_workflow_does_not_allow_is_refused_naming_the_allowed_ones(source, target, partner, coordinator):
    incident = ready_to_close(incident_in(source, partner))

    with pytest.raises(IllegalTransition) as refused:
        incidents.transition_incident(by=coordinator, incident=incident, to=target, note="Why not.")

    assert refused.value.allowed == sorted(BoundaryIncident.TRANSITIONS[source])
    assert BoundaryIncident.objects.get(pk=incident.pk).status == source
    assert not IncidentTransition.objects.exists()
    assert not IncidentAccess.objects.exists()


def test_a_move_needs_a_note(partner, coordinator):
    incident = incident_in("reported", partner)
    with pytest.raises(Invalid) as refused:
        incidents.transition_incident(by=coordinator, incident=incident, to="under_review", note="  ")
    assert refused.value.field == "note"
    assert BoundaryIncident.objects.get(pk=incident.pk).status == "reported"


def test_the_first_move_out_of_reported_is_the_review(partner, coordinator):
    incident = incident_in("reported", partner)
    reviewed = incidents.transition_incident(
        by=coordinator, incident=incident, to="under_review", note="Looking into it."
    )
    assert reviewed.reviewed_at is not None
    later = incidents.transition_incident(by=coordinator, incident=reviewed, to="escalated", note="Serious.")
    assert later.reviewed_at == reviewed.reviewed_at


def test_escalating_straight_from_reported_counts_as_the_review(partner, coordinator):
    incident = incidents.transition_incident(
        by=coordinator, incident=incident_in("reported", partner), to="escalated", note="Needs the licensor."
    )
    assert incident.reviewed_at == incident.escalated_at


def test_an_escalated_incident_keeps_its_escalation_time_when_moved_on(partner, coordinator):
    incident = incidents.transition_incident(
        by=coordinator, incident=incident_in("under_review", partner), to="escalated", note="Beyond us."
    )
    escalated_at = incident.escalated_at
    incident = incidents.transition_incident(by=coordinator, incident=incident, to="action_agreed", note="Plan agreed.")
    assert incident.escalated_at == escalated_at


def test_closing_stamps_closed_at(partner, coordinator):
    incident = ready_to_close(incident_in("action_agreed", partner))
    assert incidents.transition_incident(by=coordinator, incident=incident, to="closed", note="Done.").closed_at


def test_the_chronology_lists_every_move_in_order(partner, coordinator):
    incident = incident_in("reported", partner)
    for target in ("under_review", "escalated", "action_agreed"):
        incident = incidents.transition_incident(by=coordinator, incident=incident, to=target, note=f"to {target}")
    assert list(incident.transitions.values_list("from_status", "to_status", "note")) == [
        ("reported", "under_review", "to under_review"),
        ("under_review", "escalated", "to escalated"),
        ("escalated", "action_agreed", "to action_agreed"),
    ]


# --- who may move an incident ---------------------------------------------------------


def test_the_licensor_moves_an_escalated_incident_on(partner, licensor):
    incident = incident_in("escalated", partner)
    moved = incidents.transition_incident(by=licensor, incident=incident, to="action_agreed", note="Plan agreed.")
    assert moved.status == "action_agreed"
    assert IncidentTransition.objects.get(incident=incident).by == licensor


@pytest.mark.parametrize("status", ["reported", "under_review", "action_agreed"])
def test_the_licensor_does_not_move_an_incident_that_is_not_escalated(status, partner, licensor):
    incident = ready_to_close(incident_in(status, partner, escalated_at=timezone.now()))
    target = BoundaryIncident.TRANSITIONS[status].copy().pop()
    with pytest.raises(NotPermitted) as refused:
        incidents.transition_incident(by=licensor, incident=incident, to=target, note="From the licensor.")
    assert refused.value.code == "not_escalated"
    assert BoundaryIncident.objects.get(pk=incident.pk).status == status


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_of_the_partner_do_not_move_an_incident(role, partner):
    user = user_with_role(role, partner)
    incident = incident_in("reported", partner, reporter=user)
    with pytest.raises(NotPermitted):
        incidents.transition_incident(by=user, incident=incident, to="under_review", note="My own report.")
    assert not IncidentTransition.objects.exists()


def test_a_coordinator_of_another_partner_does_not_move_it(partner, other_coordinator):
    with pytest.raises(NotPermitted):
        incidents.transition_incident(
            by=other_coordinator, incident=incident_in("reported", partner), to="under_review", note="Not ours."
        )


# --- closing --------------------------------------------------------------------------


def _close(coordinator, incident):
    return incidents.transition_incident(by=coordinator, incident=incident, to="closed", note="Resolved.")


def test_closing_waits_for_every_action_to_be_done_or_dropped(partner, coordinator):
    incident = ready_to_close(incident_in("action_agreed", partner))
    IncidentActionFactory(partner=partner, incident=incident, done=True)
    IncidentActionFactory(partner=partner, incident=incident, dropped=True)
    open_action = IncidentActionFactory(partner=partner, incident=incident)

    with pytest.raises(RuleNotMet) as refused:
        _close(coordinator, incident)
    assert [item.code for item in refused.value.unmet] == ["actions_open"]
    assert BoundaryIncident.objects.get(pk=incident.pk).status == "action_agreed"

    incidents.complete_action(by=coordinator, action=open_action)
    assert _close(coordinator, incident).status == "closed"


def test_closing_a_non_safeguarding_incident_needs_a_reflective_note_from_supervision(partner, coordinator):
    incident = incident_in("action_agreed", partner)
    with pytest.raises(RuleNotMet) as refused:
        _close(coordinator, incident)
    assert [item.code for item in refused.value.unmet] == ["reflection_missing"]

    ready_to_close(incident)
    assert _close(coordinator, incident).status == "closed"


def test_closing_lists_every_unmet_requirement_at_once(partner, coordinator):
    incident = incident_in("action_agreed", partner)
    IncidentActionFactory(partner=partner, incident=incident)
    with pytest.raises(RuleNotMet) as refused:
        _close(coordinator, incident)
    assert {item.code for item in refused.value.unmet} == {"actions_open", "reflection_missing"}
    assert not IncidentTransition.objects.exists()


def test_a_safeguarding_matter_closes_without_a_note_from_supervision(partner, coordinator):
    incident = incident_in("action_agreed", partner, safeguarding=True)
    assert _close(coordinator, incident).status == "closed"


def test_reviews_awaiting_and_overdue_for_the_reminders(partner):
    from datetime import timedelta

    now = timezone.now()
    overdue = incident_in("reported", partner, review_due_at=now - timedelta(hours=1))
    waiting = incident_in("reported", partner, review_due_at=now + timedelta(hours=1))
    incident_in("under_review", partner, review_due_at=now - timedelta(hours=1))
    assert set(BoundaryIncident.objects.awaiting_review()) == {overdue, waiting}
    assert list(BoundaryIncident.objects.review_overdue(now)) == [overdue]
