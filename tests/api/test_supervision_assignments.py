"""/api/v1/supervision-assignments/ and the scheduling rule it feeds: what HTTP adds (codes, shapes, who)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import services as franchise_services
from supervision.models import SupervisionAssignment, SupervisionSession
from tests.supervision.factories import BoundaryIncidentFactory, PersonFactory, SupervisionAssignmentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/supervision-assignments/"
SESSIONS = "/api/v1/supervision-sessions/"
SERIES = "/api/v1/supervision-series/"
FIELDS = {"id", "partner", "supervisor", "supervisee", "starts_on", "ends_on", "current", "created_by"}


@pytest.fixture
def supervisor_person(partner, supervisor):
    return PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")


@pytest.fixture
def mentor(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, active_mentor=True, name="Mo Mentor")


def _new(partner, supervisor_person, mentor, **extra):
    return {"partner": str(partner.pk), "supervisor": str(supervisor_person.pk), "supervisee": str(mentor.pk), **extra}


def _one_to_one(partner, supervisor_person, mentor, day=2):
    starts_at = timezone.localtime() + timedelta(days=day)
    return {
        "partner": str(partner.pk),
        "kind": "one_to_one",
        "supervisor": str(supervisor_person.pk),
        "supervisee": str(mentor.pk),
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
    }


# --- the hole: a supervisor appointing themselves -------------------------------------------


@pytest.mark.parametrize("url", [SESSIONS, SERIES], ids=["session", "series"])
def test_a_supervisor_cannot_book_a_one_to_one_with_a_mentor_not_assigned_to_them(
    url, client_for, supervisor, supervisor_person, mentor, partner
):
    body = _one_to_one(partner, supervisor_person, mentor)
    if url == SERIES:
        body["rrule"] = "FREQ=WEEKLY;COUNT=3"

    response = client_for(supervisor).post(url, body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["supervisee"]
    assert "not currently assigned" in response.json()["supervisee"][0]
    assert not SupervisionSession.objects.exists()
    assert not SupervisionAssignment.objects.exists()


def test_booking_a_one_to_one_gives_a_supervisor_no_sight_of_the_mentors_incidents(
    client_for, supervisor, supervisor_person, mentor, partner, coordinator
):
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"supervisors_see_incidents": True}
    )
    incident = BoundaryIncidentFactory(partner=partner, mentor=mentor)
    client = client_for(supervisor)

    client.post(SESSIONS, _one_to_one(partner, supervisor_person, mentor), format="json")

    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    assert client.get("/api/v1/incidents/").json()["count"] == 0


def test_once_a_coordinator_assigns_them_the_supervisor_books_and_reads_the_agenda(
    client_for, coordinator, supervisor, supervisor_person, mentor, partner
):
    incident = BoundaryIncidentFactory(partner=partner, mentor=mentor)
    created = client_for(coordinator).post(URL, _new(partner, supervisor_person, mentor), format="json")
    assert created.status_code == 201, created.content
    assert set(created.json()) == FIELDS
    assert created.json()["current"] is True
    assert created.json()["created_by"] == str(coordinator.pk)

    client = client_for(supervisor)
    booked = client.post(SESSIONS, _one_to_one(partner, supervisor_person, mentor), format="json")
    assert booked.status_code == 201, booked.content
    agenda = client.get("/api/v1/incidents/agenda/", {"session": booked.json()["id"]})
    assert [item["id"] for item in agenda.json()["results"]] == [str(incident.pk)]

    ended = client_for(coordinator).post(f"{URL}{created.json()['id']}/end/", {}, format="json")
    assert ended.status_code == 200, ended.content
    assert (ended.json()["current"], ended.json()["ends_on"]) == (False, timezone.localdate().isoformat())
    assert client.get("/api/v1/incidents/agenda/", {"session": booked.json()["id"]}).status_code == 403
    again = client.post(SESSIONS, _one_to_one(partner, supervisor_person, mentor, day=9), format="json")
    assert again.status_code == 400 and list(again.json()) == ["supervisee"]


def test_a_coordinator_booking_a_one_to_one_makes_the_assignment(
    client_for, coordinator, supervisor_person, mentor, partner
):
    booked = client_for(coordinator).post(SESSIONS, _one_to_one(partner, supervisor_person, mentor), format="json")
    assert booked.status_code == 201, booked.content

    listed = client_for(coordinator).get(URL, {"current": "true"}).json()
    assert [(row["supervisor"], row["supervisee"]) for row in listed["results"]] == [
        (str(supervisor_person.pk), str(mentor.pk))
    ]


# --- who writes, who reads -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "mentor_user", "trainer"])
def test_only_coordinators_create_assignments(who, request, client_for, supervisor_person, mentor, partner):
    response = client_for(request.getfixturevalue(who)).post(
        URL, _new(partner, supervisor_person, mentor), format="json"
    )
    assert response.status_code == 403
    assert not SupervisionAssignment.objects.exists()


def test_the_licensor_reads_assignments_but_does_not_make_them(
    client_for, licensor, supervisor_person, mentor, partner
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    client = client_for(licensor)
    assert client.get(URL).json()["count"] == 1
    assert client.post(URL, _new(partner, supervisor_person, mentor), format="json").status_code == 403
    assert SupervisionAssignment.objects.count() == 1


def test_a_supervisor_and_a_supervisee_read_their_own_and_cannot_end_them(
    client_for, supervisor, mentor_user, supervisor_person, mentor, partner
):
    own = SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    SupervisionAssignmentFactory(partner=partner)
    for user in (supervisor, mentor_user):
        client = client_for(user)
        assert [row["id"] for row in client.get(URL).json()["results"]] == [str(own.pk)]
        assert client.post(f"{URL}{own.pk}/end/", {}, format="json").status_code == 403
    own.refresh_from_db()
    assert own.ends_on is None


def test_another_partners_assignment_is_404(client_for, other_coordinator, supervisor_person, mentor, partner):
    assignment = SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    client = client_for(other_coordinator)
    assert client.get(f"{URL}{assignment.pk}/").status_code == 404
    assert client.post(f"{URL}{assignment.pk}/end/", {}, format="json").status_code == 404
    assert client.post(URL, _new(partner, supervisor_person, mentor), format="json").status_code == 404
    assert SupervisionAssignment.objects.count() == 1


# --- bad input ---------------------------------------------------------------------------------


def test_an_overlapping_assignment_is_a_400_on_supervisee(client_for, coordinator, supervisor_person, mentor, partner):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    response = client_for(coordinator).post(URL, _new(partner, supervisor_person, mentor), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["supervisee"]
    assert SupervisionAssignment.objects.count() == 1


def test_an_end_before_the_start_is_a_400_on_ends_on(client_for, coordinator, supervisor_person, mentor, partner):
    today = timezone.localdate()
    body = _new(partner, supervisor_person, mentor, starts_on=today.isoformat(), ends_on=str(today - timedelta(1)))
    response = client_for(coordinator).post(URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["ends_on"]
    assert not SupervisionAssignment.objects.exists()


def test_ending_an_ended_assignment_is_a_400(client_for, coordinator, supervisor_person, mentor, partner):
    assignment = SupervisionAssignmentFactory(
        partner=partner, supervisor=supervisor_person, supervisee=mentor, ended=True
    )
    response = client_for(coordinator).post(f"{URL}{assignment.pk}/end/", {}, format="json")
    assert response.status_code == 400
    assignment.refresh_from_db()
    assert assignment.ends_on == timezone.localdate() - timedelta(days=1)
