"""Every page of the licensor's console (`/console/…`), walked as tests/web/test_walkers.py walks a partner's:
anonymous visitors are sent to sign in, every partner member (each role) gets a 404, a licensor admin never meets a
server error, and no page makes more queries as the partners grow. A page added later is covered unedited."""

import pytest
from django.urls import get_resolver

from franchise.models import Partner, Role
from supervision.models import BoundaryIncident
from tests.factories import PartnerFactory, user_with_role
from tests.supervision.factories import BoundaryIncidentFactory
from tests.web.test_walkers import (
    GROWTH_ROUNDS,
    PARTNER_ROLES,
    _client,
    _error,
    _more_rows_in,
    _visit,
    _walk,
    build_world,
    built_once,
    fill_kwargs,
    pages_whose_queries_grow,
)

CONSOLE = "console/"


def console_pages():
    pages = [page for page in _walk(get_resolver().url_patterns) if page.route.startswith(CONSOLE)]
    assert pages, "no page under /console/ found in the URL configuration"
    return pages


@pytest.fixture(scope="module")
def _console_world(_test_settings, django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        world = build_world(PartnerFactory(name="Console A", slug="console-a"))
        world["licensor"] = user_with_role(Role.LICENSOR_ADMIN, email="admin@console.example")
        # The licensor reads an incident only once it is escalated: the one the console's pages are walked with.
        world[BoundaryIncident].insert(0, BoundaryIncidentFactory(partner=world[Partner][0], escalated=True))
        other = PartnerFactory(name="Console B", slug="console-b")
        (partner_a,) = world[Partner]
        world["members"] = {
            role: user_with_role(role, partner_a, email=f"{role}@console-a.example") for role in PARTNER_ROLES
        }
        world["other"] = other
        problems, urls = [], []
        for page in console_pages():
            try:
                urls.append((page, page.url(fill_kwargs(page, world))))
            except LookupError as exc:
                problems.append(str(exc))
        assert not problems, "Console pages the walkers cannot reach:\n" + "\n".join(problems)
        world["urls"] = urls
        yield world


@pytest.fixture
def world(_console_world, db):
    return _console_world


def test_anonymous_visitors_are_sent_to_sign_in(world):
    problems = []
    for page, url in world["urls"]:
        method, response = _visit(_client(), url)
        if response.status_code != 302 or not response.get("Location", "").startswith("/login/"):
            problems.append(f"{method} {url} {page}: {response.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_members_get_404_everywhere(world, role):
    client = _client(world["members"][role])
    problems = []
    for page, url in world["urls"]:
        method, response = _visit(client, url)
        if response.status_code != 404:
            problems.append(f"{method} {url} {page}: {response.status_code}{_error(response)}")
    assert not problems, f"As a {role} (expected 404):\n" + "\n".join(problems)


def test_the_licensor_never_meets_a_server_error(world):
    client = _client(world["licensor"])
    problems = []
    for page, url in world["urls"]:
        method, response = _visit(client, url)
        if response.status_code >= 500 or response.status_code == 404:
            problems.append(f"{method} {url} {page}: {response.status_code}{_error(response)}")
    assert not problems, "\n".join(problems)


def test_no_console_page_makes_more_queries_as_the_partners_grow(world):
    (partner_a,) = world[Partner]

    def grow():
        for _ in range(GROWTH_ROUNDS):
            _more_rows_in(partner_a)
            _more_rows_in(world["other"])

    grown = pages_whose_queries_grow(_client(world["licensor"]), world["urls"], grow)
    assert not grown, "\n".join(grown)
