"""The sign-in lockout (franchise.login_guard): failures per account and client, per client, and per account; the
growing cool-off; the invitation's password check; a cache outage; and the client address behind proxies."""

import logging
import time
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from franchise.models import Invitation, Membership, Role
from tests.conftest import redis_url
from tests.factories import InvitationFactory

TOKEN_URL = "/api/v1/auth/token/"
ACCEPT_URL = "/api/v1/invitations/accept/"
RIGHT = {"username": "coord@example.org", "password": "correct-horse-battery"}
WRONG = {"username": "coord@example.org", "password": "a-guess"}
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.10"


@pytest.fixture(autouse=True)
def _small_allowances(settings):
    settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = 3
    settings.TANDEM_LOGIN_CLIENT_FAILURES = 6
    settings.TANDEM_LOGIN_ACCOUNT_FAILURES = 10
    settings.TANDEM_LOGIN_COOL_OFF_SECONDS = 60
    settings.TANDEM_LOGIN_MAX_COOL_OFF_SECONDS = 3600


@pytest.fixture
def clock(monkeypatch):
    """The lockout's clock, moved by hand."""

    class Clock:
        now = time.time()

        def __call__(self):
            return self.now

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr("franchise.login_guard.timer", fake)
    return fake


def login(body, address, **headers):
    return APIClient().post(TOKEN_URL, body, REMOTE_ADDR=address, **headers)


def fail(times, address, username="coord@example.org"):
    statuses = {login({"username": username, "password": "a-guess"}, address).status_code for _ in range(times)}
    assert statuses == {401}


def with_proxies(settings, count):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}


# --- per account and client --------------------------------------------------------------------


def test_failures_from_one_address_refuse_that_address_even_the_right_password(coordinator):
    fail(3, ATTACKER)

    refused = login(RIGHT, ATTACKER)

    assert refused.status_code == 429
    assert "detail" in refused.json()
    assert int(refused["Retry-After"]) == 60
    assert "token" not in refused.json()


def test_the_owner_signs_in_from_their_address_while_an_attacker_elsewhere_is_refused(coordinator):
    for _ in range(15):  # beyond any allowance; the refused ones check no password and are not counted
        login(WRONG, ATTACKER)
    assert login(RIGHT, ATTACKER).status_code == 429

    response = login(RIGHT, OWNER)

    assert response.status_code == 200
    assert response.json()["token"]


def test_a_correct_sign_in_forgets_the_failures_of_that_address(settings, coordinator):
    settings.TANDEM_LOGIN_CLIENT_FAILURES = 50  # the address's own count is not forgotten (a sprayer's)
    for _ in range(6):  # 12 failures in all, never 3 in a row
        fail(2, OWNER)
        assert login(RIGHT, OWNER).status_code == 200


# --- per client across accounts, per account across clients -------------------------------------


def test_trying_many_accounts_from_one_address_refuses_that_address(coordinator):
    for n in range(6):
        fail(1, ATTACKER, username=f"someone{n}@example.org")

    refused = login(RIGHT, ATTACKER)
    assert (refused.status_code, "token" in refused.json()) == (429, False)
    assert login(RIGHT, OWNER).status_code == 200


def test_rotating_addresses_meets_the_accounts_ceiling_but_not_the_owners_usual_address(coordinator):
    assert login(RIGHT, OWNER).status_code == 200  # the owner's address is known from now on
    for n in range(10):
        fail(1, f"203.0.113.{n}")

    refused = login(RIGHT, "192.0.2.200")
    assert (refused.status_code, int(refused["Retry-After"])) == (429, 60)
    assert "token" not in refused.json()
    assert login(RIGHT, OWNER).status_code == 200


def test_an_ipv6_client_counts_as_its_slash_64(coordinator):
    for n in range(3):
        fail(1, f"2001:db8:1:2::{n + 1}")

    assert login(RIGHT, "2001:db8:1:2:ffff::9").status_code == 429
    assert login(RIGHT, "2001:db8:1:3::1").status_code == 200


# --- the growing cool-off ------------------------------------------------------------------------


def test_the_cool_off_doubles_with_each_further_failure_up_to_the_cap(settings, coordinator, clock):
    settings.TANDEM_LOGIN_MAX_COOL_OFF_SECONDS = 300
    fail(3, ATTACKER)
    waits = []
    for _ in range(4):
        refused = login(RIGHT, ATTACKER)
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        clock.advance(waits[-1] - 1)
        assert login(RIGHT, ATTACKER).status_code == 429  # a second early: still refused, and not counted
        clock.advance(1)
        fail(1, ATTACKER)

    assert waits == [60, 120, 240, 300]
    assert int(login(RIGHT, ATTACKER)["Retry-After"]) == 300
    clock.advance(300)
    assert login(RIGHT, ATTACKER).status_code == 200


# --- the invitation's password check -------------------------------------------------------------


@pytest.fixture
def invitation(partner, other_coordinator):
    """An invitation for an existing account (coord@other.example.org, password correct-horse-battery)."""
    return InvitationFactory(partner=partner, email="coord@other.example.org", role=Role.SUPERVISOR, token="existing")


