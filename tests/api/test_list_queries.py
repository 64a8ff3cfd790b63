"""Every list endpoint runs the same number of queries however many rows it lists.

Generic like the isolation walker: the routes come from api.urls and the rows
from every partner-owned model's factory, so a list added later is checked
without anyone editing this test. Each list is read once over a world with
one row of every model, then again after two more such worlds were added; an
N+1 query shows up as a count that grew.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from franchise.models import Role
from tests.api.routes import api_routes
from tests.api.world import build_world, discover_factories, partner_owned_models
from tests.factories import PartnerFactory, user_with_role

pytestmark = pytest.mark.django_db


def _list_routes():
    return [route for route in api_routes() if not route.detail and "get" in route.methods and not route.is_public]


def _count_queries(client):
    """{route: (queries, status)} for every list route, read as `client` with the largest page."""
    counts = {}
    for route in _list_routes():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(route.url(), {"page_size": 200})
        counts[route] = (len(captured), response.status_code)
    return counts


def _more_rows_in(partner):
    """Another row of every partner-owned model in `partner`, where the model's constraints allow one."""
    factories = discover_factories()
    for model in partner_owned_models():
        try:
            with transaction.atomic():
                factories[model](partner=partner)
        except IntegrityError:
            pass  # one per partner by design (an override, a policy row): the other worlds add those


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", ["licensor", Role.COORDINATOR])
def test_no_list_endpoint_makes_more_queries_for_more_rows(role, django_assert_max_num_queries):
    partner = PartnerFactory()
    build_world(partner)
    user = user_with_role(Role.LICENSOR_ADMIN) if role == "licensor" else user_with_role(role, partner)
    client = _client(user)
    few = _count_queries(client)

    for _ in range(2):
        _more_rows_in(partner)
        build_world(PartnerFactory())

    for route, (expected, status) in few.items():
        if status != 200:
            continue
        with django_assert_max_num_queries(expected, info=f"GET {route} with three rows of each"):
            response = client.get(route.url(), {"page_size": 200})
        assert response.status_code == 200, f"GET {route}: {response.status_code}"
    assert sum(status == 200 for _, status in few.values()) >= 10, "too few lists answered to prove anything"
