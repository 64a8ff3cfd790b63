"""Input that once answered 500 (or an HTML page) is a 4xx in JSON that names the problem, on every route.

The walks take their routes from api.urls and their objects from every partner-owned model's factory, so a
route added later is covered without editing this file.
"""

import json

import pytest
from rest_framework.test import APIClient

from franchise.models import Partner, Role, User
from supervision.models import Person, SupervisionGroup, SupervisionSeries
from tests.api.routes import api_routes
from tests.api.world import built_once, discover_factories, partner_owned_models
from tests.factories import PartnerFactory, user_with_role
from tests.supervision.sessions.helpers import at, person_of

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
PEOPLE = "/api/v1/people/"
SERIES = "/api/v1/supervision-series/"
GROUPS = "/api/v1/supervision-groups/"
SESSIONS = "/api/v1/supervision-sessions/"

DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def _world(partner):
    """One row of every partner-owned model that has a factory (tests/api/test_tenant_isolation.py insists on
    a factory for each; this walk needs only objects to name in detail URLs)."""
    factories = discover_factories()
    rows = {Partner: [partner]}
    for model in partner_owned_models():
        if model in factories:
            rows[model] = [factories[model](partner=partner)]
    return rows


def _url(route, world):
    if not route.detail:
        return route.url()
    model = route.model
    rows = [row for m, found in world.items() if model is not None and issubclass(m, model) for row in found]
    return route.url(**{route.lookup_kwarg: (rows or world[Partner])[0].pk})


def _writes():
    return [(route, method) for route in api_routes() for method in route.methods if method in ("post", "patch")]


@pytest.fixture(scope="class")
def _walked(_test_settings, django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        partner = PartnerFactory(name="Bad Input Partner", slug="bad-input")
        users = (
            user_with_role(Role.LICENSOR_ADMIN, email="lic@bad-input.example"),
            user_with_role(Role.COORDINATOR, partner, email="coord@bad-input.example"),
        )
        yield users, _world(partner)


@pytest.fixture
def walked(_walked, db):
    """A licensor admin, the partner's coordinator and an anonymous caller (routes refuse one or the other
    before reading a body), and the objects to name: built once for the walks."""
    users, world = _walked
    clients = []
    for user in (*users, None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        client.raise_request_exception = False
        clients.append(client)
    return clients, world


def _walk(walked, body, *, expect):
    """Send `body` to every POST and PATCH route as each caller; return what was not a JSON 4xx, and the
    routes where some caller got `expect` (the body was read and refused)."""
    callers, world = walked
    problems, refused = [], set()
    for route, method in _writes():
        for client in callers:
            response = getattr(client, method)(_url(route, world), body, content_type="application/json")
            if response.status_code >= 500 or (response.content and "json" not in response.get("Content-Type", "")):
                problems.append(f"{method.upper()} {route}: {response.status_code} {response.get('Content-Type')}")
            if response.status_code == expect:
                refused.add(str(route))
    return problems, refused


@pytest.mark.parametrize("url", [TOKEN, "/api/v1/invitations/accept/"])
@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["list", "object"])
def test_deeply_nested_json_is_a_400_where_no_login_is_needed(api, url, body):
    response = api.post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_moderate_nesting_is_still_read(client_for, coordinator, partner):
    # 32 levels are allowed: the parser's cap must not refuse an ordinary body.
    body = json.dumps({"partner": str(partner.pk), "name": "Ada", "tags": [[[["x"]]]]})

    response = client_for(coordinator).post(PEOPLE, body, content_type="application/json")

    assert response.status_code == 201, response.content


class TestEveryWriteRoute:
    """The walks: every POST and PATCH route, as each caller; they share one world (see `_walked`)."""

    @pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["list", "object"])
    def test_deeply_nested_json_is_a_400_on_every_route(self, walked, body):
        problems, refused = _walk(walked, body, expect=400)

        assert not problems, "\n".join(problems)
        # Every create and every public route reads the body (others may first refuse the caller or the object).
        collections = {
            str(route)
            for route in api_routes()
            if "post" in route.methods and (route.is_router_list or route.is_public)
        }
        assert collections - refused == set()

    @pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", "true"])
    def test_a_body_that_is_not_an_object_is_a_4xx_everywhere(self, walked, body):
        problems, _ = _walk(walked, body, expect=400)

        assert not problems, "\n".join(problems)

    def test_an_empty_body_is_a_4xx_everywhere(self, walked):
        problems, _ = _walk(walked, "", expect=400)

        assert not problems, "\n".join(problems)

    def test_a_body_over_the_upload_limit_is_a_json_413_on_every_route(self, walked, settings):
        # Production's limit is 2 MB (test_a_3_mb_login_is_answered_in_json sends 3 MB); a smaller one here
        # refuses the same way without copying 3 MB for each of ~300 requests.
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
        body = json.dumps({"name": "x" * (96 * 1024)})

        problems, refused = _walk(walked, body, expect=413)

        assert not problems, "\n".join(problems)
        assert "/auth/token/ (TokenView)" in refused