def accept(password, address):
    return APIClient().post(ACCEPT_URL, {"token": "existing", "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_at_an_invitation_count_against_the_token_login(invitation, other_coordinator):
    assert {accept("a-guess", ATTACKER).status_code for _ in range(3)} == {400}

    assert accept("correct-horse-battery", ATTACKER).status_code == 429
    assert (
        login({"username": "COORD@other.example.org", "password": "correct-horse-battery"}, ATTACKER).status_code == 429
    )
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(user=other_coordinator, partner=invitation.partner).exists()


def test_an_account_locked_at_the_login_is_refused_at_an_invitation(invitation, other_coordinator):
    fail(3, ATTACKER, username="coord@other.example.org")

    refused = accept("correct-horse-battery", ATTACKER)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 60
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(user=other_coordinator, partner=invitation.partner).exists()
    assert accept("correct-horse-battery", OWNER).status_code == 201


# --- a cache outage -----------------------------------------------------------------------------


class BrokenCache(BaseCache):
    """A cache whose server is gone: every call raises, as a backend's client does."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    add = get = set = touch = delete = incr = get_many = set_many = delete_many = clear = has_key = _down


def test_a_cache_that_raises_does_not_fail_a_correct_login(settings, coordinator, caplog):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}

    with caplog.at_level(logging.WARNING, logger="franchise.login_guard"):
        assert login(WRONG, ATTACKER).status_code == 401
        signed_in = login(RIGHT, ATTACKER)

    assert (signed_in.status_code, bool(signed_in.json()["token"])) == (200, True)
    assert "cannot reach the cache" in caplog.text


def test_a_redis_that_does_not_answer_does_not_fail_a_login_or_an_invitation(settings, invitation, other_coordinator):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    started = time.monotonic()

    assert login({"username": "coord@other.example.org", "password": "a-guess"}, ATTACKER).status_code == 401
    assert accept("a-guess", ATTACKER).status_code == 400
    assert accept("correct-horse-battery", ATTACKER).status_code == 201

    assert time.monotonic() - started < 5
    assert Membership.objects.filter(user=other_coordinator, partner=invitation.partner).exists()


@pytest.fixture
def redis_cache(settings):
    import redis

    prefix = f"test-lockout-{uuid.uuid4().hex}"  # its own keys: no flush of a database other tests use
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": prefix,
        }
    }
    yield
    client = redis.Redis.from_url(redis_url())
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.mark.redis
def test_the_counts_live_in_redis_for_every_web_process(redis_cache, coordinator):
    fail(3, ATTACKER)
    del caches["default"]  # what another process sees: a new client and connection pool

    assert login(RIGHT, ATTACKER).status_code == 429
    assert login(RIGHT, OWNER).status_code == 200


# --- the client address behind proxies ----------------------------------------------------------


def test_a_login_ignores_the_x_forwarded_for_a_client_sends(coordinator):
    for n in range(3):
        login(WRONG, ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    assert login(RIGHT, ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_behind_one_proxy_a_login_counts_the_right_most_address(settings, coordinator):
    with_proxies(settings, 1)
    proxy = "10.0.0.2"
    for n in range(3):
        login(WRONG, proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")

    assert login(RIGHT, proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}").status_code == 429
    assert login(RIGHT, proxy, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {OWNER}").status_code == 200


@pytest.fixture
def verify_rate(monkeypatch, db):
    # DRF reads the rates into the throttle class when it is imported, not per request.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"certificate_verify": "3/minute"})


def verify(n, address, forwarded):
    return (
        APIClient()
        .get(f"/api/v1/certificates/verify/guess-{n}/", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded)
        .status_code
    )


def test_rotating_x_forwarded_for_does_not_dodge_the_certificate_check_rate(verify_rate):
    statuses = [verify(n, ATTACKER, f"192.0.2.{n}") for n in range(4)]

    assert statuses == [404, 404, 404, 429]
    assert verify(9, OWNER, "192.0.2.1") == 404


@pytest.mark.slow
def test_behind_one_proxy_the_certificate_check_rate_counts_the_right_most_address(settings, verify_rate):
    with_proxies(settings, 1)
    proxy = "10.0.0.2"

    statuses = [verify(n, proxy, f"192.0.2.{n}, {ATTACKER}") for n in range(4)]

    assert statuses == [404, 404, 404, 429]
    assert verify(9, proxy, f"{ATTACKER}, {OWNER}") == 404


# --- settings from the environment --------------------------------------------------------------


def settings_read_with(**variables):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 50, **variables}
    script = (
        "import json, config.settings as s; "
        "print(json.dumps([s.REST_FRAMEWORK['NUM_PROXIES'], s.CACHES['default']['BACKEND'], "
        "s.CACHES['default'].get('LOCATION')]))"
    )
    result = subprocess.run(  # noqa: S603 - our own settings module
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_no_proxy_is_trusted_and_the_cache_is_local_on_the_embedded_default():
    assert settings_read_with() == [0, "django.core.cache.backends.locmem.LocMemCache", "tandem"]


def test_the_proxy_count_and_a_redis_cache_come_from_the_environment():
    read = settings_read_with(TANDEM_NUM_PROXIES="1", TANDEM_CACHE_URL="redis://cache.internal:6379/1")

    assert read == [1, "django.core.cache.backends.redis.RedisCache", "redis://cache.internal:6379/1"]
