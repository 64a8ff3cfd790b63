"""/api/v1/boundary-rules/: baseline rules for every partner (licensor only), and each partner's own."""

import pytest

from franchise.models import BoundaryRule, PolicyVersion, Role
from tests.factories import user_with_role
from tests.franchise.factories import BoundaryRuleFactory

URL = "/api/v1/boundary-rules/"
RULE = {
    "code": "N-9",
    "title": "No lifts in personal cars",
    "description": "Mentors do not give mentees lifts in their own cars.",
    "category": "dual_relationship",
}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_members_see_baseline_and_their_own_rules(client_for, partner, other_partner, role):
    baseline = BoundaryRuleFactory(baseline=True, code="B-1")
    own = BoundaryRuleFactory(partner=partner, code="N-1")
    BoundaryRuleFactory(partner=other_partner, code="H-1")

    response = client_for(user_with_role(role, partner)).get(URL)

    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(baseline.pk), str(own.pk)]
    assert set(rows[0]) == {"id", "partner", "code", "title", "description", "category", "mandatory", "retired_at"}
    assert rows[0]["partner"] is None


def test_rules_filter_by_baseline(client_for, coordinator, partner):
    BoundaryRuleFactory(baseline=True, code="B-1")
    BoundaryRuleFactory(partner=partner, code="N-1")

    rows = client_for(coordinator).get(URL, {"baseline": "true"}).json()["results"]

    assert [row["code"] for row in rows] == ["B-1"]


def test_a_coordinator_adds_a_rule_to_their_partner_and_a_version_follows(client_for, coordinator, partner):
    response = client_for(coordinator).post(URL, {**RULE, "partner": str(partner.pk), "mandatory": False})

    assert response.status_code == 201, response.content
    assert response.json()["partner"] == str(partner.pk)
    version = PolicyVersion.objects.get(partner=partner)
    assert [r["code"] for r in version.boundary_rules] == ["N-9"]


def test_a_coordinator_may_not_add_a_baseline_rule(client_for, coordinator):
    response = client_for(coordinator).post(URL, RULE)

    assert response.status_code == 403
    assert not BoundaryRule.objects.exists()


def test_a_coordinator_may_not_change_or_remove_a_baseline_rule(client_for, coordinator):
    rule = BoundaryRuleFactory(baseline=True)
    client = client_for(coordinator)

    assert client.patch(f"{URL}{rule.pk}/", {"title": "Softer"}).status_code == 403
    assert client.delete(f"{URL}{rule.pk}/").status_code == 403
    rule.refresh_from_db()
    assert (rule.title, rule.retired_at) == ("Meet only in agreed public places", None)


def test_the_licensor_adds_a_baseline_rule_which_must_be_mandatory(client_for, licensor, partner):
    client = client_for(licensor)

    assert client.post(URL, {**RULE, "mandatory": False}).json() == {
        "mandatory": ["Baseline rules are mandatory for every partner."]
    }
    created = client.post(URL, RULE)
    assert created.status_code == 201
    assert created.json()["partner"] is None
    assert PolicyVersion.objects.get(partner=partner).boundary_rules[0]["code"] == "N-9"


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_only_read_rules(client_for, partner, role):
    rule = BoundaryRuleFactory(partner=partner)
    client = client_for(user_with_role(role, partner))

    assert client.post(URL, {**RULE, "partner": str(partner.pk)}).status_code == 403
    assert client.patch(f"{URL}{rule.pk}/", {"title": "Changed"}).status_code == 403
    assert client.delete(f"{URL}{rule.pk}/").status_code == 403
    assert BoundaryRule.objects.get(pk=rule.pk).title == rule.title


def test_a_rule_for_another_partner_is_404(client_for, coordinator, other_partner):
    rule = BoundaryRuleFactory(partner=other_partner)
    client = client_for(coordinator)

    assert client.get(f"{URL}{rule.pk}/").status_code == 404
    assert client.post(URL, {**RULE, "partner": str(other_partner.pk)}).status_code == 404
    assert BoundaryRule.objects.count() == 1


def test_deleting_a_rule_retires_it(client_for, coordinator, partner):
    rule = BoundaryRuleFactory(partner=partner)
    client = client_for(coordinator)

    assert client.delete(f"{URL}{rule.pk}/").status_code == 204

    assert client.get(URL).json()["count"] == 0
    assert client.get(URL, {"retired": "true"}).json()["results"][0]["retired_at"] is not None
    assert BoundaryRule.objects.filter(pk=rule.pk).exists()


def test_a_code_in_force_is_400(client_for, coordinator, partner):
    BoundaryRuleFactory(baseline=True, code="N-9")

    response = client_for(coordinator).post(URL, {**RULE, "partner": str(partner.pk)})

    assert response.json() == {"code": ["The code 'N-9' is taken by a rule in force."]}


def test_the_rule_list_runs_a_fixed_number_of_queries(
    token_client_for, coordinator, partner, django_assert_max_num_queries
):
    client = token_client_for(coordinator)
    BoundaryRuleFactory.create_batch(3, partner=partner)
    with django_assert_max_num_queries(4) as few:
        client.get(URL, {"page_size": 200})
    BoundaryRuleFactory.create_batch(27, partner=partner)

    with django_assert_max_num_queries(4) as many:
        assert client.get(URL, {"page_size": 200}).json()["count"] == 30

    assert len(many.captured_queries) == len(few.captured_queries)
