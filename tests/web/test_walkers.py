"""Every page under `/<partner_slug>/`, walked: another partner's members get 404, the partner's coordinator never a
server error, nobody anonymous gets in, and no page makes more queries as the partner grows.

Generic on purpose, like the API's walkers (tests/api/test_tenant_isolation.py, test_list_queries.py): the pages
come from walking web.urls and the rows from every partner-owned model's factory, so a page added later is covered
without anyone editing this file. A URL kwarg `<name>_id` is filled with a row of the model whose snake_case name
ends with `name` (person_id → Person, session_id → SupervisionSession); a kwarg the walker cannot fill fails the
walk, naming the page, so that no page goes unchecked. A page that takes only POST (GET answers 405) is walked with an
empty POST instead.

Every GET page is measured for queries, not only lists: a detail page can hide an N+1 as well as a list can.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, path

from franchise.models import Partner, Role
from supervision.models import Person
from tests.api.world import PROJECT_APPS, build_world, built_once, discover_factories, partner_owned_models
from tests.factories import PartnerFactory, user_with_role
from tests.supervision.factories import PersonFactory
from web.partners import partner_page

PARTNER_ROLES = (Role.COORDINATOR, Role.SUPERVISOR, Role.TRAINER, Role.MENTOR)
PARTNER_KWARG = "partner_slug"
# A coordinator may be refused a page meant for other roles (403) or a method (405), or sent on (302); never 404
# for the partner's own rows, never a server error.
COORDINATOR_STATUSES = {200, 302, 403, 405}
GROWTH_ROUNDS = 2  # more rows of every model, on top of the world's one of each


@dataclass(frozen=True)
class Page:
    route: str  # "<slug:partner_slug>/people/<uuid:person_id>/", from the project's root
    name: str
    callback: object = field(repr=False, compare=False)
    converters: dict = field(repr=False, compare=False)

    @cached_property
    def kwarg_names(self):
        return tuple(re.findall(r"<(?:\w+:)?(\w+)>", self.route))

    @property
    def view_module(self):
        return getattr(self.callback, "view_class", self.callback).__module__

    def url(self, values):
        def fill(match):
            name = match.group(1)
            return self.converters[name].to_url(values[name])

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, self.route)

    def __str__(self):
        return f"/{self.route} ({self.name or self.view_module})"


def _walk(patterns, prefix="", converters=None):
    for pattern in patterns:
        found = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route, found)
        elif isinstance(pattern, URLPattern):
            yield Page(route, pattern.name, pattern.callback, found)


def partner_pages():
    """Every page of web.urls under `/<partner_slug>/`, nested includes too."""
    pages = [page for page in _walk(get_resolver().url_patterns) if page.route.startswith(f"<slug:{PARTNER_KWARG}>/")]
    assert pages, "no page under /<slug:partner_slug>/ found in the URL configuration"
    return pages


# --- filling a page's kwargs from the world ------------------------------------------------------------


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _project_models():
    return [model for label in PROJECT_APPS for model in apps.get_app_config(label).get_models()]


def _foreign_keys_to(model, others):
    return [
        f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey) and f.related_model in set(others)
    ]


def model_for(page, kwarg, earlier):
    """The model a `<name>_id` kwarg names; None if there is no single one (the walk then fails on the page)."""
    if not kwarg.endswith("_id"):
        return None
    name = kwarg.removesuffix("_id")
    candidates = [m for m in _project_models() if _snake(m.__name__) == name or _snake(m.__name__).endswith(f"_{name}")]
    # session_id in web/supervision/ is a SupervisionSession, in web/training/ a CourseSession; an action_id after an
    # incident_id is that incident's action.
    for narrower in (
        lambda m: f".{m._meta.app_label}." in f".{page.view_module}.",
        lambda m: _foreign_keys_to(m, earlier),
        lambda m: m in partner_owned_models(),
    ):
        if len(candidates) > 1 and any(narrower(m) for m in candidates):
            candidates = [m for m in candidates if narrower(m)]
    return candidates[0] if len(candidates) == 1 else None


def fill_kwargs(page, world):
    """{kwarg: value} for the page, rows of partner A that belong together; raises LookupError naming what cannot
    be filled.

    The innermost row is chosen first and the outer ones are the rows it points at: for
    /people/<person_id>/matches/<match_id>/ a match of the partner, then that match's person.
    """
    (partner,) = world[Partner]
    kinds = {}
    for kwarg in page.kwarg_names:
        if kwarg == PARTNER_KWARG:
            continue
        model = model_for(page, kwarg, list(kinds.values()))
        if model is None:
            raise LookupError(f"{page}: the walker cannot fill <{kwarg}> (name it <model>_id after a model)")
        kinds[kwarg] = model
    values = {PARTNER_KWARG: partner.slug}
    linked = _linked_rows(list(kinds.values()), world) if len(kinds) > 1 else {}
    chosen = []
    for kwarg, model in reversed(kinds.items()):
        row = linked.get(model) or _row_for(model, world, chosen)
        if row is None:
            raise LookupError(f"{page}: no {model.__name__} row of the partner for <{kwarg}>")
        values[kwarg] = row.pk
        chosen.append(row)
    return values


def _linked_rows(kinds, world):
    """{model: row} from one row that points at a row of every other model the page names (for
    /groups/<group_id>/members/<person_id>/ a group membership's group and person); {} if no model links them."""
    (partner,) = world[Partner]
    for model in _project_models():
        links = {kind: _foreign_keys_to(model, [kind]) for kind in kinds if kind is not model}
        if not all(links.values()):
            continue
        rows = model._default_manager.filter(**{f"{fks[0].name}__isnull": False for fks in links.values()})
        if hasattr(model, "partner"):
            rows = rows.filter(partner=partner)
        row = rows.first()
        if row is not None:
            return {kind: getattr(row, fks[0].name) for kind, fks in links.items()} | (
                {model: row} if model in kinds else {}
            )
    return {}


def _row_for(model, world, chosen):
    for inner in chosen:
        for link in _foreign_keys_to(type(inner), [model]):
            row = getattr(inner, link.name)
            if row is not None:
                return row
    own = world.get(model)
    if own:
        return own[0]
    rows = model._default_manager.all()
    return rows.filter(partner=world[Partner][0]).first() if hasattr(model, "partner") else rows.first()


def _filled(world):
    """[(page, url)] for every partner page; the walk fails on the first page whose kwargs cannot be filled."""
    found, problems = [], []
    for page in partner_pages():
        try:
            found.append((page, page.url(fill_kwargs(page, world))))
        except LookupError as exc:
            problems.append(str(exc))
    assert not problems, "Pages the walkers cannot reach:\n" + "\n".join(problems)
    return found


# --- the world: partner A with one row of everything, partner B's members ------------------------------


@pytest.fixture(scope="module")
def _walker_world(_test_settings, django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        world = build_world(PartnerFactory(name="Walker A", slug="walker-a"))
        (partner_a,) = world[Partner]
        partner_b = PartnerFactory(name="Walker B", slug="walker-b")
        world["coordinator"] = user_with_role(Role.COORDINATOR, partner_a, email="coord@walker-a.example")
        world["outsiders"] = {
            role: user_with_role(role, partner_b, email=f"{role}@walker-b.example") for role in PARTNER_ROLES
        }
        world["urls"] = _filled(world)
        yield world


@pytest.fixture
def world(_walker_world, db):
    return _walker_world


def _client(user=None):
    # Server errors become a status to report with the others, not an exception that stops the walk.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _error(response):
    exc = getattr(response, "exc_info", None)
    return f": {exc[1]!r}" if exc else ""


# --- the walks ------------------------------------------------------------------------------------------


def _visit(client, url):
    """GET the page; one that takes only POST (405, Allow: POST) is POSTed empty instead. Returns (method, response)."""
    response = client.get(url)
    if response.status_code == 405 and "POST" in response.get("Allow", ""):
        return "POST", client.post(url, {})
    return "GET", response


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_another_partners_members_get_404_on_every_page(world, role):
    client = _client(world["outsiders"][role])
    problems = []
    for page, url in world["urls"]:
        method, response = _visit(client, url)
        if response.status_code != 404:
            problems.append(f"{method} {url} {page}: {response.status_code}{_error(response)}")
    assert not problems, f"As {role} of another partner (expected 404):\n" + "\n".join(problems)


def test_the_partners_coordinator_never_meets_a_server_error_or_a_missing_row(world):
    client = _client(world["coordinator"])
    problems, post_only = [], []
    for page, url in world["urls"]:
        response = client.get(url)
        if response.status_code == 405 and "POST" in response.get("Allow", ""):
            post_only.append((page, url))
        elif response.status_code not in COORDINATOR_STATUSES:
            problems.append(f"GET {url} {page}: {response.status_code}{_error(response)}")
    # After every GET, as an empty form may change what the other pages show.
    for page, url in post_only:
        response = client.post(url, {})
        if response.status_code >= 500:
            problems.append(f"POST (empty) {url} {page}: {response.status_code}{_error(response)}")
    assert not problems, "As the partner's coordinator (expected GET 200/302/403/405, POST no 5xx):\n" + "\n".join(
        problems
    )


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(world):
    client = _client()
    problems = []
    for page, url in world["urls"]:
        method, response = _visit(client, url)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith("/login/"):
            problems.append(f"{method} {url} {page}: {response.status_code} {location}")
    assert not problems, "Pages that do not send an anonymous visitor to /login/:\n" + "\n".join(problems)


def _more_rows_in(partner):
    """Another row of every partner-owned model in `partner`, where the model's constraints allow one."""
    factories = discover_factories()
    for model in partner_owned_models():
        try:
            with transaction.atomic():
                factories[model](partner=partner)
        except IntegrityError:
            pass  # one per partner by design (an override, a policy version number)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, len(captured)


def pages_whose_queries_grow(client, urls, grow):
    """Each GET page answering 200, measured, then `grow()`, then measured again: the pages that ran more queries."""
    few = {}
    for page, url in urls:
        # Twice, so that what a first request fills (a session, a cache) is not counted.
        if client.get(url).status_code == 200:
            few[url] = (page, _queries(client, url)[1])
    assert few, "no page answered 200: nothing was measured"
    grow()
    grown = []
    for url, (page, expected) in few.items():
        status, count = _queries(client, url)
        if count > expected:
            status, count = _queries(client, url)  # a cache the new rows made stale, filled again
        if status == 200 and count > expected:
            grown.append(f"GET {url} {page}: {expected} queries before, {count} after")
    return grown


def test_no_page_makes_more_queries_as_the_partner_grows(world):
    (partner_a,) = world[Partner]

    def grow():
        for _ in range(GROWTH_ROUNDS):
            _more_rows_in(partner_a)

    grown = pages_whose_queries_grow(_client(world["coordinator"]), world["urls"], grow)
    assert not grown, f"Pages whose query count grows from one row of each to {GROWTH_ROUNDS + 1}:\n" + "\n".join(grown)


# --- the walker's own rules -----------------------------------------------------------------------------


def test_the_walk_finds_the_partners_home(world):
    assert ("/walker-a/", "partner-home") in {(url, page.name) for page, url in world["urls"]}


@pytest.mark.parametrize(
    ("module", "kwarg", "model"),
    [
        ("web.supervision.people", "person_id", "Person"),
        ("web.supervision.sessions", "session_id", "SupervisionSession"),
        ("web.training.courses", "session_id", "CourseSession"),
        ("web.supervision.incidents", "incident_id", "BoundaryIncident"),
        ("web.supervision.sessions", "group_id", "SupervisionGroup"),
        ("web.supervision.people", "match_id", "Match"),
        ("web.franchise.policy", "rule_id", "BoundaryRule"),
        ("web.supervision.sessions", "series_id", "SupervisionSeries"),
    ],
)
def test_a_kwarg_names_its_model(module, kwarg, model):
    page = Page(f"<slug:partner_slug>/x/<uuid:{kwarg}>/", "x", _view_in(module), {})
    assert model_for(page, kwarg, []).__name__ == model


def test_a_kwarg_the_walker_cannot_fill_fails_naming_the_page(world):
    page = Page("<slug:partner_slug>/odd/<str:token>/", "odd-page", _view_in("web.supervision.people"), {})
    with pytest.raises(LookupError, match=r"odd-page.*<token>"):
        fill_kwargs(page, world)


def _view_in(module):
    def view(request):
        raise AssertionError("never called")

    view.__module__ = module
    return view


@partner_page()
def _people_one_query_each(request, here):
    # A deliberate N+1: each person's partner read on its own.
    names = [person.partner.name for person in Person.objects.filter(partner=here.partner)]
    return HttpResponse(", ".join(names))


urlpatterns = [path("<slug:partner_slug>/n-plus-one/", _people_one_query_each, name="n-plus-one")]


@override_settings(ROOT_URLCONF=__name__)
def test_the_growth_check_catches_a_page_that_queries_once_per_row(world):
    (partner_a,) = world[Partner]
    (only_page,) = partner_pages()
    grown = pages_whose_queries_grow(
        _client(world["coordinator"]),
        [(only_page, f"/{partner_a.slug}/n-plus-one/")],
        lambda: PersonFactory.create_batch(2, partner=partner_a),
    )
    assert grown and "n-plus-one" in grown[0]
