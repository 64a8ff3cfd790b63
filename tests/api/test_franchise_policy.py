"""The policy over HTTP: the baseline, a partner's effective policy, its versions and acknowledgements."""

import pytest

from franchise import services
from franchise.models import BaselinePolicy, PolicyAcknowledgement, PolicyOverride, PolicyVersion, Role
from supervision.models import Person
from tests.factories import user_with_role
from tests.franchise.factories import BoundaryRuleFactory, PolicyVersionFactory
from tests.supervision.factories import PersonFactory

BASELINE = "/api/v1/policy/baseline/"

EFFECTIVE_FIELDS = {
    "partner",
    "version",
    "effective_from",
    "reason",
    "supervision_interval_days",
    "peer_group_min_size",
    "peer_group_max_size",
    "peer_group_trained_majority",
    "shadowing_hours_required",
    "requires_background_check",
    "requires_two_factor",
    "incident_review_hours",
    "session_reminder_hours",
    "expiry_reminder_days",
    "max_active_matches",
    "supervisors_see_incidents",
    "incident_retention_years",
    "co_taught_sessions_required",
    "accreditation_validity_months",
    "deliveries_required_per_period",
    "cpd_hours_required_per_period",
    "overridden",
    "boundary_rules",
    "acknowledged",
}


def policy_url(partner, tail=""):
    return f"/api/v1/partners/{partner.pk}/policy/{tail}"


# --- baseline -------------------------------------------------------------------------


def test_everyone_signed_in_reads_the_baseline(client_for, mentor_user):
    body = client_for(mentor_user).get(BASELINE).json()

    assert body["supervision_interval_days"] == 42
    assert body["incident_review_hours"] == {"low": 168, "medium": 168, "high": 48, "critical": 24}
    assert body["expiry_reminder_days"] == [90, 30, 7]


def test_the_licensor_changes_the_baseline(client_for, licensor, partner):
    response = client_for(licensor).patch(BASELINE, {"incident_review_hours": {"critical": 12}}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["incident_review_hours"]["critical"] == 12
    assert response.json()["incident_review_hours"]["high"] == 48
    assert PolicyVersion.objects.get(partner=partner).values["incident_review_hours_critical"] == 12


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.MENTOR])
def test_partner_users_may_not_change_the_baseline(client_for, partner, role):
    response = client_for(user_with_role(role, partner)).patch(BASELINE, {"supervision_interval_days": 90})

    assert response.status_code == 403
    assert BaselinePolicy.load().supervision_interval_days == 42


def test_unknown_or_malformed_baseline_fields_are_400(client_for, licensor):
    client = client_for(licensor)

    assert client.patch(BASELINE, {"supervision_every": 3}).json() == {"supervision_every": ["Not a policy field."]}
    assert client.patch(BASELINE, {"incident_review_hours": {"urgent": 3}}, format="json").status_code == 400
    assert client.patch(BASELINE, {"supervision_interval_days": "often"}).status_code == 400
    assert client.patch(BASELINE, {"supervision_interval_days": 0}).status_code == 400
    assert BaselinePolicy.load().supervision_interval_days == 42


# --- effective policy -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_every_member_reads_the_effective_policy(client_for, partner, role):
    BoundaryRuleFactory(baseline=True, code="B-1")
    BoundaryRuleFactory(partner=partner, code="N-1")
    PolicyVersionFactory(partner=partner)

    response = client_for(user_with_role(role, partner)).get(policy_url(partner))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == EFFECTIVE_FIELDS
    assert body["partner"] == str(partner.pk)
    assert body["version"] == 1
    assert body["acknowledged"] is False


def test_the_policy_lists_baseline_and_partner_rules(client_for, coordinator, partner, other_partner):
    BoundaryRuleFactory(baseline=True, code="B-1")
    BoundaryRuleFactory(partner=partner, code="N-1")
    BoundaryRuleFactory(partner=other_partner, code="H-1")

    rules = client_for(coordinator).get(policy_url(partner)).json()["boundary_rules"]

    assert [(r["code"], r["baseline"]) for r in rules] == [("B-1", True), ("N-1", False)]
    assert set(rules[0]) == {"id", "code", "title", "description", "category", "mandatory", "baseline"}


def test_a_coordinator_tightens_the_policy_and_gets_a_new_version(client_for, coordinator, partner):
    response = client_for(coordinator).patch(
        policy_url(partner), {"supervision_interval_days": 28, "incident_review_hours": {"high": 36}}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["supervision_interval_days"], body["incident_review_hours"]["high"]) == (1, 28, 36)
    assert body["overridden"] == ["incident_review_hours.high", "supervision_interval_days"]


