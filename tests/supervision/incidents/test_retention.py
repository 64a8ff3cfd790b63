"""Retention: closed incidents past the licensor's retention period are anonymised; the figures stay."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from franchise import services as franchise_services
from supervision.incidents.services import anonymise_incidents, due_for_anonymisation
from supervision.incidents.stats import incident_stats
from supervision.models import BoundaryIncident, IncidentAccess, IncidentAction, IncidentDiscussion, IncidentTransition
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    IncidentAccessFactory,
    IncidentActionFactory,
    IncidentDiscussionFactory,
    IncidentTransitionFactory,
)

SEVEN_YEARS = timedelta(days=7 * 366)


def _closed(partner, closed_ago, **fields):
    closed_at = timezone.now() - closed_ago
    return BoundaryIncidentFactory(
        partner=partner,
        closed=True,
        occurred_at=closed_at - timedelta(days=30),
        reviewed_at=closed_at - timedelta(days=20),
        closed_at=closed_at,
        **fields,
    )


@pytest.fixture
def old(partner):
    """An incident closed seven years ago, with a row of everything that hangs off an incident."""
    incident = _closed(partner, SEVEN_YEARS)
    IncidentTransitionFactory(partner=partner, incident=incident, note="Mentor admitted the late-night texts.")
    IncidentActionFactory(partner=partner, incident=incident, done=True)
    IncidentDiscussionFactory(partner=partner, incident=incident)
    IncidentAccessFactory(partner=partner, incident=incident)
    return incident


def _run(*args):
    out = io.StringIO()
    call_command("anonymise_incidents", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return [
        list(BoundaryIncident.objects.order_by("pk").values()),
        list(IncidentTransition.objects.order_by("pk").values()),
        list(IncidentAction.objects.order_by("pk").values()),
        list(IncidentDiscussion.objects.order_by("pk").values()),
        list(IncidentAccess.objects.order_by("pk").values()),
    ]


def test_only_closed_incidents_past_the_retention_period_are_due(old, partner):
    _closed(partner, timedelta(days=5 * 365))
    BoundaryIncidentFactory(partner=partner, occurred_at=timezone.now() - SEVEN_YEARS)  # old but never closed
    assert list(due_for_anonymisation()) == [old]


def test_the_retention_period_is_the_licensors(old, partner, licensor):
    franchise_services.update_baseline(by=licensor, changes={"incident_retention_years": 10})
    assert list(due_for_anonymisation()) == []


def test_a_dry_run_prints_what_would_change_and_changes_nothing(old):
    before = _snapshot()

    output = _run("--dry-run")

    assert _snapshot() == before
    assert str(old.pk) in output
    assert "description, immediate action, reporter, mentor, match" in output
    assert "1 transition note(s)" in output and "1 reflective note(s)" in output
    assert "Dry run: 1 incident(s) would be anonymised" in output
    assert old.description not in output and old.mentor.name not in output


def test_the_real_run_replaces_descriptions_and_detaches_people(old):
    output = _run()

    assert "Anonymised 1 incident(s)." in output
    incident = BoundaryIncident.objects.get(pk=old.pk)
    assert incident.anonymised_at is not None
    assert "Anonymised on" in incident.description and old.description not in incident.description
    assert (incident.reporter, incident.mentor, incident.match, incident.immediate_action) == (None, None, None, "")
    assert list(IncidentTransition.objects.filter(incident=old).values_list("note", "by")) == [("", None)]
    action = IncidentAction.objects.get(incident=old)
    assert (action.owner, action.created_by) == (None, None) and "Anonymised on" in action.description
    discussion = IncidentDiscussion.objects.get(incident=old)
    assert (discussion.session, discussion.recorded_by) == (None, None) and "Anonymised on" in discussion.note
    assert not IncidentAccess.objects.filter(incident=old, user__isnull=False).exists()
    assert IncidentAccess.objects.filter(incident=old, action="anonymise").count() == 1


def test_the_figures_are_kept(old, partner):
    _closed(partner, timedelta(days=30))
    before = list(incident_stats(BoundaryIncident.objects.all()))
    _run()
    assert list(incident_stats(BoundaryIncident.objects.all())) == before
    kept = BoundaryIncident.objects.get(pk=old.pk)
    assert (kept.partner, kept.rule, kept.category, kept.severity, kept.status, kept.occurred_at) == (
        old.partner,
        old.rule,
        old.category,
        old.severity,
        "closed",
        old.occurred_at,
    )


def test_anonymising_twice_changes_nothing_the_second_time(old):
    assert anonymise_incidents([old.pk]) == 1
    after_first = _snapshot()
    assert anonymise_incidents([old.pk]) == 0
    assert _snapshot() == after_first
    assert "No closed incident is past its retention period." in _run()


def test_recent_and_open_incidents_are_left_alone(partner):
    recent = _closed(partner, timedelta(days=365))
    _run()
    assert BoundaryIncident.objects.get(pk=recent.pk).description == recent.description
