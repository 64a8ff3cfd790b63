"""Mentoring over HTTP (API.md, Mentoring): contact records, goals, and ending a match with an outcome."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Role
from supervision.models import ContactRecord, Match, MatchGoal
from tests.factories import user_with_role
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    ContactRecordFactory,
    MatchFactory,
    MatchGoalFactory,
    MatchingTagFactory,
    MentorConflictFactory,
    MentorProfileFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

RECORDS = "/api/v1/contact-records/"
GOALS = "/api/v1/match-goals/"
MATCHES = "/api/v1/matches/"
RECORD_FIELDS = {
    "id",
    "match",
    "date",
    "duration_minutes",
    "mode",
    "place",
    "summary",
    "goals",
    "concern",
    "incident",
}


@pytest.fixture
def match(partner, mentor_user):
    mentor = PersonFactory(partner=partner, active_mentor=True, user=mentor_user)
    return MatchFactory(partner=partner, mentor=mentor)


def body(match, **changes):
    return {
        "match": str(match.pk),
        "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "duration_minutes": 50,
        "mode": "phone",
        "summary": "Talked through the week; she booked the GP appointment herself.",
        **changes,
    }


def test_the_mentor_records_a_contact(client_for, match, mentor_user):
    goal = MatchGoalFactory(partner=match.partner, match=match)

    response = client_for(mentor_user).post(RECORDS, body(match, goals=[str(goal.pk)], concern=True), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == RECORD_FIELDS
    assert (data["goals"], data["concern"], data["incident"], data["place"]) == ([str(goal.pk)], True, None, "")
    assert ContactRecord.objects.get().recorded_by == mentor_user


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR])
def test_staff_read_records_but_do_not_write_them(client_for, partner, match, role):
    user = user_with_role(role, partner)
    ContactRecordFactory(partner=partner, match=match)
    client = client_for(user)

    assert client.get(RECORDS).json()["count"] == 1
    assert client.post(RECORDS, body(match), format="json").status_code == 403
    assert ContactRecord.objects.count() == 1


def test_the_licensor_reads_no_record_only_the_counts_on_matches(client_for, partner, match, licensor):
    record = ContactRecordFactory(partner=partner, match=match, concern=True)
    MatchGoalFactory(partner=partner, match=match)
    client = client_for(licensor)

    listed = client.get(RECORDS)
    assert (listed.status_code, listed.json()["count"]) == (200, 0)
    assert client.get(f"{RECORDS}{record.pk}/").status_code == 404
    (row,) = client.get(MATCHES).json()["results"]
    assert (row["contact_count"], row["concern_count"], row["goals"]) == (1, 1, [])
    assert record.summary not in listed.content.decode() + str(row)


def test_the_licensor_does_not_read_how_a_match_ended_in_words(client_for, partner, licensor, coordinator):
    ended = MatchFactory(partner=partner, ended=True)
    (as_licensor,) = client_for(licensor).get(MATCHES).json()["results"]
    as_coordinator = client_for(coordinator).get(f"{MATCHES}{ended.pk}/").json()

    assert (as_licensor["outcome"], as_licensor["outcome_note"]) == ("goals_met", None)
    assert as_coordinator["outcome_note"] == ended.outcome_note


def test_a_trainer_sees_no_records(client_for, partner, match):
    ContactRecordFactory(partner=partner, match=match)
    assert client_for(user_with_role(Role.TRAINER, partner)).get(RECORDS).json()["count"] == 0


def test_another_partners_record_is_a_404(client_for, partner, match, other_coordinator):
    record = ContactRecordFactory(partner=partner, match=match)
    client = client_for(other_coordinator)

    assert client.get(f"{RECORDS}{record.pk}/").status_code == 404
    assert client.patch(f"{RECORDS}{record.pk}/", {"summary": "x"}, format="json").status_code == 404
    record.refresh_from_db()
    assert record.summary != "x"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 721}, "duration_minutes"),
        ({"mode": "pigeon"}, "mode"),
        ({"summary": ""}, "summary"),
        ({"date": "2999-01-01"}, "date"),
        ({"date": "not a date"}, "date"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, match, mentor_user, changes, field):
    response = client_for(mentor_user).post(RECORDS, body(match, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ContactRecord.objects.exists()


def test_another_matchs_goal_or_another_partners_match_is_refused(
    client_for, partner, other_partner, match, mentor_user
):
    client = client_for(mentor_user)
    other_goal = MatchGoalFactory(partner=partner)
    foreign_match = MatchFactory(partner=other_partner)

    goals = client.post(RECORDS, body(match, goals=[str(other_goal.pk)]), format="json")
    foreign = client.post(RECORDS, body(foreign_match), format="json")

    assert (goals.status_code, list(goals.json())) == (400, ["goals"])
    assert (foreign.status_code, list(foreign.json())) == (400, ["match"])
    assert not ContactRecord.objects.exists()


def test_the_mentor_links_the_incident_she_reported_to_a_flagged_record(client_for, partner, match, mentor_user):
    record = ContactRecordFactory(partner=partner, match=match, concern=True)
    incident = BoundaryIncidentFactory(partner=partner, mentor=match.mentor, reporter=mentor_user)

    response = client_for(mentor_user).patch(f"{RECORDS}{record.pk}/", {"incident": str(incident.pk)}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["incident"] == str(incident.pk)
    record.refresh_from_db()
    assert record.incident == incident


# --- goals -----------------------------------------------------------------------------


def test_the_mentor_agrees_a_goal_and_moves_it_on(client_for, match, mentor_user):
    client = client_for(mentor_user)

    made = client.post(GOALS, {"match": str(match.pk), "text": "Open a bank account"}, format="json")
    moved = client.patch(f"{GOALS}{made.json()['id']}/", {"status": "met"}, format="json")
    listed = client.get(f"{MATCHES}{match.pk}/").json()["goals"]

    assert made.status_code == 201
    assert moved.status_code == 200
    assert listed == [{"id": made.json()["id"], "text": "Open a bank account", "status": "met"}]


def test_a_supervisor_does_not_write_goals(client_for, partner, match, supervisor):
    response = client_for(supervisor).post(GOALS, {"match": str(match.pk), "text": "Something"}, format="json")
    assert response.status_code == 403
    assert not MatchGoal.objects.exists()


# --- ending with an outcome ----------------------------------------------------------------


def test_ending_a_match_needs_its_outcome(client_for, match, coordinator):
    client = client_for(coordinator)

    missing = client.post(f"{MATCHES}{match.pk}/end/", {"note": "Went well."}, format="json")
    unknown = client.post(f"{MATCHES}{match.pk}/end/", {"outcome": "great"}, format="json")

    assert (missing.status_code, list(missing.json())) == (400, ["outcome"])
    assert (unknown.status_code, list(unknown.json())) == (400, ["outcome"])
    match.refresh_from_db()
    assert match.status == Match.Status.ACTIVE


def test_a_match_has_no_outcome_until_it_ends(client_for, match, coordinator):
    client = client_for(coordinator)

    assert client.get(f"{MATCHES}{match.pk}/").json()["outcome"] is None
    assert [row["outcome"] for row in client.get(MATCHES).json()["results"]] == [None]
    client.post(f"{MATCHES}{match.pk}/end/", {"outcome": "moved_on"}, format="json")
    assert client.get(f"{MATCHES}{match.pk}/").json()["outcome"] == "moved_on"


# --- matching -------------------------------------------------------------------------------

SUGGESTIONS = "/api/v1/match-suggestions/"


def test_a_coordinator_gets_suggestions_and_exclusions_with_reasons(client_for, partner, coordinator):
    housing = MatchingTagFactory(partner=partner, name="housing")
    suggested = MentorProfileFactory(partner=partner, tags=[housing]).person
    conflicted = MentorConflictFactory(partner=partner, mentee_ref="NS-M-0300").mentor

    response = client_for(coordinator).post(
        SUGGESTIONS, {"partner": str(partner.pk), "mentee_ref": "NS-M-0300", "tags": ["housing"]}, format="json"
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    (suggestion,) = data["suggestions"]
    assert (suggestion["mentor"], suggestion["score"], suggestion["parts"]["shared_tags"]) == (str(suggested.pk), 3, 3)
    assert data["excluded"] == [
        {
            "mentor": str(conflicted.pk),
            "reasons": [{"code": "conflict", "message": f"{conflicted.name} declared a conflict with this mentee."}],
        }
    ]


def test_suggestions_refuse_an_unknown_tag_others_roles_and_other_partners(
    client_for, partner, other_coordinator, supervisor, coordinator
):
    request = {"partner": str(partner.pk), "mentee_ref": "NS-M-0300", "tags": ["astrology"]}
    unknown = client_for(coordinator).post(SUGGESTIONS, request, format="json")
    assert (unknown.status_code, list(unknown.json())) == (400, ["tags"])
    request["tags"] = []
    assert client_for(supervisor).post(SUGGESTIONS, request, format="json").status_code == 403
    assert client_for(other_coordinator).post(SUGGESTIONS, request, format="json").status_code == 404


def test_a_mentor_declares_a_conflict_only_they_and_coordinators_read(
    client_for, partner, match, mentor_user, supervisor, coordinator
):
    response = client_for(mentor_user).post(
        "/api/v1/mentor-conflicts/",
        {"mentor": str(match.mentor_id), "description": "My former partner's family."},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"id", "mentor", "description", "mentee_ref"}
    assert client_for(coordinator).get("/api/v1/mentor-conflicts/").json()["count"] == 1
    assert client_for(supervisor).get("/api/v1/mentor-conflicts/").json()["count"] == 0
