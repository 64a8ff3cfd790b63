"""The API's JSON renderer writes what DRF's own writes, for every kind of value a response carries."""

import datetime
import decimal
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db.models import TextChoices
from django.utils.functional import lazy
from rest_framework import renderers as drf_renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONRenderer
from api.supervision.incidents import IncidentViewSet
from tests.supervision.factories import BoundaryIncidentFactory


class Colour(TextChoices):
    RED = "red", "Red"


@pytest.mark.parametrize(
    "data",
    [
        {"id": uuid.UUID("eda09e92-8352-427e-995a-64ebfa0285d5"), "count": 3, "next": None, "ok": True},
        {"at": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)},
        {"at": datetime.datetime(2026, 7, 1, 10, tzinfo=ZoneInfo("Europe/London")), "on": datetime.date(2026, 1, 1)},
        {"time": datetime.time(10, 30), "length": datetime.timedelta(hours=1)},
        {"amount": decimal.Decimal("1.50"), "words": lazy(lambda: "Grüße", str)(), "colour": Colour.RED},
        {"pair": (1, 2), "set": {1}, "large": 2**70, "by_number": {1: "one"}},
        {"text": "a line\u2028and a paragraph\u2029end", "ratio": 0.1},
        ReturnDict({"results": ReturnList([1, 2], serializer=None)}, serializer=None),
        [],
        "plain",
    ],
)
def test_the_renderer_writes_what_drfs_writes(data):
    assert JSONRenderer().render(data) == drf_renderers.JSONRenderer().render(data)


def test_indented_output_on_request_is_drfs_too():
    media_type = "application/json; indent=4"

    assert JSONRenderer().render({"a": [1]}, media_type, {}) == drf_renderers.JSONRenderer().render(
        {"a": [1]}, media_type, {}
    )


@pytest.mark.django_db
def test_an_api_list_reads_the_same_with_drfs_renderer(partner, coordinator, token_client_for, monkeypatch):
    BoundaryIncidentFactory(partner=partner)
    client = token_client_for(coordinator)
    ours = client.get("/api/v1/incidents/")

    monkeypatch.setattr(IncidentViewSet, "renderer_classes", [drf_renderers.JSONRenderer])
    drfs = client.get("/api/v1/incidents/")

    assert type(ours.accepted_renderer) is JSONRenderer
    assert type(drfs.accepted_renderer) is drf_renderers.JSONRenderer
    assert ours.content == drfs.content