def test_loosening_is_400_naming_the_field_and_baseline_and_writes_nothing(client_for, coordinator, partner):
    response = client_for(coordinator).patch(
        policy_url(partner), {"supervision_interval_days": 60, "requires_background_check": False}
    )

    assert response.status_code == 400
    assert response.json() == {
        "supervision_interval_days": ["Partners may only lower this; it may not be above the baseline of 42 days."],
        "requires_background_check": ["The baseline has this switched on, and partners cannot switch it off."],
    }
    assert not PolicyOverride.objects.exists()
    assert not PolicyVersion.objects.exists()


def test_a_partner_cannot_set_a_licensor_only_field(client_for, coordinator, partner):
    response = client_for(coordinator).patch(policy_url(partner), {"cpd_hours_required_per_period": 10})

    assert response.status_code == 400
    assert "licensing organisation" in response.json()["cpd_hours_required_per_period"][0]


def test_null_returns_a_field_to_the_baseline(client_for, coordinator, partner):
    client = client_for(coordinator)
    client.patch(policy_url(partner), {"supervision_interval_days": 28})

    body = client.patch(policy_url(partner), {"supervision_interval_days": None}, format="json").json()

    assert (body["supervision_interval_days"], body["version"], body["overridden"]) == (42, 2, [])


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_may_not_change_the_policy(client_for, partner, role):
    response = client_for(user_with_role(role, partner)).patch(policy_url(partner), {"supervision_interval_days": 28})

    assert response.status_code == 403
    assert not PolicyOverride.objects.exists()


def test_the_licensor_changes_a_partners_policy(client_for, licensor, partner):
    assert client_for(licensor).patch(policy_url(partner), {"max_active_matches": 2}).json()["max_active_matches"] == 2


def test_another_partners_policy_is_404(client_for, coordinator, other_partner):
    client = client_for(coordinator)

    for tail in ("", "versions/", "unacknowledged/"):
        assert client.get(policy_url(other_partner, tail)).status_code == 404
    assert client.patch(policy_url(other_partner), {"supervision_interval_days": 28}).status_code == 404
    assert client.post(policy_url(other_partner, "acknowledge/")).status_code == 404
    assert not PolicyVersion.objects.exists()


def test_the_effective_policy_runs_a_fixed_number_of_queries(
    token_client_for, coordinator, partner, django_assert_max_num_queries
):
    for n in range(10):
        BoundaryRuleFactory(partner=partner, code=f"N-{n}")
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 28})
    client = token_client_for(coordinator)

    # token, membership, partner, version in force, the caller's acknowledgement
    with django_assert_max_num_queries(5):
        response = client.get(policy_url(partner))

    assert len(response.json()["boundary_rules"]) == 10


# --- versions -----------------------------------------------------------------------------


