"""The OpenAPI schema renders cleanly, and the docs page loads nothing from another host."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_schema_generates_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    assert not problems, "drf-spectacular complained:\n" + "\n".join(problems)
    validate_schema(schema)
    assert "/api/v1/invitations/accept/" in schema["paths"]


def test_the_schema_is_served(client, db, settings):
    settings.TANDEM_PUBLIC_API_DOCS = True
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Tandem API"


@pytest.fixture
def docs_html(client, db, settings):
    settings.TANDEM_PUBLIC_API_DOCS = True
    response = client.get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_docs_page_references_no_other_host(docs_html):
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", docs_html)
    references += re.findall(r"""["']((?:https?:)?//[^"']+)["']""", docs_html)
    assert any("swagger-ui" in ref for ref in references), "the page no longer loads Swagger UI at all"
    external = [ref for ref in references if re.match(r"(?:https?:)?//", ref)]
    assert not external, f"the docs page loads from other hosts: {external}"


def test_the_docs_page_assets_are_shipped_with_the_project(settings, docs_html):
    # Served from STATIC_ROOT after collectstatic; here it is enough that an installed app ships each file.
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", docs_html)
    static = [ref for ref in assets if ref.startswith("/" + settings.STATIC_URL.lstrip("/"))]
    assert static
    for ref in static:
        assert finders.find(ref.removeprefix("/" + settings.STATIC_URL.lstrip("/"))), ref


# --- responses as they are sent ------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def response_schema(schema, path, method, status):
    response = schema["paths"][path][method]["responses"][str(status)]
    return resolve(schema, response["content"]["application/json"]["schema"])


def alternatives(schema, node):
    node = resolve(schema, node)
    return [resolve(schema, option) for option in node.get("anyOf", [node])]


def test_incident_stats_month_is_a_year_and_month(schema):
    month = schema["components"]["schemas"]["IncidentStats"]["properties"]["month"]
    assert month["type"] == "string"
    assert month.get("format") != "date"
    assert re.fullmatch(month["pattern"], "2026-11")
    assert not re.fullmatch(month["pattern"], "2026-11-01")
    assert not re.fullmatch(month["pattern"], "2026-13")


@pytest.mark.parametrize("name", ["CourseSession", "CourseSessionRequest", "PatchedCourseSessionRequest"])
@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_course_session_times_are_wall_clock_times(schema, name, field):
    time = schema["components"]["schemas"][name]["properties"][field]
    # JSON Schema's "time" is RFC 3339's full-time, with an offset: not what is sent ("10:00:00").
    assert time["type"] == "string" and time.get("format") != "time"
    for sent in ["10:00:00", "18:30", "09:15:00.250000"]:
        assert re.fullmatch(time["pattern"], sent), sent
    for wrong in ["10:00:00+01:00", "25:00", "10h"]:
        assert not re.fullmatch(time["pattern"], wrong), wrong


ILLEGAL_TRANSITIONS = [
    ("/api/v1/incidents/{id}/transition/", "post"),
    ("/api/v1/people/{id}/transition/", "post"),
    ("/api/v1/licences/{id}/activate/", "post"),
    ("/api/v1/courses/{id}/transition/", "post"),
    ("/api/v1/enrolments/{id}/transition/", "post"),
    ("/api/v1/supervision-groups/{id}/activate/", "post"),
    ("/api/v1/supervision-sessions/{id}/cancel/", "post"),
    ("/api/v1/matches/{id}/end/", "post"),
]


@pytest.mark.parametrize(("path", "method"), ILLEGAL_TRANSITIONS)
def test_illegal_transitions_declare_the_allowed_moves(schema, path, method):
    body = response_schema(schema, path, method, 409)
    assert set(body["required"]) == {"detail", "allowed"}
    assert body["properties"]["allowed"] == {"type": "array", "items": {"type": "string"}}


UNMET_RULES = [
    ("/api/v1/people/{id}/transition/", "post"),
    ("/api/v1/supervision-groups/{id}/activate/", "post"),
    ("/api/v1/supervision-groups/{id}/members/", "post"),
    ("/api/v1/accreditations/{id}/promote/", "post"),
    ("/api/v1/enrolments/{id}/transition/", "post"),
]


@pytest.mark.parametrize(("path", "method"), UNMET_RULES)
def test_business_rules_declare_unmet_requirements_and_field_errors(schema, path, method):
    options = alternatives(
        schema, schema["paths"][path][method]["responses"]["400"]["content"]["application/json"]["schema"]
    )
    (unmet,) = [option for option in options if "unmet" in option.get("properties", {})]
    assert set(unmet["required"]) == {"detail", "unmet"}
    item = resolve(schema, unmet["properties"]["unmet"]["items"])
    assert set(item["required"]) == {"code", "message"}
    # The same status also answers a field error: {"to": ["This field is required."]}.
    (fields,) = [option for option in options if option is not unmet]
    assert fields["additionalProperties"] == {"anyOf": [{"type": "array"}, {"type": "object"}]}


def test_every_operation_declares_its_error_answers_as_json(schema):
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path.count("{") and "404" not in responses:
                missing.append(f"{method.upper()} {path}: 404")
            if method in {"post", "patch", "delete"} and "400" not in responses:
                missing.append(f"{method.upper()} {path}: 400")
            for status, response in responses.items():
                # 414 comes from the web server in front of Tandem, as its own HTML page.
                if status >= "400" and status != "414" and "application/json" not in response.get("content", {}):
                    missing.append(f"{method.upper()} {path}: {status} without a JSON body")
    assert not missing, "\n".join(missing)


def test_acknowledging_again_declares_the_200_it_answers(schema):
    """201 when recorded now, 200 when the person had acknowledged this version already (the fuzzer's find)."""
    operation = schema["paths"]["/api/v1/partners/{id}/policy/acknowledge/"]["post"]
    assert {"200", "201"} <= set(operation["responses"])


def test_every_operation_declares_the_web_servers_414_for_an_over_long_url(schema):
    """gunicorn answers a request line over its limit itself, as HTML (the fuzzer's find): the schema says so."""
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "text/html" not in operation["responses"].get("414", {}).get("content", {})
    ]
    assert not missing, missing
