"""/api/v1/incidents/, /incident-actions/, /incident-stats/: what HTTP adds — status codes, field names,
who sees what, the access log written on read, and query counts."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import services as franchise_services
from franchise.models import Role
from supervision.models import BoundaryIncident, IncidentAccess, IncidentAction, IncidentDiscussion, IncidentTransition
from tests.factories import user_with_role
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    IncidentActionFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionSessionFactory,
)

URL = "/api/v1/incidents/"
ACTIONS = "/api/v1/incident-actions/"
STATS = "/api/v1/incident-stats/"
SUMMARY = {
    "id",
    "partner",
    "reporter",
    "mentor",
    "match",
    "rule",
    "category",
    "severity",
    "occurred_at",
    "status",
    "review_due_at",
    "reviewed_at",
    "escalated_at",
    "closed_at",
}
DETAIL = SUMMARY | {
    "description",
    "immediate_action",
    "policy_version",
    "allowed_transitions",
    "chronology",
    "discussions",
}
STORY = "Met the mentee at her flat and stayed for dinner with her children."


@pytest.fixture
def mentor(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, active_mentor=True, name="Mo Mentor")


@pytest.fixture
def supervisor_person(partner, supervisor):
    return PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")


@pytest.fixture
def rule(partner):
    return BoundaryRuleFactory(partner=partner, code="NS-1", category="dual_relationship")


@pytest.fixture
def incident(partner, mentor, rule):
    return BoundaryIncidentFactory(partner=partner, mentor=mentor, rule=rule, description=STORY)


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def new_report(mentor, rule, **overrides):
    return {
        "mentor": str(mentor.pk),
        "rule": str(rule.pk),
        "severity": "high",
        "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),
        "description": STORY,
        "immediate_action": "Coordinator phoned the mentee to check she was safe.",
        **overrides,
    }


# --- the coordinator's story ------------------------------------------------------------


def test_a_coordinator_records_reviews_escalates_and_closes_an_incident(
    client_for, coordinator, licensor, partner, mentor, rule, supervisor, supervisor_person
):
    client = client_for(coordinator)

    created = post(client, URL, new_report(mentor, rule))
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == DETAIL
    assert (body["status"], body["category"], body["reporter"]) == (
        "reported",
        "dual_relationship",
        str(coordinator.pk),
    )
    incident_url = f"{URL}{body['id']}/"

    assert (
        post(client, f"{incident_url}transition/", {"to": "under_review", "note": "Spoke to both."}).status_code == 200
    )
    escalated = post(client, f"{incident_url}transition/", {"to": "escalated", "note": "Children involved."})
    assert escalated.json()["status"] == "escalated"

    action = post(
        client,
        ACTIONS,
        {
            "incident": body["id"],
            "owner": str(mentor.pk),
            "description": "Refresher on dual relationships.",
            "due_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
    )
    assert action.status_code == 201, action.content
    assert {"id", "incident", "owner", "description", "due_on", "done_at"} <= set(action.json())
    licensor_client = client_for(licensor)
    assert (
        post(licensor_client, f"{incident_url}transition/", {"to": "action_agreed", "note": "Agreed."}).status_code
        == 200
    )
    assert post(client, f"{ACTIONS}{action.json()['id']}/done/").json()["done_at"]

    session_start = timezone.now() - timedelta(hours=2)
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    session = SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentor,
        starts_at=session_start,
        ends_at=session_start + timedelta(hours=1),
    )
    noted = post(
        client_for(supervisor),
        f"{URL}discussions/",
        {"incident": body["id"], "session": str(session.pk), "note": "Talked about wanting to rescue."},
    )
    assert noted.status_code == 201, noted.content

    closed = post(client, f"{incident_url}transition/", {"to": "closed", "note": "Actions done, reflected on."})
    assert closed.status_code == 200, closed.content
    detail = client.get(incident_url).json()
    assert [(step["from_status"], step["to_status"]) for step in detail["chronology"]] == [
        ("reported", "under_review"),
        ("under_review", "escalated"),
        ("escalated", "action_agreed"),
        ("action_agreed", "closed"),
    ]
    assert detail["chronology"][2]["by"] == str(licensor.pk)
    assert [d["note"] for d in detail["discussions"]] == ["Talked about wanting to rescue."]


def test_a_critical_report_plans_the_immediate_notification(
    client_for, coordinator, mentor, rule, django_capture_on_commit_callbacks
):
    from supervision.incidents import signals

    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.incident_reported.connect(receiver, dispatch_uid="api-test")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client_for(coordinator), URL, new_report(mentor, rule, severity="critical"))
    finally:
        signals.incident_reported.disconnect(dispatch_uid="api-test")
    assert response.status_code == 201
    assert [(r["incident_id"], r["severity"]) for r in received] == [(BoundaryIncident.objects.get().pk, "critical")]


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"occurred_at": "2999-01-01T10:00:00+00:00"}, "occurred_at"),
        ({"severity": "catastrophic"}, "severity"),
        ({"description": ""}, "description"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_nothing_is_written(
    client_for, coordinator, mentor, rule, overrides, field
):
    response = post(client_for(coordinator), URL, new_report(mentor, rule, **overrides))
    assert response.status_code == 400
    assert field in response.json()
    assert not BoundaryIncident.objects.exists()
    assert not IncidentAccess.objects.exists()


def test_a_rule_of_another_partner_is_answered_like_a_missing_one(client_for, coordinator, mentor, other_partner):
    response = post(client_for(coordinator), URL, new_report(mentor, BoundaryRuleFactory(partner=other_partner)))
    assert response.status_code == 400
    assert "rule" in response.json()
    assert not BoundaryIncident.objects.exists()


def test_partner_reporter_and_status_are_not_the_clients_to_set(client_for, coordinator, mentor, rule, other_partner):
    body = new_report(mentor, rule, status="closed", partner=str(other_partner.pk), reporter="someone")
    created = post(client_for(coordinator), URL, body).json()
    assert (created["status"], created["partner"], created["reporter"]) == (
        "reported",
        str(mentor.partner_id),
        str(coordinator.pk),
    )


def test_a_mentor_reports_and_then_sees_their_own_report(client_for, mentor_user, mentor, rule):
    client = client_for(mentor_user)
    created = post(client, URL, new_report(mentor, rule))
    assert created.status_code == 201, created.content
    assert client.get(f"{URL}{created.json()['id']}/").status_code == 200
    assert client.get(URL).json()["count"] == 1


# --- the workflow over HTTP -------------------------------------------------------------


def test_an_illegal_move_is_409_with_the_allowed_ones_and_nothing_is_written(client_for, coordinator, incident):
    response = post(client_for(coordinator), f"{URL}{incident.pk}/transition/", {"to": "closed", "note": "Done."})
    assert response.status_code == 409
    assert response.json()["allowed"] == ["escalated", "under_review"]
    assert BoundaryIncident.objects.get(pk=incident.pk).status == "reported"
    assert not IncidentTransition.objects.exists()
    assert not IncidentAccess.objects.exists()


def test_closing_with_open_requirements_is_400_listing_them(client_for, coordinator, partner, mentor):
    incident = BoundaryIncidentFactory(partner=partner, mentor=mentor, action_agreed=True)
    IncidentActionFactory(partner=partner, incident=incident)
    response = post(client_for(coordinator), f"{URL}{incident.pk}/transition/", {"to": "closed", "note": "Done."})
    assert response.status_code == 400
    assert {item["code"] for item in response.json()["unmet"]} == {"actions_open", "reflection_missing"}


def test_a_move_without_a_note_is_400(client_for, coordinator, incident):
    response = post(client_for(coordinator), f"{URL}{incident.pk}/transition/", {"to": "under_review", "note": ""})
    assert response.status_code == 400
    assert "note" in response.json()


def test_the_reporter_may_read_but_not_move_their_report(client_for, mentor_user, partner, mentor):
    incident = BoundaryIncidentFactory(partner=partner, mentor=mentor, reporter=mentor_user)
    response = post(client_for(mentor_user), f"{URL}{incident.pk}/transition/", {"to": "under_review", "note": "x"})
    assert response.status_code == 403
    assert BoundaryIncident.objects.get(pk=incident.pk).status == "reported"


def test_a_coordinator_corrects_the_severity(client_for, coordinator, incident):
    response = client_for(coordinator).patch(f"{URL}{incident.pk}/", {"severity": "critical"}, format="json")
    assert response.status_code == 200
    assert BoundaryIncident.objects.get(pk=incident.pk).severity == "critical"


def test_the_description_is_not_rewritten(client_for, coordinator, incident):
    client_for(coordinator).patch(f"{URL}{incident.pk}/", {"description": "Nothing happened."}, format="json")
    assert BoundaryIncident.objects.get(pk=incident.pk).description == STORY


def test_incidents_are_never_deleted(client_for, coordinator, incident):
    assert client_for(coordinator).delete(f"{URL}{incident.pk}/").status_code == 405
    assert BoundaryIncident.objects.filter(pk=incident.pk).exists()


# --- who sees what ----------------------------------------------------------------------


def test_the_licensor_gets_404_before_escalation_and_the_detail_after(client_for, licensor, coordinator, incident):
    client = client_for(licensor)
    for url in (f"{URL}{incident.pk}/", f"{URL}{incident.pk}/access-log/"):
        assert client.get(url).status_code == 404
    assert post(client, f"{URL}{incident.pk}/transition/", {"to": "under_review", "note": "x"}).status_code == 404
    assert client.get(URL).json()["count"] == 0

    post(client_for(coordinator), f"{URL}{incident.pk}/transition/", {"to": "escalated", "note": "Serious."})

    detail = client.get(f"{URL}{incident.pk}/")
    assert detail.status_code == 200
    assert detail.json()["description"] == STORY
    assert client.get(URL).json()["count"] == 1


def test_a_mentor_who_did_not_report_gets_404_even_about_themselves(client_for, mentor_user, incident):
    assert incident.mentor.user == mentor_user
    client = client_for(mentor_user)
    assert client.get(f"{URL}{incident.pk}/").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_a_supervisor_sees_the_incidents_of_their_supervisee_only_where_the_policy_allows(
    client_for, supervisor, supervisor_person, coordinator, partner, incident, mentor
):
    # The coordinator's decision that the supervisor supervises the mentor.
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    client = client_for(supervisor)
    assert client.get(f"{URL}{incident.pk}/").status_code == 404

    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"supervisors_see_incidents": True}
    )
    assert client.get(f"{URL}{incident.pk}/").json()["description"] == STORY


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_members_of_the_partner_get_404(client_for, partner, incident, role):
    assert client_for(user_with_role(role, partner)).get(f"{URL}{incident.pk}/").status_code == 404


def test_a_coordinator_of_another_partner_gets_404(client_for, other_coordinator, incident):
    assert client_for(other_coordinator).get(f"{URL}{incident.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["coordinator", "licensor", "reporter"])
def test_lists_never_carry_the_description(client_for, who, coordinator, licensor, partner, mentor_user):
    BoundaryIncidentFactory(partner=partner, escalated=True, reporter=mentor_user, description=STORY)
    user = {"coordinator": coordinator, "licensor": licensor, "reporter": mentor_user}[who]
    response = client_for(user).get(URL)
    assert response.json()["count"] == 1
    assert set(response.json()["results"][0]) == SUMMARY
    assert STORY not in response.content.decode()


# --- the access log ---------------------------------------------------------------------


def test_each_read_of_the_detail_is_written_to_the_access_log(client_for, coordinator, incident):
    client = client_for(coordinator)
    client.get(f"{URL}{incident.pk}/")
    client.get(f"{URL}{incident.pk}/")
    client.get(URL)  # a list shows no description: not a read of one
    assert list(IncidentAccess.objects.values_list("user", "action")) == [(coordinator.pk, "read")] * 2


def test_the_access_log_is_for_coordinators_and_the_licensor(client_for, coordinator, licensor, partner, mentor_user):
    incident = BoundaryIncidentFactory(partner=partner, escalated=True, reporter=mentor_user)
    client_for(mentor_user).get(f"{URL}{incident.pk}/")

    log = client_for(coordinator).get(f"{URL}{incident.pk}/access-log/")
    assert log.status_code == 200
    assert [(e["user"], e["action"]) for e in log.json()["results"]] == [(str(mentor_user.pk), "read")]
    assert set(log.json()["results"][0]) == {"at", "user", "user_name", "action", "detail"}
    assert client_for(licensor).get(f"{URL}{incident.pk}/access-log/").status_code == 200
    assert client_for(mentor_user).get(f"{URL}{incident.pk}/access-log/").status_code == 403


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_the_access_log_cannot_be_written_through_the_api(client_for, coordinator, incident, method):
    response = getattr(client_for(coordinator), method)(f"{URL}{incident.pk}/access-log/", {}, format="json")
    assert response.status_code == 405


# --- actions ----------------------------------------------------------------------------


def test_dropping_an_action_needs_a_note(client_for, coordinator, partner):
    action = IncidentActionFactory(partner=partner)
    client = client_for(coordinator)
    assert post(client, f"{ACTIONS}{action.pk}/drop/", {"note": ""}).status_code == 400
    dropped = post(client, f"{ACTIONS}{action.pk}/drop/", {"note": "Match ended."})
    assert dropped.status_code == 200
    assert dropped.json()["drop_note"] == "Match ended."


def test_actions_are_seen_with_their_incident(client_for, mentor_user, partner, coordinator):
    IncidentActionFactory(partner=partner)
    own = IncidentActionFactory(partner=partner, incident__reporter=mentor_user)
    assert [a["id"] for a in client_for(mentor_user).get(ACTIONS).json()["results"]] == [str(own.pk)]
    assert client_for(coordinator).get(ACTIONS).json()["count"] == 2


def test_an_action_on_an_incident_the_caller_cannot_see_is_refused(client_for, other_coordinator, incident):
    response = post(
        client_for(other_coordinator),
        ACTIONS,
        {"incident": str(incident.pk), "description": "x", "due_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "incident" in response.json()
    assert not IncidentAction.objects.exists()


# --- the supervision agenda -------------------------------------------------------------


def test_the_agenda_of_a_one_to_one_lists_the_supervisees_open_incidents_without_their_story(
    client_for, supervisor, supervisor_person, partner, mentor, incident, coordinator
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    session = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    BoundaryIncidentFactory(partner=partner, mentor=mentor, safeguarding=True)
    for user in (supervisor, coordinator):
        response = client_for(user).get(f"{URL}agenda/", {"session": str(session.pk)})
        assert response.status_code == 200
        assert [item["id"] for item in response.json()["results"]] == [str(incident.pk)]
        assert set(response.json()["results"][0]) == {"id", "rule", "category", "severity", "occurred_at", "status"}
        assert STORY not in response.content.decode()


def test_the_supervisee_does_not_read_the_agenda(client_for, supervisor_person, partner, mentor, mentor_user):
    session = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    assert client_for(mentor_user).get(f"{URL}agenda/", {"session": str(session.pk)}).status_code == 403


def test_the_agenda_of_another_partners_session_is_404(client_for, coordinator, other_partner):
    session = SupervisionSessionFactory(partner=other_partner)
    assert client_for(coordinator).get(f"{URL}agenda/", {"session": str(session.pk)}).status_code == 404


def test_the_agenda_needs_a_session(client_for, coordinator):
    response = client_for(coordinator).get(f"{URL}agenda/")
    assert response.status_code == 400
    assert "session" in response.json()


def test_a_note_on_an_incident_off_the_agenda_is_400(client_for, coordinator, partner, supervisor_person, mentor):
    session = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor, held=True)
    elsewhere = BoundaryIncidentFactory(partner=partner)
    response = post(
        client_for(coordinator),
        f"{URL}discussions/",
        {"incident": str(elsewhere.pk), "session": str(session.pk), "note": "x"},
    )
    assert response.status_code == 400
    assert "incident" in response.json()
    assert not IncidentDiscussion.objects.exists()


def test_a_reporter_who_was_not_in_the_session_does_not_read_the_reflective_note(
    client_for, coordinator, mentor_user, partner
):
    from tests.supervision.factories import IncidentDiscussionFactory

    reporter = user_with_role(Role.MENTOR, partner)
    incident = BoundaryIncidentFactory(partner=partner, reporter=reporter)
    IncidentDiscussionFactory(partner=partner, incident=incident, note="What the mentor said in supervision.")
    assert [d["note"] for d in client_for(reporter).get(f"{URL}{incident.pk}/").json()["discussions"]] == [None]
    assert [d["note"] for d in client_for(coordinator).get(f"{URL}{incident.pk}/").json()["discussions"]] == [
        "What the mentor said in supervision."
    ]


def test_reading_the_detail_runs_a_constant_number_of_queries(
    token_client_for, django_assert_max_num_queries, coordinator, partner
):
    from tests.supervision.factories import IncidentDiscussionFactory, IncidentTransitionFactory

    incident = BoundaryIncidentFactory(partner=partner, under_review=True)
    client = token_client_for(coordinator)
    for count in (1, 10):
        while incident.transitions.count() < count:
            IncidentTransitionFactory(partner=partner, incident=incident)
            IncidentDiscussionFactory(partner=partner, incident=incident)
        # Six, and one for the policy's requires_two_factor (franchise.two_factor).
        with django_assert_max_num_queries(7):
            assert len(client.get(f"{URL}{incident.pk}/").json()["chronology"]) == count


# --- fidelity figures -------------------------------------------------------------------

STATS_FIELDS = {
    "partner",
    "month",
    "category",
    "severity",
    "count",
    "review_due",
    "reviewed_on_time",
    "reviewed_on_time_share",
}


@pytest.fixture
def figures(partner, other_partner, mentor, mentor_user):
    BoundaryIncidentFactory(partner=partner, mentor=mentor, reporter=mentor_user, description=STORY)
    BoundaryIncidentFactory(partner=partner, mentor=mentor, severity="critical", description=STORY, escalated=True)
    BoundaryIncidentFactory(partner=other_partner, description=STORY)


def test_the_licensor_reads_every_partners_figures_without_a_description_or_a_person(
    client_for, licensor, figures, partner, other_partner, mentor, mentor_user
):
    response = client_for(licensor).get(STATS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["partner"] for row in rows} == {str(partner.pk), str(other_partner.pk)}
    assert sum(row["count"] for row in rows) == 3
    assert all(set(row) == STATS_FIELDS for row in rows)
    text = response.content.decode()
    for sensitive in (STORY, str(mentor.pk), mentor.name, str(mentor_user.pk), "description", "reporter", "mentor"):
        assert sensitive not in text
    assert {row["month"] for row in rows} == {(timezone.localtime() - timedelta(days=2)).strftime("%Y-%m")}


def test_a_coordinator_reads_their_own_partners_figures(client_for, coordinator, figures, partner):
    rows = client_for(coordinator).get(STATS).json()["results"]
    assert {row["partner"] for row in rows} == {str(partner.pk)}
    assert sum(row["count"] for row in rows) == 2


def test_the_figures_filter_by_severity(client_for, licensor, figures):
    rows = client_for(licensor).get(STATS, {"severity": "critical"}).json()["results"]
    assert [(row["severity"], row["count"]) for row in rows] == [("critical", 1)]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_get_403_for_the_figures(client_for, partner, role):
    assert client_for(user_with_role(role, partner)).get(STATS).status_code == 403


# --- query counts -----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "user"), [(URL, "coordinator"), (URL, "supervisor"), (ACTIONS, "coordinator")])
def test_the_lists_run_a_constant_number_of_queries(
    token_client_for,
    django_assert_max_num_queries,
    coordinator,
    supervisor,
    supervisor_person,
    partner,
    mentor,
    url,
    user,
):
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"supervisors_see_incidents": True}
    )
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    client = token_client_for({"coordinator": coordinator, "supervisor": supervisor}[user])

    def grow_to(n):
        while BoundaryIncident.objects.count() < n:
            IncidentActionFactory(partner=partner, incident__mentor=mentor)

    grow_to(3)
    with django_assert_max_num_queries(4):
        assert client.get(url).json()["count"] == 3
    grow_to(30)
    with django_assert_max_num_queries(4):
        assert client.get(url).json()["count"] == 30


def test_the_figures_run_a_constant_number_of_queries(token_client_for, django_assert_num_queries, licensor, partner):
    client = token_client_for(licensor)
    BoundaryIncidentFactory.create_batch(3, partner=partner)
    # The token, the caller's memberships, the page's count, and the one grouped query.
    with django_assert_num_queries(4):
        assert client.get(STATS).status_code == 200
    for severity in ("low", "high", "critical"):
        BoundaryIncidentFactory.create_batch(10, partner=partner, severity=severity)
    with django_assert_num_queries(4):
        assert len(client.get(STATS).json()["results"]) == 4
