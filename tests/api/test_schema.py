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


def test_the_schema_is_served(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Tandem API"


@pytest.fixture
def docs_html(client, db):
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
