from rest_framework.authtoken.models import Token


def test_token_login_with_email_then_me_shows_memberships(api, coordinator, partner):
    response = api.post("/api/v1/auth/token/", {"username": "COORD@example.org", "password": "correct-horse-battery"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(key=token).user == coordinator

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()

    assert me == {
        "id": str(coordinator.pk),
        "email": "coord@example.org",
        "name": "Cora Coordinator",
        "is_licensor": False,
        "memberships": [{"partner": str(partner.pk), "partner_name": partner.name, "role": "coordinator"}],
    }


def test_wrong_password_is_401_and_issues_no_token(api, coordinator):
    response = api.post("/api/v1/auth/token/", {"username": "coord@example.org", "password": "nope"})
    assert response.status_code == 401
    assert not Token.objects.exists()


def test_me_without_credentials_is_401(api, db):
    assert api.get("/api/v1/me/").status_code == 401
