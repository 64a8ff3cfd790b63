"""Where the API kept its contract (API.md) only in part: 403 for a visible object the caller may not change,
times with their offset, wall-clock times that exist, and a proposed guest member named only after consent."""

import json
from datetime import date

import pytest

from supervision.models import GroupMembership, SupervisionGroup, SupervisionSeries, SupervisionSession
from tests.api.routes import api_routes
from tests.factories import PartnerFactory
from tests.supervision.factories import GroupMembershipFactory, PersonFactory, SupervisionGroupFactory
from tests.supervision.sessions.helpers import at, mentors, person_of

pytestmark = pytest.mark.django_db

GROUPS = "/api/v1/supervision-groups/"
SERIES = "/api/v1/supervision-series/"
SESSIONS = "/api/v1/supervision-sessions/"
COURSE_SESSIONS = "/api/v1/course-sessions/"

# --- 403 for what the caller can see but may not change ---------------------------------------------------


@pytest.fixture
def guest_group(partner, other_partner):
    """An external group of `partner` with `other_partner` as a guest and one of its people as a member."""
    group = SupervisionGroupFactory(partner=partner, external=True, members=mentors(partner, 2), rrule="")
    group.guest_partners.add(other_partner)
    guest = PersonFactory(partner=other_partner, active_mentor=True)
    GroupMembershipFactory(partner=partner, group=group, person=guest)
    return group


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "", {"name": "Renamed"}),
        ("post", "activate/", None),
        ("post", "close/", None),
        ("post", "calendar/regenerate/", None),
    ],
)
def test_a_guest_partners_coordinator_may_see_but_not_change_the_owners_group(
    client_for, other_coordinator, guest_group, method, path, body
):
    client = client_for(other_coordinator)
    assert client.get(f"{GROUPS}{guest_group.pk}/").status_code == 200
    before = SupervisionGroup.objects.values().get(pk=guest_group.pk)

    response = getattr(client, method)(f"{GROUPS}{guest_group.pk}/{path}", body, format="json")

    assert response.status_code == 403, response.content
    assert "detail" in response.json()
    assert SupervisionGroup.objects.values().get(pk=guest_group.pk) == before


def test_a_guest_partners_coordinator_may_not_add_the_owners_people(client_for, other_coordinator, guest_group):
    owners_person = PersonFactory(partner=guest_group.partner, active_mentor=True)
    members = GroupMembership.objects.filter(group=guest_group).count()

    response = client_for(other_coordinator).post(
        f"{GROUPS}{guest_group.pk}/members/", {"person": str(owners_person.pk)}, format="json"
    )

    # The owner's person is not one the guest can see: the body names nothing the caller may use.
    assert response.status_code == 400
    assert "person" in response.json()
    assert GroupMembership.objects.filter(group=guest_group).count() == members


def test_no_write_on_an_object_the_guest_can_see_answers_404(client_for, other_coordinator, guest_group):
    # Generic: every write route of the group and of its session, as the guest partner's coordinator.
    from tests.supervision.factories import SupervisionSessionFactory

    guest_group.status = SupervisionGroup.Status.ACTIVE
    guest_group.save()
    session = SupervisionSessionFactory(
        partner=guest_group.partner, kind="group", group=guest_group, supervisor=None, supervisee=None
    )
    client = client_for(other_coordinator)
    client.raise_request_exception = False
    problems = []
    for obj in (guest_group, session):
        assert client.get(f"{GROUPS if obj is guest_group else SESSIONS}{obj.pk}/").status_code == 200
        for route in api_routes():
            if route.model is not type(obj) or not route.detail or route.kwarg_names != (route.lookup_kwarg,):
                continue
            for method in route.methods:
                if method == "get":
                    continue
                response = getattr(client, method)(route.url(**{route.lookup_kwarg: obj.pk}), {}, format="json")
                if response.status_code == 404:
                    problems.append(f"{method.upper()} {route}: 404 {response.content[:120]!r}")
    assert not problems, "\n".join(problems)