def test_coordinators_read_the_version_history_newest_first(client_for, licensor, coordinator, partner):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 35})
    services.update_baseline(by=licensor, changes={"supervision_interval_days": 30})

    response = client_for(coordinator).get(policy_url(partner, "versions/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["number"] for row in rows] == [2, 1]
    assert set(rows[0]) == {
        "id",
        "number",
        "effective_from",
        "changed_by",
        "changed_by_name",
        "reason",
        "values",
        "overridden",
        "fallbacks",
        "boundary_rules",
    }
    assert rows[0]["values"]["supervision_interval_days"] == 30
    assert rows[0]["fallbacks"] == [{"field": "supervision_interval_days", "override": 35, "baseline": 30}]
    assert rows[0]["changed_by_name"] == "Lena Licensor"


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_do_not_read_the_history(client_for, partner, role):
    assert client_for(user_with_role(role, partner)).get(policy_url(partner, "versions/")).status_code == 403


def test_the_version_list_runs_a_fixed_number_of_queries(
    token_client_for, coordinator, partner, django_assert_max_num_queries
):
    client = token_client_for(coordinator)
    PolicyVersionFactory.create_batch(3, partner=partner)
    with django_assert_max_num_queries(5) as few:
        client.get(policy_url(partner, "versions/"), {"page_size": 200})
    PolicyVersionFactory.create_batch(27, partner=partner)

    with django_assert_max_num_queries(5) as many:
        assert client.get(policy_url(partner, "versions/"), {"page_size": 200}).json()["count"] == 30

    assert len(many.captured_queries) == len(few.captured_queries)


# --- acknowledgements ----------------------------------------------------------------------


def test_a_mentor_acknowledges_and_the_policy_says_so(client_for, mentor_user, partner):
    PolicyVersionFactory(partner=partner)
    client = client_for(mentor_user)

    first = client.post(policy_url(partner, "acknowledge/"), {"version": 1})
    again = client.post(policy_url(partner, "acknowledge/"))

    assert first.status_code == 201, first.content
    assert set(first.json()) == {
        "id",
        "partner",
        "version",
        "person",
        "person_name",
        "acknowledged_at",
        "method",
        "recorded_by",
    }
    assert (first.json()["version"], first.json()["method"]) == (1, "self")
    assert again.status_code == 200
    assert client.get(policy_url(partner)).json()["acknowledged"] is True


def test_a_new_version_needs_acknowledging_again(client_for, coordinator, mentor_user, partner):
    client = client_for(mentor_user)
    client.post(policy_url(partner, "acknowledge/"))

    client_for(coordinator).patch(policy_url(partner), {"shadowing_hours_required": 20})

    assert client.get(policy_url(partner)).json()["acknowledged"] is False


def test_acknowledging_a_superseded_version_is_400(client_for, mentor_user, partner):
    PolicyVersionFactory(partner=partner)
    PolicyVersionFactory(partner=partner)

    response = client_for(mentor_user).post(policy_url(partner, "acknowledge/"), {"version": 1})

    assert response.status_code == 400
    assert "version" in response.json()
    assert not PolicyAcknowledgement.objects.exists()


def test_a_coordinator_records_a_paper_acknowledgement(client_for, coordinator, partner):
    volunteer = PersonFactory(partner=partner, name="Val Volunteer")

    response = client_for(coordinator).post(policy_url(partner, "acknowledge/"), {"person": str(volunteer.pk)})

    assert response.status_code == 201
    assert (response.json()["person_name"], response.json()["method"]) == ("Val Volunteer", "paper")


def test_a_mentor_cannot_record_someone_elses_acknowledgement(client_for, mentor_user, partner):
    volunteer = PersonFactory(partner=partner)

    response = client_for(mentor_user).post(policy_url(partner, "acknowledge/"), {"person": str(volunteer.pk)})

    # A mentor cannot see other people, so the person is refused like a missing one.
    assert response.status_code == 400
    assert "person" in response.json()
    assert not PolicyAcknowledgement.objects.exists()


def test_a_person_of_another_partner_is_refused_like_a_missing_one(client_for, coordinator, partner, other_partner):
    stranger = PersonFactory(partner=other_partner)

    response = client_for(coordinator).post(policy_url(partner, "acknowledge/"), {"person": str(stranger.pk)})

    assert response.status_code == 400
    assert "person" in response.json()
    assert not PolicyAcknowledgement.objects.exists()


def test_coordinators_see_who_has_not_acknowledged(client_for, coordinator, trainer, supervisor, mentor_user, partner):
    PolicyVersionFactory(partner=partner)
    client_for(mentor_user).post(policy_url(partner, "acknowledge/"))
    PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor", email="supervisor@example.org")
    volunteer = PersonFactory(partner=partner, name="Val Volunteer")

    response = client_for(coordinator).get(policy_url(partner, "unacknowledged/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["name"], row["roles"]) for row in rows] == [
        ("Sam Supervisor", ["supervisor"]),
        ("Val Volunteer", []),
        ("Tariq Trainer", ["trainer"]),
    ]
    assert rows[1]["person"] == str(volunteer.pk)
    assert rows[2]["person"] is None and rows[2]["user"] == str(trainer.pk)


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_only_coordinators_read_the_unacknowledged_list(client_for, partner, role):
    assert client_for(user_with_role(role, partner)).get(policy_url(partner, "unacknowledged/")).status_code == 403


def test_the_unacknowledged_list_runs_a_fixed_number_of_queries(
    token_client_for, coordinator, partner, django_assert_max_num_queries
):
    PolicyVersionFactory(partner=partner)
    client = token_client_for(coordinator)
    PersonFactory.create_batch(3, partner=partner)
    with django_assert_max_num_queries(5) as few:
        client.get(policy_url(partner, "unacknowledged/"), {"page_size": 200})
    PersonFactory.create_batch(27, partner=partner)
    for _ in range(5):
        user_with_role(Role.MENTOR, partner)

    with django_assert_max_num_queries(5) as many:
        assert client.get(policy_url(partner, "unacknowledged/"), {"page_size": 200}).json()["count"] == 35

    assert len(many.captured_queries) == len(few.captured_queries)
    assert Person.objects.count() == 30
