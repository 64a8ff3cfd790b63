"""No route lets a user of one partner see or touch another partner's rows.

Generic on purpose: the routes come from walking api.urls and the other
partner's world from every partner-owned model and its factory, so a route
or model added later is covered (or the test says what is missing).
"""

import json
import uuid
import warnings

import pytest
from django.apps import apps
from django.core.paginator import UnorderedObjectListWarning
from rest_framework.test import APIClient

from franchise.models import Partner, Role
from tests.api.routes import api_routes
from tests.api.world import build_world, built_once, discover_factories, foreign_ids
from tests.factories import PartnerFactory, user_with_role

PARTNER_ROLES = (Role.COORDINATOR, Role.TRAINER, Role.SUPERVISOR, Role.MENTOR)


def _leaks(body, ids):
    return sorted(pk for pk in ids if pk in body)


def _call(client, method, url):
    if method in ("post", "put", "patch"):
        return getattr(client, method)(url, data=json.dumps({}), content_type="application/json")
    return getattr(client, method)(url)


@pytest.fixture(scope="module")
def _other_world(_test_settings, django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        yield build_world(PartnerFactory(name="Partner A", slug="partner-a"))


@pytest.fixture
def other_world(_other_world, db):
    """Partner A's world, built once for the roles that try to reach it."""
    return _other_world


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_a_user_of_another_partner_sees_nothing_and_reaches_nothing(role, other_world):
    partner_b = PartnerFactory(name="Partner B", slug="partner-b")
    client = APIClient()
    client.force_authenticate(user_with_role(role, partner_b, email=f"{role}@b.example"))
    forbidden = foreign_ids(partner_b)
    (partner_a,) = other_world[Partner]
    assert forbidden, "the other partner's world is empty"
    problems = []

    for route in api_routes():
        if route.is_public and not route.detail:
            continue
        if not route.detail:
            if "get" not in route.methods:
                continue
            # The largest page, and once more asking for the other partner by filter.
            for query in ({"page_size": 200}, {"page_size": 200, "partner": str(partner_a.pk)}):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", UnorderedObjectListWarning)
                    response = client.get(route.url(), query)
                if any(issubclass(w.category, UnorderedObjectListWarning) for w in caught):
                    problems.append(f"GET {route}: the visible rows have no ordering, so pages may repeat rows")
                if response.status_code >= 500:
                    problems.append(f"GET {route} {query}: {response.status_code}")
                leaked = _leaks(response.content.decode(), forbidden)
                if leaked:
                    problems.append(f"GET {route} {query} lists another partner's ids {leaked}")
            continue

        targets = _targets(route, other_world)
        for row in targets:
            url = route.url(**{route.lookup_kwarg: row.pk})
            for method in route.methods:
                response = _call(client, method, url)
                if response.status_code != 404:
                    problems.append(
                        f"{method.upper()} {route} with {type(row).__name__} of another partner: "
                        f"{response.status_code} (expected 404)"
                    )
                leaked = _leaks(response.content.decode(), forbidden - {str(row.pk)})
                if leaked:
                    problems.append(f"{method.upper()} {route} discloses ids {leaked}")

    assert not problems, f"As {role} of another partner:\n" + "\n".join(problems)


def _targets(route, world):
    """The other partner's rows a detail route should be tried with."""
    model = route.model
    if model is not None:
        return [row for m, rows in world.items() if issubclass(m, model) for row in rows]
    if "partner" in route.lookup_kwarg or route.template.startswith("partners/"):
        return world[Partner]
    # A plain view whose model we cannot tell: every row of the other partner must be a 404.
    return [row for rows in world.values() for row in rows]


def test_factories_are_discovered_for_the_tenancy_models():
    factories = discover_factories()
    assert factories[apps.get_model("franchise", "Membership")].__name__ == "MembershipFactory"
    assert factories[apps.get_model("franchise", "Invitation")].__name__ == "InvitationFactory"


def test_anonymous_callers_get_401_everywhere_but_the_public_routes(db):
    client = APIClient()
    problems = []
    for route in api_routes():
        if route.is_public:
            continue
        url = route.url(**({route.lookup_kwarg: uuid.uuid4()} if route.lookup_kwarg else {}))
        for method in route.methods:
            status = _call(client, method, url).status_code
            if status != 401:
                problems.append(f"{method.upper()} {route}: {status}")
    assert not problems, "Routes that answer without credentials:\n" + "\n".join(problems)


def test_the_public_routes_do_answer_without_credentials(db):
    # Guards the allowlist itself: an entry that no longer matches a public route is stale.
    client = APIClient()
    public = [route for route in api_routes() if route.is_public]
    assert public
    for route in public:
        for method in route.methods:
            response = _call(client, method, route.url())
            assert response.status_code not in (401, 403), f"{method.upper()} {route}: {response.status_code}"