def test_an_unrelated_partner_still_gets_404_for_the_group(client_for, guest_group):
    from franchise.models import Role
    from tests.factories import user_with_role

    outsider = user_with_role(Role.COORDINATOR, PartnerFactory(), email="outsider@example.org")

    response = client_for(outsider).patch(f"{GROUPS}{guest_group.pk}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 404


# --- times with their offset -------------------------------------------------------------------------------


@pytest.fixture
def pair(partner, supervisor, mentor_user):
    return person_of(supervisor, partner), person_of(mentor_user, partner, active_mentor=True)


def _session_body(partner, pair, **changes):
    body = {
        "partner": str(partner.pk),
        "kind": "one_to_one",
        "supervisor": str(pair[0].pk),
        "supervisee": str(pair[1].pk),
        "starts_at": at("2027-03-16", 18).isoformat(),
        "ends_at": at("2027-03-16", 19).isoformat(),
    }
    body.update(changes)
    return body


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_a_session_time_without_an_offset_is_a_400_that_says_so(client_for, coordinator, partner, pair, field):
    body = _session_body(partner, pair, **{field: "2027-03-16T18:30:00"})

    response = client_for(coordinator).post(SESSIONS, body, format="json")

    assert response.status_code == 400
    assert response.json()[field] == ["Give the time with its UTC offset, e.g. 2026-03-01T10:00:00+00:00."]
    assert not SupervisionSession.objects.exists()


def test_an_incident_time_without_an_offset_is_a_400_on_occurred_at(client_for, coordinator, partner):
    response = client_for(coordinator).post(
        "/api/v1/incidents/", {"partner": str(partner.pk), "occurred_at": "2026-11-01T10:00:00"}, format="json"
    )

    assert response.status_code == 400
    assert "UTC offset" in response.json()["occurred_at"][0]


def test_every_writable_datetime_field_of_every_serializer_insists_on_an_offset():
    # Walks the serializers the routes use, so a field added later is held to the same rule.
    from rest_framework import serializers

    from api.fields import DateTimeField

    problems = []
    for route in api_routes():
        for name in dir(route.view_class):
            value = getattr(route.view_class, name, None)
            if not (isinstance(value, type) and issubclass(value, serializers.BaseSerializer)):
                continue
            problems += _naive_fields(value, DateTimeField)
        serializer_class = getattr(route.view_class, "serializer_class", None)
        if serializer_class is not None:
            problems += _naive_fields(serializer_class, DateTimeField)
    assert not problems, "\n".join(sorted(set(problems)))


def _naive_fields(serializer_class, wanted):
    from rest_framework import serializers

    try:
        fields = serializer_class().fields
    except Exception:  # noqa: BLE001 - a serializer that needs context to build its fields
        return []
    found = []
    for name, field in fields.items():
        if isinstance(field, serializers.DateTimeField) and not field.read_only and not isinstance(field, wanted):
            found.append(f"{serializer_class.__name__}.{name}")
    return found


def test_a_time_with_an_offset_is_still_taken(client_for, coordinator, partner, pair):
    body = _session_body(partner, pair, starts_at="2027-03-16T18:00:00Z", ends_at="2027-03-16T19:00:00+00:00")

    response = client_for(coordinator).post(SESSIONS, body, format="json")

    assert response.status_code == 201, response.content


# --- wall-clock times that do not exist where the partner is ----------------------------------------------


def test_a_series_whose_occurrence_falls_in_the_spring_gap_is_a_400_that_says_so(
    client_for, coordinator, partner, pair
):
    # Weekly on Sundays at 01:30 London time: on 28 March 2027 the clocks go from 01:00 to 02:00.
    partner.time_zone = "Europe/London"
    partner.save()
    body = _session_body(
        partner,
        pair,
        starts_at=at("2027-03-14", 1, 30).isoformat(),
        ends_at=at("2027-03-14", 2, 15).isoformat(),
        rrule="FREQ=WEEKLY;COUNT=4",
    )

    response = client_for(coordinator).post(SERIES, body, format="json")

    assert response.status_code == 400, response.content
    (message,) = response.json()["rrule"]
    assert "01:30 on 2027-03-28" in message
    assert "does not exist in Europe/London" in message
    assert not SupervisionSeries.objects.exists()
    assert not SupervisionSession.objects.exists()


@pytest.fixture
def course(partner, coordinator):
    from tests.training.factories import CourseFactory

    return CourseFactory(partner=partner, starts_on=date(2027, 3, 1), ends_on=date(2027, 4, 30))


@pytest.mark.parametrize(("starts_at", "ends_at"), [("01:30", "03:00"), ("00:30", "01:15")])
def test_a_course_session_at_a_time_that_does_not_exist_locally_is_a_400(
    client_for, coordinator, partner, course, starts_at, ends_at
):
    from training.models import CourseSession

    partner.time_zone = "Europe/London"
    partner.save()
    body = {"course": str(course.pk), "date": "2027-03-28", "starts_at": starts_at, "ends_at": ends_at, "topic": "x"}

    response = client_for(coordinator).post(COURSE_SESSIONS, body, format="json")

    assert response.status_code == 400, response.content
    field = "starts_at" if starts_at == "01:30" else "ends_at"
    assert "does not exist in Europe/London" in response.json()[field][0]
    assert not CourseSession.objects.filter(course=course).exists()


def test_a_course_session_the_day_after_the_change_is_taken(client_for, coordinator, partner, course):
    partner.time_zone = "Europe/London"
    partner.save()
    body = {"course": str(course.pk), "date": "2027-03-29", "starts_at": "01:30", "ends_at": "03:00", "topic": "x"}

    response = client_for(coordinator).post(COURSE_SESSIONS, body, format="json")

    assert response.status_code == 201, response.content


# --- a proposed guest member is not named before their own coordinator consents ---------------------------


@pytest.fixture
def proposed(partner, other_partner, licensor):
    group = SupervisionGroupFactory(partner=partner, external=True, members=mentors(partner, 2), rrule="")
    group.guest_partners.add(other_partner)
    guest = PersonFactory(partner=other_partner, active_mentor=True, name="Gita Guest")
    GroupMembershipFactory(partner=partner, group=group, person=guest, pending=True)
    return group, guest


def _member_views(client, group):
    detail = client.get(f"{GROUPS}{group.pk}/").json()
    listed = client.get(GROUPS).json()["results"]
    return [detail["members"], next(g for g in listed if g["id"] == str(group.pk))["members"]]


def test_the_owning_partner_does_not_see_who_was_proposed_before_consent(client_for, coordinator, proposed):
    group, guest = proposed

    for members in _member_views(client_for(coordinator), group):
        text = json.dumps(members)
        assert guest.name not in text
        assert str(guest.pk) not in text
        (pending,) = [m for m in members if not m["consented"]]
        assert pending["person"] is None
        assert pending["name"] == "Awaiting their coordinator's consent"


def test_the_guests_own_coordinator_and_the_licensor_see_who_was_proposed(
    client_for, other_coordinator, licensor, proposed
):
    group, guest = proposed

    for user in (other_coordinator, licensor):
        for members in _member_views(client_for(user), group):
            assert {"person": str(guest.pk), "name": guest.name} in [
                {"person": m["person"], "name": m["name"]} for m in members
            ]


def test_after_consent_the_owning_partner_sees_the_member(client_for, coordinator, other_coordinator, proposed):
    group, guest = proposed

    consent = client_for(other_coordinator).post(f"{GROUPS}{group.pk}/members/{guest.pk}/consent/")

    assert consent.status_code == 200, consent.content
    members = client_for(coordinator).get(f"{GROUPS}{group.pk}/").json()["members"]
    assert {"person": str(guest.pk), "name": guest.name, "consented": True} in [
        {"person": m["person"], "name": m["name"], "consented": m["consented"]} for m in members
    ]
