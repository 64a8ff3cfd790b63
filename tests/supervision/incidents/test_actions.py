"""Actions agreed on an incident: who adds them, and how they are settled (done, or dropped with a note)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from supervision.incidents import services as incidents
from supervision.models import IncidentAccess, IncidentAction
from tests.supervision.factories import BoundaryIncidentFactory, IncidentActionFactory, PersonFactory

DUE = timezone.localdate() + timedelta(days=7)


def test_a_coordinator_adds_an_action_with_an_owner_and_a_due_date(partner, coordinator, mentor):
    incident = BoundaryIncidentFactory(partner=partner, under_review=True)
    action = incidents.add_action(by=coordinator, incident=incident, owner=mentor, description="Refresher.", due_on=DUE)
    assert (action.incident, action.owner, action.due_on, action.done_at) == (incident, mentor, DUE, None)
    assert IncidentAccess.objects.filter(incident=incident, action="action").exists()


def test_the_owner_must_be_one_of_the_partners_people(partner, other_partner, coordinator):
    incident = BoundaryIncidentFactory(partner=partner)
    with pytest.raises(Invalid) as refused:
        incidents.add_action(
            by=coordinator, incident=incident, owner=PersonFactory(partner=other_partner), description="x", due_on=DUE
        )
    assert refused.value.field == "owner"
    assert not IncidentAction.objects.exists()


def test_the_session_must_be_one_of_the_partners(partner, other_partner, coordinator):
    from tests.supervision.factories import SupervisionSessionFactory

    incident = BoundaryIncidentFactory(partner=partner)
    with pytest.raises(Invalid) as refused:
        incidents.add_action(
            by=coordinator,
            incident=incident,
            description="x",
            due_on=DUE,
            session=SupervisionSessionFactory(partner=other_partner),
        )
    assert refused.value.field == "session"


def test_a_reporter_does_not_add_actions(partner, mentor_user):
    incident = BoundaryIncidentFactory(partner=partner, reporter=mentor_user)
    with pytest.raises(NotPermitted):
        incidents.add_action(by=mentor_user, incident=incident, description="Mine.", due_on=DUE)


def test_the_licensor_adds_actions_while_the_incident_is_escalated_only(partner, licensor):
    escalated = BoundaryIncidentFactory(partner=partner, escalated=True)
    assert incidents.add_action(by=licensor, incident=escalated, description="Review training.", due_on=DUE)
    escalated.status = "action_agreed"
    escalated.save()
    with pytest.raises(NotPermitted):
        incidents.add_action(by=licensor, incident=escalated, description="Another.", due_on=DUE)


def test_a_closed_incident_takes_no_new_action(partner, coordinator):
    incident = BoundaryIncidentFactory(partner=partner, closed=True)
    with pytest.raises(Invalid) as refused:
        incidents.add_action(by=coordinator, incident=incident, description="Late.", due_on=DUE)
    assert refused.value.code == "incident_closed"


def test_an_action_is_marked_done(partner, coordinator):
    action = IncidentActionFactory(partner=partner)
    assert incidents.complete_action(by=coordinator, action=action).done_at is not None


def test_dropping_an_action_needs_a_note(partner, coordinator):
    action = IncidentActionFactory(partner=partner)
    with pytest.raises(Invalid) as refused:
        incidents.drop_action(by=coordinator, action=action, note="")
    assert refused.value.field == "note"
    assert IncidentAction.objects.get(pk=action.pk).dropped_at is None

    dropped = incidents.drop_action(by=coordinator, action=action, note="The mentee moved away.")
    assert (dropped.drop_note, dropped.dropped_at is not None) == ("The mentee moved away.", True)


@pytest.mark.parametrize("traits", [{"done": True}, {"dropped": True}])
def test_a_settled_action_is_not_settled_again(traits, partner, coordinator):
    action = IncidentActionFactory(partner=partner, **traits)
    with pytest.raises(Invalid) as refused:
        incidents.complete_action(by=coordinator, action=action)
    assert refused.value.code == "action_settled"
    with pytest.raises(Invalid):
        incidents.drop_action(by=coordinator, action=action, note="Again.")


def test_an_open_action_is_changed(partner, coordinator):
    action = IncidentActionFactory(partner=partner)
    changed = incidents.update_action(by=coordinator, action=action, description="Two refreshers.", due_on=DUE)
    assert (IncidentAction.objects.get(pk=action.pk).description, changed.due_on) == ("Two refreshers.", DUE)
