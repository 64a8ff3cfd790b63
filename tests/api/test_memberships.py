"""/api/v1/memberships/: lists and removes the roles visible to the caller."""

import uuid

import pytest

from franchise.models import Membership, Role
from tests.factories import MembershipFactory, PartnerFactory, user_with_role


def _roles(response):
    assert response.status_code == 200, response.content
    return sorted((row["email"], row["role"]) for row in response.json()["results"])


def test_a_coordinator_sees_their_partners_roles_and_no_other(
    client_for, coordinator, trainer, mentor_user, other_coordinator
):
    assert _roles(client_for(coordinator).get("/api/v1/memberships/")) == [
        ("coord@example.org", "coordinator"),
        ("mentor@example.org", "mentor"),
        ("trainer@example.org", "trainer"),
    ]


@pytest.mark.parametrize("fixture", ["trainer", "supervisor", "mentor_user"])
def test_other_roles_see_only_their_own_memberships(request, client_for, coordinator, fixture):
    user = request.getfixturevalue(fixture)
    rows = _roles(client_for(user).get("/api/v1/memberships/"))
    assert rows == [(user.email, user.memberships.get().role)]


def test_a_licensor_admin_sees_every_membership(client_for, licensor, coordinator, other_coordinator):
    assert len(_roles(client_for(licensor).get("/api/v1/memberships/"))) == 3


def test_the_fields_of_a_membership(client_for, coordinator, partner):
    row = client_for(coordinator).get("/api/v1/memberships/").json()["results"][0]
    assert set(row) == {"id", "user", "email", "name", "partner", "partner_name", "role", "created_at"}
    assert (row["partner"], row["partner_name"]) == (str(partner.pk), partner.name)


def test_a_coordinator_removes_a_role_in_their_partner(client_for, coordinator, trainer):
    membership = trainer.memberships.get()
    assert client_for(coordinator).delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_mentor_may_see_but_not_remove_their_own_role(client_for, mentor_user):
    membership = mentor_user.memberships.get()
    client = client_for(mentor_user)
    assert client.get(f"/api/v1/memberships/{membership.pk}/").status_code == 200
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_role_in_another_partner_is_404(client_for, coordinator, other_coordinator):
    membership = other_coordinator.memberships.get()
    client = client_for(coordinator)
    assert client.get(f"/api/v1/memberships/{membership.pk}/").status_code == 404
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_memberships_cannot_be_created_or_changed_here(client_for, licensor, coordinator, partner):
    membership = coordinator.memberships.get()
    client = client_for(licensor)
    assert (
        client.post("/api/v1/memberships/", {"user": str(coordinator.pk), "partner": str(partner.pk)}).status_code
        == 405
    )
    assert client.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "mentor"}).status_code == 405


def test_the_last_licensor_admin_cannot_be_removed(client_for, licensor):
    membership = licensor.memberships.get()
    response = client_for(licensor).delete(f"/api/v1/memberships/{membership.pk}/")
    assert response.status_code == 400
    assert "last licensor admin" in response.json()["non_field_errors"][0]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_licensor_admin_removes_another_licensor_admin(client_for, licensor):
    other = user_with_role(Role.LICENSOR_ADMIN)
    membership = other.memberships.get()
    assert client_for(licensor).delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_filtering_by_a_partner_of_another_tenant_answers_like_an_unknown_partner(
    client_for, coordinator, other_partner
):
    client = client_for(coordinator)
    foreign = client.get(f"/api/v1/memberships/?partner={other_partner.pk}")
    unknown = client.get(f"/api/v1/memberships/?partner={uuid.uuid4()}")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json().keys() == unknown.json().keys() == {"partner"}


def test_filters_by_partner_role_and_user(client_for, licensor, coordinator, trainer, other_coordinator, partner):
    client = client_for(licensor)
    assert len(_roles(client.get(f"/api/v1/memberships/?partner={partner.pk}"))) == 2
    assert _roles(client.get("/api/v1/memberships/?role=trainer")) == [("trainer@example.org", "trainer")]
    assert _roles(client.get(f"/api/v1/memberships/?user={trainer.pk}")) == [("trainer@example.org", "trainer")]
    assert _roles(client.get(f"/api/v1/memberships/?user={uuid.uuid4()}")) == []


def test_the_membership_list_runs_the_same_queries_for_3_or_30_rows(
    token_client_for, django_assert_num_queries, coordinator, partner
):
    client = token_client_for(coordinator)
    for _ in range(2):
        MembershipFactory(partner=partner, role=Role.MENTOR)
    with django_assert_num_queries(4):  # token+user, access, count, page with users and partners
        assert client.get("/api/v1/memberships/").json()["count"] == 3
    for _ in range(27):
        MembershipFactory(partner=partner, role=Role.MENTOR)
    MembershipFactory(partner=PartnerFactory(), role=Role.MENTOR)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/memberships/").json()["count"] == 30
