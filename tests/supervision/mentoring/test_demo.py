"""The demo shows mentoring: goals, contact records (one flagging a concern, linked), an ended match's outcome."""

import pytest

from franchise.models import Role
from supervision.mentoring.demo import CONFLICTED, NEW_MENTEE
from supervision.mentoring.suggestions import suggest_mentors
from supervision.models import ContactRecord, Match, MatchGoal

pytestmark = pytest.mark.django_db


def test_every_active_demo_match_has_goals_and_the_mentors_who_log_in_have_contacts(demo):
    active = Match.objects.filter(status=Match.Status.ACTIVE)
    assert active.exists()
    assert not active.exclude(pk__in=MatchGoal.objects.values("match")).exists()
    for slug, user in demo["mentor_users"].items():
        records = ContactRecord.objects.filter(partner=demo[slug], match__mentor__user=user)
        assert records.count() >= 3, slug
        assert records.filter(goals__isnull=False).exists(), slug


def test_the_demo_has_an_ended_match_with_its_outcome(demo):
    ended = Match.objects.filter(status=Match.Status.ENDED, outcome=Match.Outcome.GOALS_MET)
    assert ended.exists()
    assert all(match.outcome_note for match in ended)


def test_a_demo_concern_links_to_the_incident_its_mentor_reported(demo):
    flagged = ContactRecord.objects.filter(concern=True, incident__isnull=False).select_related("incident")
    assert flagged.exists()
    assert all(record.incident.reporter_id == record.recorded_by_id for record in flagged)


def test_suggestions_for_the_demo_mentee_leave_out_the_conflicted_mentor_with_its_reason(demo):
    conflicted = demo["mentors"]["northside"][CONFLICTED]
    found = suggest_mentors(
        by=demo["staff"][("northside", Role.COORDINATOR)],
        partner=demo["northside"],
        mentee_ref=NEW_MENTEE["northside"],
        tags=["housing"],
        language="Urdu",
    )

    reasons = {item.mentor: [reason.code for reason in item.reasons] for item in found.excluded}
    assert "conflict" in reasons[conflicted]
    assert found.suggestions and found.suggestions[0].parts["shared_tags"] > 0