def test_a_3_mb_login_is_answered_in_json(api):
    response = api.post(TOKEN, json.dumps({"username": "a@b.example", "password": "x" * 3_000_000}), "json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger" in response.json()["detail"]


# --- text the database cannot store ----------------------------------------------------------------


@pytest.mark.parametrize("username", ["\ud800", "mo\udfffx@example.org", "a\u0000@example.org"])
def test_a_lone_surrogate_or_nul_in_the_login_username_is_a_400(api, username):
    body = json.dumps({"username": username, "password": "whatever"})  # json.dumps writes \ud800 as an escape

    response = api.post(TOKEN, body, content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("name", ["Ada \ud800", "Ada \u0000 Lovelace"])
def test_a_lone_surrogate_or_nul_in_a_persons_name_is_a_400_and_nothing_is_stored(
    client_for, coordinator, partner, name
):
    body = json.dumps({"partner": str(partner.pk), "name": name})

    response = client_for(coordinator).post(PEOPLE, body, content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Person.objects.filter(partner=partner).exists()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_numbers_json_does_not_have_are_a_400(client_for, coordinator, partner, number):
    body = f'{{"partner": "{partner.pk}", "name": "Ada", "shadowing_hours": {number}}}'

    response = client_for(coordinator).post(PEOPLE, body, content_type="application/json")

    assert response.status_code == 400
    assert not Person.objects.filter(partner=partner).exists()


# --- lengths that reach a LIKE ---------------------------------------------------------------------------


def test_a_50000_character_username_is_a_400_on_username(api):
    response = api.post(TOKEN, {"username": "a" * 50_000, "password": "x"}, format="json")

    assert response.status_code == 400
    assert "username" in response.json()


def test_a_50000_character_name_filter_is_a_400_naming_it(client_for, coordinator):
    response = client_for(coordinator).get(PEOPLE, {"name": "a" * 50_000})

    assert response.status_code == 400
    assert "name" in response.json()


def test_an_overlong_name_when_accepting_an_invitation_is_a_400_on_name(api):
    response = api.post(
        "/api/v1/invitations/accept/", {"token": "x", "name": "a" * 201, "password": "pw-long-enough-1"}, "json"
    )

    assert response.status_code == 400
    assert "name" in response.json()
    assert User.objects.count() == 0


# --- recurrence rules that dateutil cannot expand --------------------------------------------------------


@pytest.fixture
def pair(partner, supervisor, mentor_user):
    return person_of(supervisor, partner), person_of(mentor_user, partner, active_mentor=True)


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=MONTHLY;BYDAY=9MO",
        "FREQ=YEARLY;BYDAY=60MO;COUNT=2",
        "FREQ=WEEKLY;BYDAY=2MO",
        "FREQ=DAILY;BYSETPOS=2",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
    ],
)
def test_a_series_rule_that_cannot_expand_is_a_400_on_rrule(client_for, coordinator, partner, pair, rrule):
    body = {
        "partner": str(partner.pk),
        "kind": "one_to_one",
        "supervisor": str(pair[0].pk),
        "supervisee": str(pair[1].pk),
        "starts_at": at("2027-03-16", 18).isoformat(),
        "ends_at": at("2027-03-16", 19).isoformat(),
        "rrule": rrule,
    }

    response = client_for(coordinator).post(SERIES, body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["rrule"]
    assert not SupervisionSeries.objects.exists()


@pytest.mark.parametrize("rrule", ["FREQ=MONTHLY;BYDAY=9MO", "FREQ=YEARLY;BYDAY=60MO;COUNT=2"])
def test_a_group_rule_that_cannot_expand_is_a_400_on_rrule(client_for, coordinator, partner, rrule):
    client = client_for(coordinator)

    created = client.post(GROUPS, {"partner": str(partner.pk), "name": "Tuesdays", "rrule": rrule}, format="json")

    assert created.status_code == 400, created.content
    assert list(created.json()) == ["rrule"]
    assert not SupervisionGroup.objects.exists()

    group = client.post(GROUPS, {"partner": str(partner.pk), "name": "Tuesdays"}, format="json").json()
    changed = client.patch(f"{GROUPS}{group['id']}/", {"rrule": rrule}, format="json")

    assert changed.status_code == 400
    assert list(changed.json()) == ["rrule"]
    assert SupervisionGroup.objects.get(pk=group["id"]).rrule == ""


# --- dates at the edge of the calendar -------------------------------------------------------------------

EXTREMES = ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"]


def _datetime_filters():
    from django_filters import filters

    found = []
    for route in api_routes():
        filterset = getattr(route.view_class, "filterset_class", None)
        if not route.is_router_list or filterset is None:
            continue
        found += [(route, name) for name, f in filterset.base_filters.items() if isinstance(f, filters.DateTimeFilter)]
    return found


def _date_filters():
    from django_filters import filters

    found = []
    for route in api_routes():
        filterset = getattr(route.view_class, "filterset_class", None)
        if not route.is_router_list or filterset is None:
            continue
        found += [(route, name) for name, f in filterset.base_filters.items() if isinstance(f, filters.DateFilter)]
    return found


def test_the_walk_finds_the_date_filters():
    names = {name for _route, name in _datetime_filters()}
    assert {"starts_after", "occurred_after", "due_after"} <= names
    assert _date_filters()


@pytest.mark.parametrize("value", EXTREMES + ["2026-03-01T10:00:00"])
def test_every_datetime_filter_refuses_an_extreme_or_naive_time_naming_the_parameter(client_for, licensor, value):
    client = client_for(licensor)
    client.raise_request_exception = False
    problems = []
    for route, name in _datetime_filters():
        response = client.get(route.url(), {name: value})
        if response.status_code != 400 or name not in response.json():
            problems.append(f"?{name}= on {route}: {response.status_code} {response.content[:200]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("value", ["0273-01-29T07:39:13.8-20:55", "2026-03-01T10:00:00+17:00"])
def test_every_datetime_filter_takes_any_offset_iso_8601_allows(client_for, licensor, value):
    """Offsets past ±15:59 are valid ISO 8601 but beyond PostgreSQL's; the filter compares in UTC."""
    client = client_for(licensor)
    client.raise_request_exception = False
    problems = []
    for route, name in _datetime_filters():
        response = client.get(route.url(), {name: value})
        if response.status_code != 200:
            problems.append(f"?{name}={value} on {route}: {response.status_code} {response.content[:200]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_every_date_filter_answers_the_first_and_last_days(client_for, licensor, value):
    client = client_for(licensor)
    client.raise_request_exception = False
    problems = []
    for route, name in _date_filters():
        response = client.get(route.url(), {name: value})
        if response.status_code >= 500:
            problems.append(f"?{name}={value} on {route}: {response.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("value", EXTREMES)
def test_an_extreme_session_start_is_a_400_on_starts_at(client_for, coordinator, partner, pair, value):
    body = {
        "partner": str(partner.pk),
        "kind": "one_to_one",
        "supervisor": str(pair[0].pk),
        "supervisee": str(pair[1].pk),
        "starts_at": value,
        "ends_at": value,
    }

    response = client_for(coordinator).post(SESSIONS, body, format="json")

    assert response.status_code == 400
    assert "starts_at" in response.json()


# --- numbers and ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "0", "x", "1e309"])
@pytest.mark.parametrize("param", ["page", "page_size"])
def test_odd_page_numbers_never_fail_a_list(client_for, licensor, param, value):
    client = client_for(licensor)
    client.raise_request_exception = False
    problems = []
    for route in api_routes():
        if route.is_router_list:
            response = client.get(route.url(), {param: value})
            if response.status_code >= 500:
                problems.append(f"?{param}={value} on {route}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_an_invalid_uuid_in_a_path_is_a_404_everywhere(client_for, licensor):
    client = client_for(licensor)
    client.raise_request_exception = False
    problems = []
    for route in api_routes():
        if not route.detail or route.is_public:
            continue
        url = route.url(**{name: "not-a-uuid" for name in route.kwarg_names})
        for method in route.methods:
            response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {route}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_capacity_beyond_any_integer_column_is_a_400(client_for, coordinator, partner):
    from tests.training.factories import CourseFactory

    course = CourseFactory(partner=partner)

    response = client_for(coordinator).patch(f"/api/v1/courses/{course.pk}/", {"capacity": 10**20}, format="json")

    assert response.status_code == 400
    assert "capacity" in response.json()
    course.refresh_from_db()
    assert course.capacity != 10**20
