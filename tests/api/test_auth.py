"""Token login, /me/, and the 401 of a caller without credentials."""

import pytest
from rest_framework.test import APIClient

from franchise.models import ApiToken, Role
from tests.factories import MembershipFactory, PartnerFactory, user_with_role


def test_token_login_with_email_then_me_shows_memberships(api, coordinator, partner):
    response = api.post("/api/v1/auth/token/", {"username": "coord@example.org", "password": "correct-horse-battery"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get().user == coordinator

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()

    assert me == {
        "id": str(coordinator.pk),
        "email": "coord@example.org",
        "name": "Cora Coordinator",
        "is_licensor": False,
        "memberships": [{"partner": str(partner.pk), "partner_name": partner.name, "role": "coordinator"}],
    }


def test_the_email_of_a_token_login_is_case_insensitive(api, coordinator):
    response = api.post("/api/v1/auth/token/", {"username": "  Coord@EXAMPLE.org", "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert ApiToken.objects.get().user == coordinator


def test_each_login_issues_a_token_of_its_own(api, coordinator):
    body = {"username": "coord@example.org", "password": "correct-horse-battery"}
    first = api.post("/api/v1/auth/token/", body).json()["token"]
    assert api.post("/api/v1/auth/token/", body).json()["token"] != first
    assert ApiToken.objects.filter(user=coordinator).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"username": "coord@example.org", "password": "nope"},
        {"username": "nobody@example.org", "password": "correct-horse-battery"},
    ],
)
def test_wrong_credentials_are_401_and_issue_no_token(api, coordinator, body):
    response = api.post("/api/v1/auth/token/", body)
    assert response.status_code == 401
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


def test_a_disabled_user_gets_no_token(api, coordinator):
    coordinator.is_active = False
    coordinator.save()
    response = api.post("/api/v1/auth/token/", {"username": "coord@example.org", "password": "correct-horse-battery"})
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_request_without_fields_is_400_naming_them(api, db):
    response = api.post("/api/v1/auth/token/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_me_without_credentials_is_401(api, db):
    assert api.get("/api/v1/me/").status_code == 401


def test_a_bad_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/me/").status_code == 401


def test_me_of_a_licensor_admin_says_so_and_shows_the_partnerless_role(client_for, licensor):
    me = client_for(licensor).get("/api/v1/me/").json()
    assert me["is_licensor"] is True
    assert me["memberships"] == [{"partner": None, "partner_name": None, "role": "licensor_admin"}]


def test_the_session_of_a_browser_login_authenticates_too(coordinator):
    client = APIClient()
    assert client.login(username="coord@example.org", password="correct-horse-battery")
    assert client.get("/api/v1/me/").json()["email"] == "coord@example.org"


def test_me_runs_two_queries_however_many_roles_the_user_holds(
    django_assert_num_queries, token_client_for, coordinator
):
    client = token_client_for(coordinator)
    with django_assert_num_queries(2):  # the token with its user, the memberships with their partners
        assert len(client.get("/api/v1/me/").json()["memberships"]) == 1

    for _ in range(12):
        MembershipFactory(user=coordinator, partner=PartnerFactory(), role=Role.TRAINER)
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/me/").json()["memberships"]) == 13


def test_a_user_with_roles_in_two_partners_sees_both_in_me(client_for, partner, other_partner):
    user = user_with_role(Role.MENTOR, partner)
    MembershipFactory(user=user, partner=other_partner, role=Role.SUPERVISOR)
    memberships = client_for(user).get("/api/v1/me/").json()["memberships"]
    assert {(m["partner_name"], m["role"]) for m in memberships} == {
        (partner.name, "mentor"),
        (other_partner.name, "supervisor"),
    }


# --- password guessing ----------------------------------------------------------------

TOKEN_URL = "/api/v1/auth/token/"
RIGHT = {"username": "coord@example.org", "password": "correct-horse-battery"}
WRONG = {"username": "coord@example.org", "password": "a-guess"}


def allow_failures(settings, count):
    # Per account from one address, and per account from anywhere (tests/api/test_login_lockout.py has the rest).
    settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = count
    settings.TANDEM_LOGIN_ACCOUNT_FAILURES = count


def test_after_too_many_failed_logins_an_account_is_refused_even_the_right_password(api, coordinator, settings):
    allow_failures(settings, 3)
    for _ in range(3):
        assert api.post(TOKEN_URL, WRONG).status_code == 401

    # Guessers rotate addresses and letter case: past the account's ceiling, a new address is refused too.
    refused = api.post(TOKEN_URL, {**RIGHT, "username": " COORD@example.org"}, REMOTE_ADDR="203.0.113.9")

    assert refused.status_code == 429
    assert "detail" in refused.json()
    assert int(refused["Retry-After"]) > 0
    assert not ApiToken.objects.filter(user=coordinator).exists()


def test_failed_logins_for_one_account_do_not_refuse_another(api, coordinator, partner, settings):
    allow_failures(settings, 2)
    user_with_role(Role.TRAINER, partner, email="trainer@example.org", password="another-horse-battery")
    for _ in range(2):
        api.post(TOKEN_URL, WRONG)

    response = api.post(TOKEN_URL, {"username": "trainer@example.org", "password": "another-horse-battery"})

    assert response.status_code == 200


def test_successful_logins_are_not_counted(api, coordinator, settings):
    allow_failures(settings, 2)
    statuses = [api.post(TOKEN_URL, RIGHT).status_code for _ in range(5)]
    assert statuses == [200] * 5
