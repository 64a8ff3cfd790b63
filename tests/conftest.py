"""Shared test world: two partners, and an owner/member/outsider of each kind built once per test.

Tests that need PostgreSQL or Redis are marked; they are skipped when those are
absent locally, and TANDEM_REQUIRE_SERVICES=1 (set by .ci/run) turns every such
skip into a failure so that CI never passes by skipping.
"""

import os

import pytest
from rest_framework.test import APIClient

from franchise.models import Role
from tests.factories import PartnerFactory, user_with_role

REQUIRE_SERVICES = os.environ.get("TANDEM_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    from django.core.cache import cache

    cache.clear()  # throttles count in the cache: one test's attempts must not refuse another's
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TANDEM_SITE_URL = "https://tandem.test"
    # Pages with {% static %} (the admin, /api/docs/) must render without a collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_runtest_setup(item):
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not redis_url():
        _skip_or_fail("needs Redis: set TANDEM_TEST_REDIS_URL=redis://127.0.0.1:6379/15")


def redis_url():
    return os.environ.get("TANDEM_TEST_REDIS_URL", "")


def _skip_or_fail(reason):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (TANDEM_REQUIRE_SERVICES is set, so this may not be skipped)")
    pytest.skip(reason)


@pytest.fixture
def partner(db):
    return PartnerFactory(name="Northside Women's Centre", slug="northside")


@pytest.fixture
def other_partner(db):
    return PartnerFactory(name="Harbour Justice Trust", slug="harbour")


@pytest.fixture
def licensor(db):
    return user_with_role(Role.LICENSOR_ADMIN, email="licensor@example.org", name="Lena Licensor")


@pytest.fixture
def coordinator(partner):
    return user_with_role(Role.COORDINATOR, partner, email="coord@example.org", name="Cora Coordinator")


@pytest.fixture
def other_coordinator(other_partner):
    return user_with_role(Role.COORDINATOR, other_partner, email="coord@other.example.org", name="Otto Other")


@pytest.fixture
def trainer(partner):
    return user_with_role(Role.TRAINER, partner, email="trainer@example.org", name="Tariq Trainer")


@pytest.fixture
def supervisor(partner):
    return user_with_role(Role.SUPERVISOR, partner, email="supervisor@example.org", name="Sam Supervisor")


@pytest.fixture
def mentor_user(partner):
    return user_with_role(Role.MENTOR, partner, email="mentor@example.org", name="Mo Mentor")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for():
    """An API client authenticated as the given user."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def token_client_for(db):
    """An API client sending the user's real token, as integrations do.

    Unlike client_for, each request loads the user afresh (nothing cached on the
    user object survives between requests), so query counts are the real ones.
    """
    from franchise.tokens import issue_token

    def make(user):
        client = APIClient()
        _token, key = issue_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
