"""The HTML page behind the emailed link: /invite/<token>/, ending in a signed-in user."""

import pytest
from django.test import Client

from franchise.models import Membership, Role, User
from tests.factories import InvitationFactory, UserFactory


@pytest.fixture
def invitation(partner):
    return InvitationFactory(partner=partner, email="nia@example.org", role=Role.MENTOR, token="page-token")


def test_the_page_shows_what_the_invitation_is_for(client, invitation):
    response = client.get("/invite/page-token/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Northside Women&#x27;s Centre" in html
    assert "nia@example.org" in html
    assert 'name="password"' in html and "csrfmiddlewaretoken" in html


def test_posting_the_form_creates_the_user_signs_them_in_and_welcomes_them_home(invitation):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/invite/page-token/")
    response = client.post(
        "/invite/page-token/",
        {
            "name": "Nia New",
            "password": "a-long-and-unusual-passphrase",
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )
    assert response.status_code == 302
    home = client.get(response["Location"], follow=True)
    assert home.wsgi_request.user.email == "nia@example.org"  # signed in, on the partner's home
    assert home.wsgi_request.path == f"/{invitation.partner.slug}/"
    assert "Welcome, Nia New" in home.content.decode()
    user = User.objects.get(email="nia@example.org")
    assert Membership.objects.filter(user=user, partner=invitation.partner, role=Role.MENTOR).exists()
    assert Client().login(username="nia@example.org", password="a-long-and-unusual-passphrase")


def test_a_post_without_the_csrf_token_is_refused(invitation):
    response = Client(enforce_csrf_checks=True).post(
        "/invite/page-token/", {"name": "Nia", "password": "a-long-and-unusual-passphrase"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="nia@example.org").exists()


def test_a_weak_password_is_shown_next_to_the_field_and_nothing_is_written(client, invitation):
    response = client.post("/invite/page-token/", {"name": "Nia", "password": "123"})
    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="nia@example.org").exists()


@pytest.mark.parametrize("state", ["used", "expired", "unknown"])
def test_an_unusable_link_says_why_and_offers_no_form(client, partner, state):
    if state != "unknown":
        InvitationFactory(partner=partner, token="page-token", **{{"used": "accepted"}.get(state, state): True})
    response = client.get("/invite/page-token/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "cannot be used" in html
    assert "<form" not in html


def test_guessing_an_existing_accounts_password_on_the_page_meets_the_sign_in_lockout(client, invitation, settings):
    settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = 3
    UserFactory(email="nia@example.org", password="the-real-passphrase-2026")
    for n in range(3):
        wrong = client.post("/invite/page-token/", {"password": f"guess-{n}"})
        assert wrong.status_code == 400 and wrong.context["form"].errors["password"]

    right = client.post("/invite/page-token/", {"password": "the-real-passphrase-2026"})

    assert right.status_code == 429
    assert "Too many wrong passwords" in right.context["form"].errors["password"][0]
    assert not Membership.objects.filter(user__email="nia@example.org").exists()
    token_login = Client().post(
        "/api/v1/auth/token/",
        {"username": "nia@example.org", "password": "the-real-passphrase-2026"},
        content_type="application/json",
    )
    assert token_login.status_code == 429  # one lockout for the page and the API
