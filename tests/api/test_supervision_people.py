"""People, shadowing logs and matches over HTTP: field names, status codes, permissions, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Licence, Role
from supervision.models import MENTOR_TRANSITIONS, Match, MentorStatus, Person, PersonTransition, ShadowingLog
from tests.factories import user_with_role
from tests.supervision.factories import MatchFactory, PersonFactory, ShadowingLogFactory
from tests.supervision.people.helpers import ready_to_activate
from tests.training.factories import EnrolmentFactory

PEOPLE = "/api/v1/people/"
LOGS = "/api/v1/shadowing-logs/"
MATCHES = "/api/v1/matches/"

PERSON_FIELDS = {
    "id",
    "partner",
    "name",
    "email",
    "user",
    "mentor_status",
    "shadowing_hours",
    "trained",
    "prior_learning_on",
    "background_check_on",
    "pause_reason",
    "pause_review_on",
    "calendar_url",
}


def today(days=0):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- people: reading ------------------------------------------------------------------


def test_the_people_list_has_the_fields_of_api_md(client_for, coordinator, partner):
    person = ready_to_activate(partner)

    response = client_for(coordinator).get(PEOPLE, {"mentor_status": "shadowing"})

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert set(row) == PERSON_FIELDS
    assert (row["id"], row["partner"], row["mentor_status"], row["trained"], row["shadowing_hours"]) == (
        str(person.pk),
        str(partner.pk),
        "shadowing",
        True,
        "10.00",
    )
    assert row["calendar_url"] == f"https://tandem.test/calendar/{person.calendar_secret}.ics"


def _people(partner, count):
    for _ in range(count):
        person = PersonFactory(partner=partner, shadowing=True, with_user=True)
        ShadowingLogFactory(partner=partner, mentor=person)
        EnrolmentFactory(partner=partner, learner=person, passed=True)


@pytest.mark.parametrize("count", [3, 30])
def test_the_people_list_runs_a_constant_number_of_queries(
    token_client_for, coordinator, partner, count, django_assert_max_num_queries
):
    _people(partner, count)
    client = token_client_for(coordinator)

    # token + memberships + count + page
    with django_assert_max_num_queries(4):
        response = client.get(PEOPLE, {"page_size": 200})

    assert response.status_code == 200
    assert response.json()["count"] >= count


def test_the_people_list_filters_by_trained_and_status(client_for, coordinator, partner):
    trained = PersonFactory(partner=partner, shadowing=True)
    PersonFactory(partner=partner, applicant=True)

    response = client_for(coordinator).get(PEOPLE, {"trained": "true", "mentor_status": ["shadowing", "active"]})

    assert [row["id"] for row in response.json()["results"]] == [str(trained.pk)]


def test_the_people_list_filters_staff_off_the_pathway_and_by_name(client_for, coordinator, partner):
    staff = PersonFactory(partner=partner, name="Ruth Okafor")
    volunteer = PersonFactory(partner=partner, name="Ruth Adams", applicant=True)
    client = client_for(coordinator)

    assert [row["id"] for row in client.get(PEOPLE, {"on_pathway": "false"}).json()["results"]] == [str(staff.pk)]
    assert [row["id"] for row in client.get(PEOPLE, {"on_pathway": "true"}).json()["results"]] == [str(volunteer.pk)]
    assert client.get(PEOPLE, {"name": "ruth"}).json()["count"] == 2


def test_the_list_filters_do_not_hide_a_person_opened_by_id(client_for, coordinator, partner):
    # A link copied from a filtered list keeps its query string; the person it names still opens.
    applicant = PersonFactory(partner=partner, applicant=True)

    response = client_for(coordinator).get(f"{PEOPLE}{applicant.pk}/", {"mentor_status": "active"})

    assert response.status_code == 200
    assert response.json()["id"] == str(applicant.pk)


def test_a_mentor_reads_only_their_own_person(client_for, mentor_user, partner):
    own = PersonFactory(partner=partner, user=mentor_user, active_mentor=True)
    colleague = PersonFactory(partner=partner, active_mentor=True)
    client = client_for(mentor_user)

    assert [row["id"] for row in client.get(PEOPLE).json()["results"]] == [str(own.pk)]
    assert client.get(f"{PEOPLE}{own.pk}/").json()["calendar_url"].endswith(f"{own.calendar_secret}.ics")
    assert client.get(f"{PEOPLE}{colleague.pk}/").status_code == 404


def test_a_supervisor_reads_people_but_not_their_calendar_urls(client_for, supervisor, partner):
    person = PersonFactory(partner=partner, active_mentor=True)

    row = client_for(supervisor).get(f"{PEOPLE}{person.pk}/").json()

    assert row["id"] == str(person.pk)
    assert row["calendar_url"] is None


def test_another_partners_person_is_a_404_on_every_route(client_for, other_coordinator, partner):
    person = PersonFactory(partner=partner, applicant=True)
    client = client_for(other_coordinator)

    assert client.get(f"{PEOPLE}{person.pk}/").status_code == 404
    assert client.patch(f"{PEOPLE}{person.pk}/", {"name": "X"}).status_code == 404
    assert client.post(f"{PEOPLE}{person.pk}/transition/", {"to": "in_training"}).status_code == 404
    assert client.get(f"{PEOPLE}{person.pk}/transitions/").status_code == 404
    assert client.post(f"{PEOPLE}{person.pk}/calendar/regenerate/").status_code == 404
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.APPLICANT


# --- people: writing ------------------------------------------------------------------


def test_a_coordinator_registers_a_volunteer(client_for, coordinator, partner):
    response = client_for(coordinator).post(
        PEOPLE, {"partner": str(partner.pk), "name": "Ann Lee", "email": "ann@example.org"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PERSON_FIELDS
    assert (body["mentor_status"], body["trained"], body["shadowing_hours"]) == ("applicant", False, "0.00")
    assert PersonTransition.objects.get(person_id=body["id"]).to_status == "applicant"


def test_registering_staff_off_the_pathway(client_for, coordinator, partner):
    member = user_with_role(Role.SUPERVISOR, partner)
    response = client_for(coordinator).post(
        PEOPLE, {"partner": str(partner.pk), "name": "Ruth", "mentor_status": None, "user": str(member.pk)}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["mentor_status"], response.json()["user"]) == (None, str(member.pk))


def test_registering_someone_as_already_active_is_a_400(client_for, coordinator, partner):
    response = client_for(coordinator).post(
        PEOPLE, {"partner": str(partner.pk), "name": "A", "mentor_status": "active"}
    )
    assert response.status_code == 400
    assert "mentor_status" in response.json()
    assert not Person.objects.exists()


def test_a_supervisor_cannot_register_people(client_for, supervisor, partner):
    response = client_for(supervisor).post(PEOPLE, {"partner": str(partner.pk), "name": "Ann"})
    assert response.status_code == 403
    assert not Person.objects.exists()


def test_registering_into_another_partner_is_a_404(client_for, coordinator, other_partner):
    response = client_for(coordinator).post(PEOPLE, {"partner": str(other_partner.pk), "name": "Ann"})
    assert response.status_code == 404
    assert not Person.objects.exists()


def test_linking_a_user_of_another_partner_is_a_400_on_user(client_for, coordinator, partner, other_coordinator):
    response = client_for(coordinator).post(
        PEOPLE, {"partner": str(partner.pk), "name": "Otto", "user": str(other_coordinator.pk)}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert not Person.objects.exists()


def test_patching_a_person_never_moves_their_status(client_for, coordinator, partner):
    person = PersonFactory(partner=partner, applicant=True)

    response = client_for(coordinator).patch(
        f"{PEOPLE}{person.pk}/",
        {"name": "Ann Lee", "background_check_on": today(), "mentor_status": "active", "partner": "x"},
    )

    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["mentor_status"]) == ("Ann Lee", "applicant")


def test_a_mentor_cannot_change_their_own_person(client_for, mentor_user, partner):
    own = PersonFactory(partner=partner, user=mentor_user, active_mentor=True)
    response = client_for(mentor_user).patch(f"{PEOPLE}{own.pk}/", {"background_check_on": today()})
    assert response.status_code == 403


def test_people_are_not_deleted(client_for, coordinator, partner):
    person = PersonFactory(partner=partner)
    assert client_for(coordinator).delete(f"{PEOPLE}{person.pk}/").status_code == 405
    assert Person.objects.filter(pk=person.pk).exists()


# --- transitions ----------------------------------------------------------------------


def test_a_coordinator_takes_a_volunteer_from_applicant_to_active(client_for, coordinator, partner):
    person = ready_to_activate(partner)
    person.mentor_status = MentorStatus.APPLICANT
    person.save()
    client = client_for(coordinator)

    for step in ("in_training", "shadowing", "active"):
        response = client.post(f"{PEOPLE}{person.pk}/transition/", {"to": step})
        assert response.status_code == 200, response.content
        assert response.json()["mentor_status"] == step

    history = client.get(f"{PEOPLE}{person.pk}/transitions/").json()
    assert [(move["from_status"], move["to_status"]) for move in history] == [
        ("shadowing", "active"),
        ("in_training", "shadowing"),
        ("applicant", "in_training"),
    ]
    assert history[0]["by"] == str(coordinator.pk)


def test_activation_answers_400_with_every_unmet_requirement(client_for, coordinator, partner):
    person = PersonFactory(partner=partner, mentor_status=MentorStatus.SHADOWING)

    response = client_for(coordinator).post(f"{PEOPLE}{person.pk}/transition/", {"to": "active"})

    assert response.status_code == 400
    body = response.json()
    assert {item["code"] for item in body["unmet"]} == {
        "not_trained",
        "shadowing_hours_short",
        "background_check_missing",
        "policy_not_acknowledged",
        "no_active_licence",
    }
    assert all(item["message"] for item in body["unmet"])
    assert "detail" in body
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.SHADOWING
    assert not PersonTransition.objects.exists()


def test_activation_without_a_licence_names_that_alone(client_for, coordinator, partner):
    person = ready_to_activate(partner)
    Licence.objects.filter(partner=partner).update(status=Licence.Status.SUSPENDED)

    response = client_for(coordinator).post(f"{PEOPLE}{person.pk}/transition/", {"to": "active"})

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["no_active_licence"]


ILLEGAL = [
    (current, to)
    for current in [None, *MentorStatus.values]
    for to in MentorStatus.values
    if to not in MENTOR_TRANSITIONS[current]
]


@pytest.mark.parametrize(("current", "to"), ILLEGAL, ids=str)
def test_every_illegal_move_is_a_409_naming_the_allowed_moves(client_for, coordinator, partner, current, to):
    person = (
        PersonFactory(partner=partner, paused=True)
        if current == MentorStatus.PAUSED
        else PersonFactory(partner=partner, mentor_status=current)
    )

    response = client_for(coordinator).post(
        f"{PEOPLE}{person.pk}/transition/", {"to": to, "reason": "x", "review_on": today(7)}
    )

    assert response.status_code == 409
    assert response.json()["allowed"] == sorted(MENTOR_TRANSITIONS[current])
    assert to in response.json()["detail"]
    assert not PersonTransition.objects.exists()


def test_a_pause_without_reason_and_review_date_is_a_400_naming_both(client_for, coordinator, partner):
    person = PersonFactory(partner=partner, active_mentor=True)

    response = client_for(coordinator).post(f"{PEOPLE}{person.pk}/transition/", {"to": "paused"})

    assert response.status_code == 400
    assert set(response.json()) == {"reason", "review_on"}
    assert not PersonTransition.objects.exists()


def test_a_pause_shows_its_reason_and_review_date(client_for, coordinator, partner):
    person = PersonFactory(partner=partner, active_mentor=True)

    response = client_for(coordinator).post(
        f"{PEOPLE}{person.pk}/transition/", {"to": "paused", "reason": "Caring for a parent.", "review_on": today(30)}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["mentor_status"], body["pause_reason"], body["pause_review_on"]) == (
        "paused",
        "Caring for a parent.",
        today(30),
    )


@pytest.mark.parametrize("body", [{"to": "retired"}, {}, {"to": "paused", "review_on": "next week"}])
def test_a_malformed_transition_is_a_400(client_for, coordinator, partner, body):
    person = PersonFactory(partner=partner, active_mentor=True)
    response = client_for(coordinator).post(f"{PEOPLE}{person.pk}/transition/", body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TRAINER])
def test_staff_other_than_coordinators_cannot_move_people_on(client_for, partner, role):
    person = PersonFactory(partner=partner, applicant=True)
    response = client_for(user_with_role(role, partner)).post(f"{PEOPLE}{person.pk}/transition/", {"to": "in_training"})
    assert response.status_code == 403
    assert not PersonTransition.objects.exists()


def test_a_mentor_cannot_pause_themselves(client_for, mentor_user, partner):
    own = PersonFactory(partner=partner, user=mentor_user, active_mentor=True)
    response = client_for(mentor_user).post(
        f"{PEOPLE}{own.pk}/transition/", {"to": "paused", "reason": "Tired.", "review_on": today(7)}
    )
    assert response.status_code == 403


# --- calendar secret ------------------------------------------------------------------


def test_regenerating_the_calendar_url_replaces_it(client_for, coordinator, partner):
    person = PersonFactory(partner=partner, active_mentor=True)
    old = PersonFactory._meta.model.objects.get(pk=person.pk).calendar_url

    response = client_for(coordinator).post(f"{PEOPLE}{person.pk}/calendar/regenerate/")

    assert response.status_code == 200
    assert response.json()["calendar_url"] != old
    person.refresh_from_db()
    assert response.json()["calendar_url"] == person.calendar_url


def test_a_mentor_regenerates_their_own_calendar_url(client_for, mentor_user, partner):
    own = PersonFactory(partner=partner, user=mentor_user, active_mentor=True)
    old = own.calendar_secret
    assert client_for(mentor_user).post(f"{PEOPLE}{own.pk}/calendar/regenerate/").status_code == 200
    own.refresh_from_db()
    assert own.calendar_secret != old


def test_a_supervisor_cannot_regenerate_someone_elses_calendar_url(client_for, supervisor, partner):
    person = PersonFactory(partner=partner, active_mentor=True)
    old = person.calendar_secret
    assert client_for(supervisor).post(f"{PEOPLE}{person.pk}/calendar/regenerate/").status_code == 403
    person.refresh_from_db()
    assert person.calendar_secret == old


# --- shadowing logs -------------------------------------------------------------------


def _log_body(mentor, staff, **overrides):
    return {"mentor": str(mentor.pk), "shadowed": str(staff.pk), "date": today(-1), "hours": "2.50", **overrides}


def test_a_supervisor_logs_shadowing(client_for, supervisor, partner):
    mentor = PersonFactory(partner=partner, shadowing=True)
    staff = PersonFactory(partner=partner, staff=True)

    response = client_for(supervisor).post(LOGS, _log_body(mentor, staff, note="Drop-in."))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "mentor", "shadowed", "date", "hours", "note"}
    assert (body["hours"], body["note"]) == ("2.50", "Drop-in.")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": "0"}, "hours"),
        ({"hours": "-2"}, "hours"),
        ({"hours": "12.5"}, "hours"),
        ({"hours": "lots"}, "hours"),
        ({"date": today(1)}, "date"),
    ],
)
def test_a_log_breaking_a_rule_is_a_400_naming_the_field(client_for, coordinator, partner, overrides, field):
    mentor = PersonFactory(partner=partner, shadowing=True)
    staff = PersonFactory(partner=partner, staff=True)

    response = client_for(coordinator).post(LOGS, _log_body(mentor, staff, **overrides))

    assert response.status_code == 400
    assert field in response.json()
    assert not ShadowingLog.objects.exists()


def test_a_day_over_twelve_hours_is_a_400(client_for, coordinator, partner):
    mentor = PersonFactory(partner=partner, shadowing=True)
    staff = PersonFactory(partner=partner, staff=True)
    client = client_for(coordinator)
    assert client.post(LOGS, _log_body(mentor, staff, hours="10")).status_code == 201

    response = client.post(LOGS, _log_body(mentor, staff, hours="2.25"))

    assert response.status_code == 400
    assert "at most 2 more" in response.json()["hours"][0]
    assert ShadowingLog.objects.count() == 1


def test_a_mentor_of_another_partner_is_answered_like_a_missing_one(client_for, coordinator, partner, other_partner):
    foreign = PersonFactory(partner=other_partner, shadowing=True)
    staff = PersonFactory(partner=partner, staff=True)

    response = client_for(coordinator).post(LOGS, _log_body(foreign, staff))

    assert response.status_code == 400
    assert "mentor" in response.json()
    assert not ShadowingLog.objects.exists()


def test_a_mentor_reads_their_own_logs_and_cannot_write(client_for, mentor_user, partner):
    own = PersonFactory(partner=partner, user=mentor_user, shadowing=True)
    mine = ShadowingLogFactory(partner=partner, mentor=own)
    ShadowingLogFactory(partner=partner)
    client = client_for(mentor_user)

    assert [row["id"] for row in client.get(LOGS).json()["results"]] == [str(mine.pk)]
    staff = PersonFactory(partner=partner, staff=True)
    # A mentor cannot even name the member of staff: only their own Person is visible to them.
    refused = client.post(LOGS, _log_body(own, staff))
    assert (refused.status_code, list(refused.json())) == (400, ["shadowed"])
    assert client.delete(f"{LOGS}{mine.pk}/").status_code == 403
    assert ShadowingLog.objects.count() == 2


def test_a_coordinator_removes_a_mistaken_log(client_for, coordinator, partner):
    entry = ShadowingLogFactory(partner=partner)
    assert client_for(coordinator).delete(f"{LOGS}{entry.pk}/").status_code == 204
    assert not ShadowingLog.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_shadowing_list_runs_a_constant_number_of_queries(
    token_client_for, coordinator, partner, count, django_assert_max_num_queries
):
    mentor = PersonFactory(partner=partner, shadowing=True)
    staff = PersonFactory(partner=partner, staff=True)
    for day in range(count):
        ShadowingLogFactory(partner=partner, mentor=mentor, shadowed=staff, date=timezone.localdate() - timedelta(day))
    client = token_client_for(coordinator)

    # token + memberships + the ?mentor= id checked against visible people + count + page
    with django_assert_max_num_queries(5):
        response = client.get(LOGS, {"page_size": 200, "mentor": str(mentor.pk)})

    assert response.json()["count"] == count


# --- matches --------------------------------------------------------------------------

MATCH_FIELDS = {
    "id",
    "partner",
    "mentor",
    "mentee_ref",
    "status",
    "started_on",
    "ended_on",
    "goals",
    "outcome",
    "outcome_note",
    "contact_count",
    "concern_count",
}


def test_a_coordinator_proposes_a_match_and_as_the_only_coordinator_approves_it(client_for, coordinator, partner):
    mentor = PersonFactory(partner=partner, active_mentor=True)
    client = client_for(coordinator)

    response = client.post(MATCHES, {"mentor": str(mentor.pk), "mentee_ref": "NS-M-0142"})
    approved = client.post(f"{MATCHES}{response.json()['id']}/approve/")
    again = client.post(f"{MATCHES}{response.json()['id']}/approve/")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == MATCH_FIELDS
    assert (body["partner"], body["status"], body["started_on"], body["ended_on"]) == (
        str(partner.pk),
        "proposed",
        today(),
        None,
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "active")
    assert (again.status_code, again.json()["allowed"]) == (409, ["ended"])


def test_where_the_partner_has_two_coordinators_the_other_one_approves(client_for, coordinator, partner):
    second = user_with_role(Role.COORDINATOR, partner)
    mentor = PersonFactory(partner=partner, active_mentor=True)
    proposed = client_for(coordinator).post(MATCHES, {"mentor": str(mentor.pk), "mentee_ref": "NS-M-0142"}).json()

    own = client_for(coordinator).post(f"{MATCHES}{proposed['id']}/approve/")
    other = client_for(second).post(f"{MATCHES}{proposed['id']}/approve/")

    assert own.status_code == 400
    assert [item["code"] for item in own.json()["unmet"]] == ["second_coordinator_needed"]
    assert (other.status_code, other.json()["status"]) == (200, "active")


def test_matching_a_mentor_at_the_cap_is_a_400_with_unmet(client_for, coordinator, partner):
    mentor = PersonFactory(partner=partner, active_mentor=True)
    for _ in range(3):
        MatchFactory(partner=partner, mentor=mentor)

    response = client_for(coordinator).post(MATCHES, {"mentor": str(mentor.pk), "mentee_ref": "M-9"})

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["match_limit_reached"]
    assert Match.objects.count() == 3


def test_matching_a_mentor_in_training_is_a_400_with_unmet(client_for, coordinator, partner):
    mentor = PersonFactory(partner=partner, in_training=True)
    response = client_for(coordinator).post(MATCHES, {"mentor": str(mentor.pk), "mentee_ref": "M-9"})
    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["mentor_not_active"]


def test_a_name_as_mentee_ref_is_a_400(client_for, coordinator, partner):
    mentor = PersonFactory(partner=partner, active_mentor=True)
    response = client_for(coordinator).post(MATCHES, {"mentor": str(mentor.pk), "mentee_ref": "Jane Smith"})
    assert response.status_code == 400
    assert "mentee_ref" in response.json()
    assert not Match.objects.exists()


def test_ending_a_match_then_ending_it_again(client_for, coordinator, partner):
    made = MatchFactory(partner=partner)
    client = client_for(coordinator)

    first = client.post(f"{MATCHES}{made.pk}/end/", {"outcome": "goals_met", "note": "Goals met."})
    again = client.post(f"{MATCHES}{made.pk}/end/", {"outcome": "goals_met"})

    assert first.status_code == 200
    assert {key: first.json()[key] for key in ("status", "ended_on", "outcome", "outcome_note")} == {
        "status": "ended",
        "ended_on": today(),
        "outcome": "goals_met",
        "outcome_note": "Goals met.",
    }
    assert again.status_code == 409
    assert again.json()["allowed"] == []


def test_a_supervisor_reads_matches_but_cannot_make_them(client_for, supervisor, partner):
    made = MatchFactory(partner=partner)
    client = client_for(supervisor)

    assert [row["id"] for row in client.get(MATCHES).json()["results"]] == [str(made.pk)]
    response = client.post(MATCHES, {"mentor": str(made.mentor_id), "mentee_ref": "M-9"})
    assert response.status_code == 403
    assert client.post(f"{MATCHES}{made.pk}/end/", {"outcome": "partly"}).status_code == 403
    assert Match.objects.count() == 1


def test_a_trainer_sees_no_matches(client_for, partner):
    MatchFactory(partner=partner)
    trainer = user_with_role(Role.TRAINER, partner)
    assert client_for(trainer).get(MATCHES).json()["count"] == 0


def test_a_mentor_reads_their_own_matches(client_for, mentor_user, partner):
    own = MatchFactory(partner=partner, mentor=PersonFactory(partner=partner, user=mentor_user, active_mentor=True))
    other = MatchFactory(partner=partner)
    client = client_for(mentor_user)

    assert [row["id"] for row in client.get(MATCHES).json()["results"]] == [str(own.pk)]
    assert client.get(f"{MATCHES}{other.pk}/").status_code == 404


def test_another_partners_match_is_a_404(client_for, other_coordinator, partner):
    made = MatchFactory(partner=partner)
    client = client_for(other_coordinator)
    assert client.get(f"{MATCHES}{made.pk}/").status_code == 404
    assert client.post(f"{MATCHES}{made.pk}/end/").status_code == 404
    made.refresh_from_db()
    assert made.status == Match.Status.ACTIVE


@pytest.mark.parametrize("count", [3, 30])
def test_the_match_list_runs_a_constant_number_of_queries(
    token_client_for, coordinator, partner, count, django_assert_max_num_queries
):
    for _ in range(count):
        MatchFactory(partner=partner)
    client = token_client_for(coordinator)

    # The token, the count, the page, and one prefetch of every listed match's goals.
    with django_assert_max_num_queries(5):
        response = client.get(MATCHES, {"page_size": 200, "status": "active"})

    assert response.json()["count"] == count


# --- the README's walk-through, on the demo data --------------------------------------


def test_the_readme_walk_through_takes_a_volunteer_to_active_mentor(demo, api):
    token = api.post(
        "/api/v1/auth/token/", {"username": "coordinator@northside.example", "password": "tandem-demo-2026"}
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    northside = api.get("/api/v1/partners/", {"slug": "northside"}).json()["results"][0]["id"]
    supervisor = api.get(PEOPLE, {"name": "Ruth"}).json()["results"][0]["id"]

    person = api.post(PEOPLE, {"partner": northside, "name": "Sara Ahmed", "email": "sara@example.org"}).json()["id"]
    assert api.post(f"{PEOPLE}{person}/transition/", {"to": "in_training"}).status_code == 200
    api.patch(f"{PEOPLE}{person}/", {"prior_learning_on": "2026-09-01", "background_check_on": "2026-10-01"})
    assert api.post(f"{PEOPLE}{person}/transition/", {"to": "shadowing"}).status_code == 200

    early = api.post(f"{PEOPLE}{person}/transition/", {"to": "active"})
    assert early.status_code == 400
    assert {item["code"] for item in early.json()["unmet"]} == {"shadowing_hours_short", "policy_not_acknowledged"}

    for day in ("2026-10-05", "2026-10-12", "2026-10-19"):
        logged = api.post(LOGS, {"mentor": person, "shadowed": supervisor, "date": day, "hours": "4"})
        assert logged.status_code == 201, logged.content
    acknowledged = api.post(f"/api/v1/partners/{northside}/policy/acknowledge/", {"person": person})
    assert acknowledged.status_code in (200, 201), acknowledged.content

    active = api.post(f"{PEOPLE}{person}/transition/", {"to": "active"})
    assert active.status_code == 200, active.content
    assert (active.json()["trained"], active.json()["shadowing_hours"]) == (True, "12.00")

    matched = api.post(MATCHES, {"mentor": person, "mentee_ref": "NS-M-0201"})
    assert matched.status_code == 201, matched.content
    paused = api.post(
        f"{PEOPLE}{person}/transition/",
        {"to": "paused", "reason": "Family illness; will review.", "review_on": today(30)},
    )
    assert paused.status_code == 200, paused.content
    assert len(api.get(f"{PEOPLE}{person}/transitions/").json()) == 5
