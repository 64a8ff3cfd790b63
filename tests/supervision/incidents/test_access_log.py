"""The access log: written on every read of an incident's detail and every change; never edited."""

import pytest
from django.core.exceptions import ValidationError

from supervision.incidents import services as incidents
from supervision.models import IncidentAccess
from tests.supervision.factories import BoundaryIncidentFactory, IncidentAccessFactory


def test_each_read_of_the_detail_is_logged(partner, coordinator):
    incident = BoundaryIncidentFactory(partner=partner)
    incidents.record_read(incident=incident, by=coordinator)
    incidents.record_read(incident=incident, by=coordinator)
    assert list(incident.access_log.values_list("user", "action")) == [(coordinator.pk, "read")] * 2


def test_each_change_is_logged_by_the_service_that_makes_it(report, coordinator):
    incident = report()
    incidents.update_incident(by=coordinator, incident=incident, severity="high")
    incidents.transition_incident(by=coordinator, incident=incident, to="under_review", note="Looking.")
    assert list(incident.access_log.values_list("action", flat=True)) == ["create", "update", "transition"]


def test_an_entry_cannot_be_changed(partner):
    entry = IncidentAccessFactory(partner=partner)
    entry.detail = "rewritten"
    with pytest.raises(ValidationError):
        entry.save()
    assert IncidentAccess.objects.get(pk=entry.pk).detail == ""


def test_an_entry_cannot_be_deleted(partner):
    entry = IncidentAccessFactory(partner=partner)
    with pytest.raises(ValidationError):
        entry.delete()
    assert IncidentAccess.objects.filter(pk=entry.pk).exists()


def test_a_severity_change_before_the_review_moves_the_deadline(report, coordinator):
    incident = report(severity="low")
    changed = incidents.update_incident(by=coordinator, incident=incident, severity="critical")
    assert (changed.review_due_at - changed.created_at).total_seconds() == 24 * 3600
