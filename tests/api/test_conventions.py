"""The conventions of API.md that hold for every endpoint: pagination, error shapes, scoping."""

import warnings

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import UnorderedObjectListWarning
from django.db import IntegrityError
from rest_framework.test import APIRequestFactory, force_authenticate

from api.base import ScopedReadOnlyViewSet
from api.exceptions import exception_handler
from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted, RuleNotMet, Unmet
from franchise.models import User
from tests.api.routes import api_routes

LIST_ROUTES = [route for route in api_routes() if route.is_router_list]


def test_there_are_list_routes_to_check():
    assert {route.template for route in LIST_ROUTES} >= {"partners/", "memberships/", "invitations/"}


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_every_list_route_answers_the_pagination_shape(client_for, licensor, route):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnorderedObjectListWarning)
        response = client_for(licensor).get(route.url(), {"page_size": 1})
    # Pages of an unordered queryset may repeat or skip rows.
    assert not [w for w in caught if issubclass(w.category, UnorderedObjectListWarning)], "the list has no ordering"
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert isinstance(body["results"], list) and len(body["results"]) <= 1


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (Invalid("Too short.", field="name"), 400, {"name": ["Too short."]}),
        (Invalid("Nope."), 400, {"non_field_errors": ["Nope."]}),
        (
            RuleNotMet([Unmet("shadowing_hours_short", "Needs 10 hours.")]),
            400,
            {
                "detail": "Requirements are not met.",
                "unmet": [{"code": "shadowing_hours_short", "message": "Needs 10 hours."}],
            },
        ),
        (NotPermitted("Coordinators only."), 403, {"detail": "Coordinators only.", "code": "not_permitted"}),
        (NotFound(), 404, {"detail": "Not found."}),
        (DjangoValidationError({"ends_on": ["Before the start."]}), 400, {"ends_on": ["Before the start."]}),
        (DjangoValidationError({"__all__": ["Overlaps."]}), 400, {"non_field_errors": ["Overlaps."]}),
        (DjangoValidationError("Plain."), 400, {"non_field_errors": ["Plain."]}),
        (
            IntegrityError("UNIQUE constraint failed"),
            400,
            {"non_field_errors": ["This conflicts with data already stored."]},
        ),
    ],
)
def test_domain_errors_become_the_status_codes_of_api_md(error, status, body):
    response = exception_handler(error, {"view": None})
    assert (response.status_code, response.data) == (status, body)


def test_an_illegal_transition_is_409_with_the_allowed_states():
    response = exception_handler(IllegalTransition("closed", "reported", {"closed"}), {})
    assert response.status_code == 409
    assert response.data["allowed"] == ["closed"]
    assert "closed" in response.data["detail"]


def test_an_unexpected_error_is_not_swallowed():
    assert exception_handler(KeyError("bug"), {}) is None  # DRF lets it become a logged 500


def test_a_scoped_viewset_refuses_a_model_without_visible_to(licensor):
    class UnscopedViewSet(ScopedReadOnlyViewSet):
        queryset = User.objects.all()

    request = APIRequestFactory().get("/")
    force_authenticate(request, licensor)
    with pytest.raises(ImproperlyConfigured, match="visible_to"):
        UnscopedViewSet.as_view({"get": "list"})(request)


def test_a_post_with_malformed_json_is_400(client_for, licensor):
    response = client_for(licensor).post("/api/v1/partners/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_the_api_root_needs_credentials(api, db):
    assert api.get("/api/v1/").status_code == 401
