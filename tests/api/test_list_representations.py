"""The lists read less than the details (issue #14) and show exactly the same thing.

Each list row is compared with what the detail endpoint, built the ordinary DRF
way from the full queryset, answers for the same object and caller; the lists'
SQL is checked for what it must not read. Query counts are the walkers' business
(tests/api/test_list_queries.py).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from api import serializers as list_serializers
from api.supervision.incidents import SUMMARY_FIELDS, IncidentSummarySerializer
from api.supervision.people import PersonSerializer
from api.supervision.sessions import SupervisionSessionSerializer
from franchise import services as franchise_services
from franchise.models import Role
from supervision.models import BoundaryIncident, Person, SupervisionSession
from tests.factories import user_with_role
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionSeriesFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import person_of

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/supervision-sessions/"
INCIDENTS = "/api/v1/incidents/"
PEOPLE = "/api/v1/people/"
LONDON = ZoneInfo("Europe/London")


def _sessions(partner, supervisor_user):
    """A held 1:1 with notes run by `supervisor_user`, a scheduled one with no attendance yet, a cancelled one in
    summer time (+01:00), and a group session of a series with a facilitator."""
    supervisor = person_of(supervisor_user, partner)
    SupervisionSessionFactory(partner=partner, supervisor=supervisor, held=True, supervisee_comment="Agreed.")
    SupervisionSessionFactory(partner=partner, location="")
    summer = datetime(2026, 7, 1, 10, tzinfo=LONDON)
    SupervisionSessionFactory(
        partner=partner, cancelled=True, starts_at=summer, ends_at=summer.replace(hour=11), cancel_reason="Ill"
    )
    group_session = SupervisionSessionFactory(
        partner=partner, group_session=True, series=SupervisionSeriesFactory(partner=partner)
    )
    group_session.facilitator = group_session.attendances.first().person
    group_session.save()


def _rows(client, url):
    response = client.get(url, {"page_size": 200})
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("reader", ["coordinator", "supervisor", "licensor"])
def test_each_session_row_is_what_the_detail_shows(
    reader, partner, coordinator, supervisor, licensor, token_client_for
):
    _sessions(partner, supervisor)
    client = token_client_for({"coordinator": coordinator, "supervisor": supervisor, "licensor": licensor}[reader])

    rows = _rows(client, SESSIONS)

    assert rows, "the reader sees sessions"
    for row in rows:
        assert row == client.get(f"{SESSIONS}{row['id']}/").json()
    if reader == "supervisor":
        assert [row["notes"] for row in rows] == ["Talked through a difficult ending with a mentee."]
    shown = {row["status"]: row for row in rows}
    if "cancelled" in shown:
        assert shown["cancelled"]["starts_at"] == "2026-07-01T10:00:00+01:00"
        assert shown["scheduled"]["attendees"][0]["attendance"] is None


def test_the_session_list_pages_on_the_session_table_without_joining_what_it_shows_as_ids(
    partner, coordinator, token_client_for
):
    SupervisionSessionFactory(partner=partner)
    client = token_client_for(coordinator)

    with CaptureQueriesContext(connection) as captured:
        client.get(SESSIONS, {"page_size": 50})

    page = [q["sql"] for q in captured if q["sql"].startswith('SELECT "supervision_supervisionsession".')]
    assert len(page) == 1
    assert "LEFT OUTER JOIN" not in page[0]
    assert '"franchise_partner"' not in page[0]


def test_the_session_list_still_filters_and_refuses_a_bad_filter(partner, coordinator, token_client_for):
    SupervisionSessionFactory(partner=partner, held=True)
    SupervisionSessionFactory(partner=partner)
    client = token_client_for(coordinator)

    held = client.get(SESSIONS, {"page_size": 50, "status": "held"}).json()["results"]
    refused = client.get(SESSIONS, {"page_size": 50, "starts_after": "soon"})

    assert [row["status"] for row in held] == ["held"]
    assert refused.status_code == 400 and "starts_after" in refused.json()


@pytest.mark.parametrize("reader", ["coordinator", "supervisor"])
def test_each_incident_row_is_the_detail_without_the_account(
    reader, partner, coordinator, supervisor, token_client_for
):
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"supervisors_see_incidents": True}
    )
    mentor = PersonFactory(partner=partner, active_mentor=True)
    SupervisionAssignmentFactory(partner=partner, supervisor=person_of(supervisor, partner), supervisee=mentor)
    BoundaryIncidentFactory(partner=partner, mentor=mentor)
    BoundaryIncidentFactory(partner=partner, mentor=mentor, escalated=True, critical=True)
    BoundaryIncidentFactory(partner=partner, closed=True)
    client = token_client_for(coordinator if reader == "coordinator" else supervisor)

    rows = _rows(client, INCIDENTS)

    assert len(rows) == (3 if reader == "coordinator" else 2)
    for row in rows:
        assert list(row) == SUMMARY_FIELDS
        detail = client.get(f"{INCIDENTS}{row['id']}/").json()
        assert row == {field: detail[field] for field in SUMMARY_FIELDS}


def test_the_incident_list_never_reads_an_incidents_account(partner, coordinator, token_client_for):
    BoundaryIncidentFactory(partner=partner)
    client = token_client_for(coordinator)

    with CaptureQueriesContext(connection) as captured:
        assert client.get(INCIDENTS, {"page_size": 50}).json()["count"] == 1

    read = " ".join(q["sql"] for q in captured)
    assert '"supervision_boundaryincident"."description"' not in read
    assert '"supervision_boundaryincident"."immediate_action"' not in read


@pytest.mark.parametrize("reader", ["coordinator", "supervisor", "licensor", "mentor"])
def test_each_person_row_is_what_the_detail_shows(
    reader, partner, coordinator, supervisor, licensor, mentor_user, token_client_for
):
    person_of(supervisor, partner)
    person_of(mentor_user, partner, active_mentor=True)
    PersonFactory(partner=partner, paused=True)
    PersonFactory(partner=partner, shadowing=True)
    PersonFactory(partner=partner)
    users = {"coordinator": coordinator, "supervisor": supervisor, "licensor": licensor, "mentor": mentor_user}
    client = token_client_for(users[reader])

    rows = _rows(client, PEOPLE)

    assert len(rows) == (1 if reader == "mentor" else 5)
    for row in rows:
        assert row == client.get(f"{PEOPLE}{row['id']}/").json()
    feeds = [row["name"] for row in rows if row["calendar_url"]]
    if reader == "supervisor":
        assert feeds == [supervisor.name], "a supervisor sees only their own calendar link"


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_the_list_serializer_answers_what_drfs_own_does(zone, partner, coordinator, rf, monkeypatch):
    _sessions(partner, user_with_role(Role.SUPERVISOR, partner))
    request = rf.get("/")
    request.user = coordinator
    context = {"request": request}

    def page():
        rows = SupervisionSession.objects.for_listing().with_notes_visibility(coordinator)
        return SupervisionSessionSerializer(rows, many=True, context=context).data

    with timezone.override(zone):
        ours = page()
        for name in ("get_attribute", "to_representation"):
            monkeypatch.setattr(list_serializers.ListSerializer, name, getattr(serializers.ListSerializer, name))
        drfs = page()

    assert ours == drfs
    assert any(row["starts_at"].endswith("-04:00") for row in ours) == (zone == "America/New_York")


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_plain_values_rows_answer_what_drfs_own_does_from_model_rows(zone, partner, monkeypatch):
    BoundaryIncidentFactory(partner=partner)
    BoundaryIncidentFactory(partner=partner, escalated=True, critical=True)
    BoundaryIncidentFactory(partner=partner, closed=True)

    def page(rows):
        return IncidentSummarySerializer(rows, many=True).data

    with timezone.override(zone):
        # The fields are built once per class: the second zone must still be each date-time's.
        from_values = page(BoundaryIncident.objects.values(*SUMMARY_FIELDS))
        from_models = page(BoundaryIncident.objects.all())
        for name in ("get_attribute", "to_representation"):
            monkeypatch.setattr(list_serializers.ListSerializer, name, getattr(serializers.ListSerializer, name))
        drfs = page(BoundaryIncident.objects.all())

    assert from_values == from_models == drfs
    assert any(row["occurred_at"].endswith(("-05:00", "-04:00")) for row in drfs) == (zone == "America/New_York")


def test_values_rows_of_a_list_that_shows_more_than_columns_are_refused(partner):
    PersonFactory(partner=partner)

    with pytest.raises(ImproperlyConfigured, match="PersonSerializer.shadowing_hours is not a column"):
        PersonSerializer(Person.objects.values("id", "name"), many=True).data  # noqa: B018
