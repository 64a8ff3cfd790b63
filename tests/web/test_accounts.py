"""Signing in and out of the pages, choosing a new password, and finding one's partner."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from franchise.models import Role
from tests.factories import PartnerFactory, UserFactory, user_with_role
from tests.franchise.devices import code_for, enrolled

PASSWORD = "correct-horse-battery"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password, **extra})


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(client, coordinator, partner):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/"

    signed_in = client.post("/login/?next=/", {"username": "coord@example.org", "password": PASSWORD, "next": "/"})

    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    assert client.get("/")["Location"] == f"/{partner.slug}/"  # one partner: straight to its home
    assert client.get(f"/{partner.slug}/").status_code == 200


def test_a_wrong_password_is_said_on_the_page_and_signs_nobody_in(client, coordinator):
    response = sign_in(client, "coord@example.org", "not-the-password")

    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_the_sign_in_page_meets_the_lockout_shared_with_the_api(client, coordinator, settings):
    settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = 3
    for n in range(3):
        sign_in(client, "coord@example.org", f"guess-{n}")

    right = sign_in(client, "coord@example.org")

    assert "Too many failed sign-ins" in right.content.decode()
    assert not right.wsgi_request.user.is_authenticated
    api = Client().post(
        "/api/v1/auth/token/", {"username": "coord@example.org", "password": PASSWORD}, content_type="application/json"
    )
    assert api.status_code == 429


def test_an_account_with_two_factors_needs_its_code_next_to_the_code_field(client, coordinator):
    device, _codes = enrolled(coordinator)

    without = sign_in(client, "coord@example.org")
    assert without.context["form"].errors["otp"] == [
        "This account signs in with two factors: enter the code from your authenticator app."
    ]
    assert not without.wsgi_request.user.is_authenticated

    with_code = sign_in(client, "coord@example.org", otp=code_for(device))
    assert with_code.status_code == 302


def test_signing_out_takes_a_post_and_ends_the_session(client, coordinator, partner):
    client.force_login(coordinator)

    assert client.get("/logout/").status_code == 405  # a link or a prefetch cannot sign anyone out
    response = client.post("/logout/")

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get(f"/{partner.slug}/").status_code == 302


def test_the_login_form_needs_its_csrf_token(coordinator):
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "coord@example.org", "password": PASSWORD})

    assert response.status_code == 403


def test_a_forgotten_password_is_chosen_again_from_the_emailed_link(client, coordinator, settings):
    response = client.post("/password-reset/", {"email": "coord@example.org"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"https://tandem\.test(/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    new_password = "a-new-and-unusual-passphrase"
    done = client.post(form.wsgi_request.path, {"new_password1": new_password, "new_password2": new_password})

    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert sign_in(Client(), "coord@example.org", new_password).status_code == 302


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, db):
    response = client.post("/password-reset/", {"email": "nobody@example.org"})

    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_a_member_of_several_partners_picks_one_and_each_link_is_theirs(client, partner, other_partner):
    user = user_with_role(Role.COORDINATOR, partner, email="both@example.org")
    user.memberships.create(partner=other_partner, role=Role.MENTOR)
    client.force_login(user)

    page = client.get("/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/{partner.slug}/"' in html and f'href="/{other_partner.slug}/"' in html
    assert "Mentor" in html and "Coordinator" in html


def test_another_partners_pages_are_a_404_as_if_it_did_not_exist(client, coordinator, other_partner):
    client.force_login(coordinator)

    foreign = client.get(f"/{other_partner.slug}/")
    missing = client.get("/no-such-partner/")

    assert foreign.status_code == missing.status_code == 404

    def unmasked(response):  # each page masks its CSRF token afresh
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert unmasked(foreign) == unmasked(missing)


def test_a_user_with_no_role_is_told_what_to_do(client, db):
    client.force_login(UserFactory(email="loose@example.org"))

    response = client.get("/")

    assert response.status_code == 200
    assert "no role in any partner" in response.content.decode()


@pytest.mark.parametrize("path", ["/login/", "/password-reset/"])
def test_the_public_pages_set_no_inline_script_or_style(client, path, db):
    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy
    assert "<style" not in response.content.decode() and "<script>" not in response.content.decode()


def test_a_suspended_partners_member_still_reaches_the_home(client, db):
    # Suspension limits what a partner may do (activation needs a licence), not who may read its records.
    partner = PartnerFactory(status="suspended")
    user = user_with_role(Role.MENTOR, partner, email="m@example.org")
    client.force_login(user)

    assert client.get(f"/{partner.slug}/").status_code == 200


@pytest.mark.slow
def test_in_production_the_session_and_csrf_cookies_are_secure_lax_and_hidden_from_scripts(tmp_path):
    # Production is DEBUG off; the settings are read at start-up, so they are read from a fresh process.
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TANDEM_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "a-test-only-secret-key-that-is-long-enough-for-the-check-0123456789",
        "ALLOWED_HOSTS": "tandem.example.org",
        "TANDEM_SITE_URL": "https://tandem.example.org",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
    ]
    script = f"import django; django.setup(); from django.conf import settings; print([getattr(settings, n) for n in {names!r}])"

    result = subprocess.run(  # noqa: S603 - our own settings module
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([True, True, True, "Lax", "Lax"])


def test_signing_in_sets_a_session_cookie_scripts_cannot_read_and_other_sites_do_not_send(client, coordinator):
    response = sign_in(client, "coord@example.org")

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
