"""Shared test world: two partners, and an owner/member/outsider of each kind built once per test; the demo
(`demo`), built once per worker.

Tests that need PostgreSQL or Redis are marked; they are skipped when those are
absent locally, and TANDEM_REQUIRE_SERVICES=1 (set by .ci/run) turns every such
skip into a failure so that CI never passes by skipping.
"""

import base64
import os
from contextlib import ExitStack

import pytest
from rest_framework.test import APIClient

from franchise.models import Role
from tests.factories import PartnerFactory, user_with_role

REQUIRE_SERVICES = os.environ.get("TANDEM_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session", autouse=True)
def _test_settings(django_test_environment):
    """Settings every test runs with; set once for the session, so worlds built for many tests get them too."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        TANDEM_SITE_URL="https://tandem.test",
        # A key of the session's own: no test writes var/badge-signing-key.pem.
        TANDEM_BADGE_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode(),
        # Pages with {% static %} (the admin, /api/docs/) must render without a collectstatic manifest.
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        from training import badges

        badges.signing_key.cache_clear()
        yield
    badges.signing_key.cache_clear()


@pytest.fixture(autouse=True)
def _isolated():
    from django.core.cache import cache

    cache.clear()  # throttles count in the cache: one test's attempts must not refuse another's


@pytest.fixture(scope="session")
def django_db_use_migrations(request):
    """SQLite test databases are built from the models: 0.3 s instead of 5 s of migrations in each worker.

    tests/test_migrations.py checks that the migrations, run from an empty database, build exactly that
    schema. PostgreSQL (CI) keeps the migrations, so CI runs them on the production database as well.
    """
    from django.db import connection

    return connection.vendor != "sqlite" and not request.config.getvalue("nomigrations")


# --- the demo world, built once per worker ----------------------------------------------------------


def build_demo():
    """What `manage.py seed_demo` loads, and the `world` dict its steps fill (accounts, partners, people ...)."""
    import importlib

    from franchise.management.commands.seed_demo import DEMO_STEPS

    world = {"accounts": []}
    for step in DEMO_STEPS:
        importlib.import_module(step).seed(world)
    return world


class _SharedDemo:
    """The demo, seeded in a transaction that tests share and that is rolled back, never committed.

    Every test still runs in a savepoint of its own inside it, so what one test writes the next does not see.
    Tests that ask for `demo` run last (pytest_collection_modifyitems), so each worker seeds it once; a test
    without it rolls the demo back first (pytest_runtest_setup) and never sees it.
    """

    def __init__(self, django_db_blocker):
        self._blocker = django_db_blocker
        self._open = None
        self.world = None

    def enter(self):
        from django.db import transaction

        stack = ExitStack()
        stack.enter_context(self._blocker.unblock())
        stack.enter_context(transaction.atomic())
        try:
            world = build_demo()
        except BaseException:
            stack.close()
            raise
        self._open, self.world = stack, world

    def leave(self):
        from django.db import transaction

        if self._open is not None:
            transaction.set_rollback(True)
            self._open.close()
            self._open = self.world = None


_shared_demo = None


@pytest.fixture(scope="session")
def _demo_session(_test_settings, django_db_setup, django_db_blocker):
    global _shared_demo
    _shared_demo = _SharedDemo(django_db_blocker)
    _shared_demo.enter()
    yield _shared_demo
    _shared_demo.leave()
    _shared_demo = None


@pytest.fixture
def demo(_demo_session, db):
    """The demo world of `seed_demo` (its `world` dict); built once per worker, each test in its own savepoint."""
    if _demo_session.world is None:
        # A test without the demo ran since it was seeded (tests run in an unusual order): seed it again,
        # in this test's own transaction.
        return build_demo()
    return _demo_session.world


def _uses_demo(item):
    return "demo" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    # After pytest-django's own ordering (tryfirst): the demo's tests together at the end, so that each
    # worker (xdist hands every worker an ascending run of tests) seeds the demo once; tests that start
    # processes first, so that the other worker's short tests run beside them instead of after them.
    items.sort(key=lambda item: (_uses_demo(item), item.get_closest_marker("slow") is None))


def pytest_runtest_setup(item):
    from django.db import connection

    if _shared_demo is not None and not _uses_demo(item):
        _shared_demo.leave()
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
