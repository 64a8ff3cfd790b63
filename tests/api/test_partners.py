"""/api/v1/partners/: the licensing organisation writes; everyone else reads the partners they belong to."""

import pytest

from franchise.models import Partner, Role
from tests.factories import MembershipFactory, PartnerFactory, user_with_role


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def test_a_licensor_admin_sees_every_partner(client_for, licensor, partner, other_partner):
    assert _names(client_for(licensor).get("/api/v1/partners/")) == sorted([partner.name, other_partner.name])


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_a_partner_user_sees_only_their_own_partner(client_for, partner, other_partner, role):
    user = user_with_role(role, partner)
    assert _names(client_for(user).get("/api/v1/partners/")) == [partner.name]


def test_a_user_with_roles_in_two_partners_sees_both(client_for, partner, other_partner):
    user = user_with_role(Role.MENTOR, partner)
    MembershipFactory(user=user, partner=other_partner, role=Role.TRAINER)
    PartnerFactory(name="Third")
    assert _names(client_for(user).get("/api/v1/partners/")) == sorted([partner.name, other_partner.name])


def test_a_user_without_any_role_sees_no_partner(client_for, partner):
    user = user_with_role(Role.MENTOR, partner)
    user.memberships.all().delete()
    assert _names(client_for(user).get("/api/v1/partners/")) == []


def test_a_partner_of_another_tenant_is_404_not_403(client_for, coordinator, other_partner):
    client = client_for(coordinator)
    assert client.get(f"/api/v1/partners/{other_partner.pk}/").status_code == 404
    assert client.patch(f"/api/v1/partners/{other_partner.pk}/", {"name": "Taken over"}).status_code == 404
    other_partner.refresh_from_db()
    assert other_partner.name == "Harbour Justice Trust"


def test_a_malformed_id_is_404(client_for, licensor):
    assert client_for(licensor).get("/api/v1/partners/not-a-uuid/").status_code == 404


def test_the_licensor_creates_a_partner(client_for, licensor):
    response = client_for(licensor).post(
        "/api/v1/partners/", {"name": "Riverside Trust", "slug": "riverside", "time_zone": "Europe/Dublin"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "slug", "status", "time_zone"}
    assert body["status"] == "onboarding"
    assert Partner.objects.get(pk=body["id"]).slug == "riverside"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MENTOR])
def test_a_partner_user_may_not_create_a_partner(client_for, partner, role):
    # Refused before the input is even looked at: a taken slug would otherwise be disclosed.
    response = client_for(user_with_role(role, partner)).post("/api/v1/partners/", {"name": "X", "slug": "northside"})
    assert response.status_code == 403
    assert Partner.objects.count() == 1


def test_a_coordinator_may_read_but_not_change_their_own_partner(client_for, coordinator, partner):
    client = client_for(coordinator)
    assert client.get(f"/api/v1/partners/{partner.pk}/").json()["slug"] == "northside"
    response = client.patch(f"/api/v1/partners/{partner.pk}/", {"status": "exited"})
    assert response.status_code == 403
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ACTIVE


def test_the_licensor_changes_a_partner(client_for, licensor, partner):
    response = client_for(licensor).patch(f"/api/v1/partners/{partner.pk}/", {"status": "suspended"})
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    partner.refresh_from_db()
    assert partner.status == Partner.Status.SUSPENDED


def test_a_taken_slug_is_400_on_slug(client_for, licensor, partner, other_partner):
    response = client_for(licensor).patch(f"/api/v1/partners/{other_partner.pk}/", {"slug": "northside"})
    assert response.status_code == 400
    assert list(response.json()) == ["slug"]
    other_partner.refresh_from_db()
    assert other_partner.slug == "harbour"


def test_an_unknown_time_zone_is_400_on_time_zone(client_for, licensor):
    response = client_for(licensor).post("/api/v1/partners/", {"name": "X", "slug": "x", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert list(response.json()) == ["time_zone"]
    assert not Partner.objects.filter(slug="x").exists()


def test_partners_are_never_deleted(client_for, licensor, partner):
    assert client_for(licensor).delete(f"/api/v1/partners/{partner.pk}/").status_code == 405
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_partners_filter_by_status(client_for, licensor, partner):
    PartnerFactory(name="Gone", status=Partner.Status.EXITED)
    assert _names(client_for(licensor).get("/api/v1/partners/?status=exited")) == ["Gone"]
    assert client_for(licensor).get("/api/v1/partners/?status=sleeping").status_code == 400


def test_the_list_is_paginated_and_page_size_is_capped_at_200(client_for, licensor):
    Partner.objects.bulk_create(Partner(name=f"P{n:03d}", slug=f"p{n:03d}") for n in range(205))
    client = client_for(licensor)

    page = client.get("/api/v1/partners/").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert (page["count"], len(page["results"]), page["previous"]) == (205, 50, None)
    assert "page=2" in page["next"]

    capped = client.get("/api/v1/partners/?page_size=1000").json()
    assert len(capped["results"]) == 200
    assert "page=2" in capped["next"]

    last = client.get("/api/v1/partners/?page_size=200&page=2").json()
    assert (len(last["results"]), last["next"]) == (5, None)
    assert last["previous"] is not None


def test_a_page_past_the_end_is_404(client_for, licensor, partner):
    assert client_for(licensor).get("/api/v1/partners/?page=9").status_code == 404


def test_the_partner_list_runs_the_same_few_queries_for_3_or_30_partners(
    django_assert_num_queries, token_client_for, coordinator
):
    client = token_client_for(coordinator)
    for _ in range(2):
        MembershipFactory(user=coordinator, partner=PartnerFactory(), role=Role.COORDINATOR)
    # token+user, the user's memberships (access), the count, the page
    with django_assert_num_queries(4):
        assert client.get("/api/v1/partners/").json()["count"] == 3
    for _ in range(27):
        MembershipFactory(user=coordinator, partner=PartnerFactory(), role=Role.MENTOR)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/partners/").json()["count"] == 30
