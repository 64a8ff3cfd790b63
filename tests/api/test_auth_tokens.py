"""API tokens: stored only as a hash, with an expiry; a user lists and revokes their own, signs out, or signs
out everywhere; no admin page shows a key, a hash or a second factor's secret."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from rest_framework.test import APIClient

from franchise.models import ApiToken, Role, User
from franchise.tokens import issue_token
from tests.factories import user_with_role
from tests.franchise.devices import enrolled

TOKEN_URL = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
RIGHT = {"username": "coord@example.org", "password": "correct-horse-battery"}


def login(body=RIGHT):
    response = APIClient().post(TOKEN_URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- stored as a hash, with an expiry ------------------------------------------------------


def test_no_table_in_the_database_holds_the_key(coordinator):
    key = login()["token"]

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our table names
            assert not any(key in str(value) for row in cursor.fetchall() for value in row), table


def test_the_database_holds_only_a_hash_of_the_key(coordinator):
    key = login()["token"]

    row = ApiToken.objects.values().get()
    stored = [str(value) for value in row.values()]
    assert not any(key in value for value in stored)
    # What knox keeps to find the row is a short prefix of the key, never enough to use it.
    assert len(row["token_key"]) < len(key) // 2
    assert client_with(row["token_key"]).get("/api/v1/me/").status_code == 401
    assert client_with(row["digest"]).get("/api/v1/me/").status_code == 401
    assert client_with(key).get("/api/v1/me/").json()["email"] == "coord@example.org"


def test_the_login_answers_the_token_and_when_it_expires(settings, coordinator):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=2)}

    body = login()

    assert set(body) == {"token", "expiry"}
    expiry = ApiToken.objects.get().expiry
    assert timedelta(hours=1, minutes=59) < expiry - timezone.now() <= timedelta(hours=2)
    assert body["expiry"] == expiry.isoformat().replace("+00:00", "Z")


def test_an_expired_token_stops_working_and_is_deleted(coordinator):
    key = login()["token"]
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    assert client_with(key).get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.exists()


def test_drf_plain_key_table_is_gone(db):
    # DRF's tokens (plain keys) stop working after the upgrade; their table is dropped with them.
    assert "authtoken_token" not in connection.introspection.table_names()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TANDEM_TOKEN_TTL_HOURS", "0", "TANDEM_TOKEN_TTL_HOURS must be at least 1"),
        ("TANDEM_TOKEN_TTL_HOURS", "a day", "TANDEM_TOKEN_TTL_HOURS='a day' is not a whole number"),
        ("TANDEM_LICENSOR_REQUIRES_TWO_FACTOR", "maybe", "TANDEM_LICENSOR_REQUIRES_TWO_FACTOR='maybe' is neither"),
    ],
)
@pytest.mark.slow
def test_a_malformed_sign_in_setting_stops_start_up_naming_it(tmp_path, variable, value, message):
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DEBUG": "1", "TANDEM_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env={**env, variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert message in result.stderr


def test_a_token_header_that_is_not_utf8_is_401(db):
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION="Token \xff\xfe".encode("latin-1").decode("latin-1"))
    assert response.status_code == 401


# --- a user's own tokens ---------------------------------------------------------------------


def test_a_user_lists_their_live_tokens_without_any_key_or_hash(coordinator, partner):
    first = login()["token"]
    second = login()["token"]
    ApiToken.objects.create(user=coordinator, expiry=timedelta(seconds=-1))  # expired: not listed
    user_with_role(Role.TRAINER, partner, email="trainer@example.org", password="another-horse-battery")
    login({"username": "trainer@example.org", "password": "another-horse-battery"})

    response = client_with(second).get(TOKENS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {tuple(sorted(item)) for item in body["results"]} == {("created", "current", "expiry", "id", "last_used_at")}
    assert [item["current"] for item in body["results"]] == [True, False]  # newest first
    text = response.content.decode()
    for token in ApiToken.objects.all():
        assert token.digest not in text
        assert token.token_key not in text
    assert first not in text and second not in text


def test_revoking_one_token_stops_it_and_no_other(coordinator):
    keep = login()["token"]
    revoke = login()["token"]
    revoked_id = ApiToken.objects.order_by("-created").first().pk

    response = client_with(keep).delete(f"{TOKENS}{revoked_id}/")

    assert response.status_code == 204
    assert client_with(revoke).get("/api/v1/me/").status_code == 401
    assert client_with(keep).get("/api/v1/me/").status_code == 200


def test_another_users_token_cannot_be_revoked_nor_seen(coordinator, partner):
    user_with_role(Role.TRAINER, partner, email="trainer@example.org", password="another-horse-battery")
    theirs = login({"username": "trainer@example.org", "password": "another-horse-battery"})["token"]
    their_id = ApiToken.objects.get(user__email="trainer@example.org").pk
    mine = login()["token"]

    response = client_with(mine).delete(f"{TOKENS}{their_id}/")

    assert response.status_code == 404
    assert client_with(mine).delete(f"{TOKENS}not-a-uuid/").status_code == 404
    assert client_with(theirs).get("/api/v1/me/").status_code == 200


def test_a_licensor_admin_does_not_list_other_users_tokens(licensor, coordinator):
    login()
    body = APIClient()
    body.force_authenticate(licensor)
    assert body.get(TOKENS).json()["count"] == 0


def test_sign_out_ends_the_current_token_only(coordinator):
    other = login()["token"]
    current = login()["token"]

    response = client_with(current).post("/api/v1/auth/sign-out/")

    assert response.status_code == 204
    assert client_with(current).get("/api/v1/me/").status_code == 401
    assert client_with(other).get("/api/v1/me/").status_code == 200


def test_sign_out_everywhere_ends_every_token_of_the_user_and_nobody_elses(coordinator, partner):
    keys = [login()["token"] for _ in range(3)]
    user_with_role(Role.TRAINER, partner, email="trainer@example.org", password="another-horse-battery")
    theirs = login({"username": "trainer@example.org", "password": "another-horse-battery"})["token"]

    response = client_with(keys[0]).post("/api/v1/auth/sign-out-everywhere/")

    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    assert [client_with(key).get("/api/v1/me/").status_code for key in keys] == [401, 401, 401]
    assert client_with(theirs).get("/api/v1/me/").status_code == 200


def test_each_use_of_a_token_is_noted_to_the_minute(coordinator):
    key = login()["token"]
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.update(last_used_at=an_hour_ago)

    client_with(key).get("/api/v1/me/")

    assert ApiToken.objects.get().last_used_at > an_hour_ago + timedelta(minutes=59)


def test_the_token_routes_need_a_sign_in(db):
    client = APIClient()
    assert client.get(TOKENS).status_code == 401
    assert client.post("/api/v1/auth/sign-out-everywhere/").status_code == 401


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def operator_browser(db):
    operator = User.objects.create_superuser("operator@example.org", "correct-horse-battery")
    client = Client()
    client.force_login(operator)
    return client


def _admin_pages(token, device):
    for model, _ in admin.site._registry.items():
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    yield reverse("admin:franchise_apitoken_change", args=[token.pk])
    yield reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    yield reverse("admin:franchise_user_change", args=[token.user_id])
    for name in ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"):
        try:
            yield reverse(f"admin:{name}", args=[device.pk])
        except NoReverseMatch:
            pass  # django-otp's own pages that show the secret are not registered at all


def test_no_admin_page_shows_a_token_its_hash_or_a_second_factors_secret(operator_browser, coordinator):
    device, recovery_codes = enrolled(coordinator)
    token, key = issue_token(coordinator)
    secrets = [key, token.digest, token.token_key, device.key, *recovery_codes]

    for url in _admin_pages(token, device):
        response = operator_browser.get(url)
        assert response.status_code in (200, 403, 404), url
        text = response.content.decode()
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{url} shows {leaked}"
    # The operator sees whose token it is, and may revoke it.
    changelist = operator_browser.get(reverse("admin:franchise_apitoken_changelist")).content.decode()
    assert "Cora Coordinator" in changelist
    operator_browser.post(reverse("admin:franchise_apitoken_delete", args=[token.pk]), {"post": "yes"})
    assert client_with(key).get("/api/v1/me/").status_code == 401


def test_the_admin_issues_no_token_nor_edits_one(operator_browser, coordinator):
    login()
    token = ApiToken.objects.get()
    assert operator_browser.get(reverse("admin:franchise_apitoken_add")).status_code == 403
    operator_browser.post(
        reverse("admin:franchise_apitoken_change", args=[token.pk]), {"expiry_0": "2999-01-01", "expiry_1": "00:00"}
    )
    token.refresh_from_db()
    assert token.expiry < timezone.now() + timedelta(days=30)


def test_signing_out_of_a_browser_session_ends_the_session(coordinator):
    client = APIClient(enforce_csrf_checks=False)
    client.login(username="coord@example.org", password="correct-horse-battery")

    assert client.post("/api/v1/auth/sign-out/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_an_operator_removes_a_lost_device_with_its_recovery_codes(operator_browser, coordinator):
    device, _ = enrolled(coordinator)

    operator_browser.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})

    assert not StaticToken.objects.filter(device__user=coordinator).exists()
    login()  # the login no longer asks for a code


def test_a_users_own_lists_of_tokens_and_devices_run_the_same_queries_however_many(coordinator):
    """Tokens and devices belong to a user, not a partner, so the generic list walker adds none of them."""
    from django.test.utils import CaptureQueriesContext
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _, key = issue_token(coordinator)
    client = client_with(key)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    TOTPDevice.objects.create(user=coordinator, name="Phone", confirmed=True)
    few = queries("/api/v1/auth/tokens/"), queries("/api/v1/auth/two-factor/devices/")
    for n in range(4):
        issue_token(coordinator)
        TOTPDevice.objects.create(user=coordinator, name=f"Phone {n}", confirmed=True)
    many = queries("/api/v1/auth/tokens/"), queries("/api/v1/auth/two-factor/devices/")

    assert [count for count, _ in many] == [count for count, _ in few]
    assert [rows for _, rows in many] == [rows + 4 for _, rows in few]
