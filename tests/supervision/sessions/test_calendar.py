"""Calendar feeds: parsed back with icalendar, stable UIDs, SEQUENCE on change, cancelled sessions, time zones, and
a series' occurrences compared with dateutil's expansion."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from django.test import Client

from supervision.sessions import services
from tests.supervision.factories import PersonFactory, SupervisionGroupFactory, SupervisionSessionFactory
from tests.supervision.sessions.helpers import at, days_from_now, mentors, person_of

pytestmark = pytest.mark.django_db


def _feed(url):
    response = Client().get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def _person_url(person):
    return f"/calendar/{person.calendar_secret}.ics"


def _events(calendar):
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def people(partner, supervisor, mentor_user):
    return person_of(supervisor, partner), person_of(mentor_user, partner, active_mentor=True)


def test_a_persons_feed_lists_their_sessions_with_stable_uids(partner, people):
    supervisor, supervisee = people
    own = SupervisionSessionFactory(partner=partner, supervisor=supervisor, supervisee=supervisee, location="Room 2")
    SupervisionSessionFactory(partner=partner)

    calendar = _feed(_person_url(supervisee))

    events = _events(calendar)
    assert list(events) == [f"{own.pk}@tandem.test"]
    event = events[f"{own.pk}@tandem.test"]
    assert event.start == own.starts_at
    assert event.end == own.ends_at
    assert str(event["LOCATION"]) == "Room 2"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert supervisee.name in str(event["SUMMARY"])
    assert calendar["VERSION"] == "2.0"


def test_times_carry_the_partners_time_zone(partner, people):
    supervisor, supervisee = people
    SupervisionSessionFactory(
        partner=partner, supervisor=supervisor, supervisee=supervisee, starts_at=at("2027-07-01", 18)
    )

    calendar = _feed(_person_url(supervisee))

    event = calendar.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.start.tzinfo.key == "Europe/London"
    assert event.start.strftime("%H:%M %z") == "18:00 +0100"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_a_change_bumps_the_sequence_under_the_same_uid(partner, coordinator, people):
    supervisor, supervisee = people
    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind="one_to_one",
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=days_from_now(2),
        ends_at=days_from_now(2, 11),
    )
    before = _events(_feed(_person_url(supervisee)))

    services.reschedule_session(by=coordinator, session=session, starts_at=days_from_now(3))
    after = _events(_feed(_person_url(supervisee)))

    assert list(after) == list(before)
    event = after[f"{session.pk}@tandem.test"]
    assert event["SEQUENCE"] == 1
    assert event.start == days_from_now(3)


def test_a_cancelled_session_stays_in_the_feed_as_cancelled(partner, coordinator, people):
    supervisor, supervisee = people
    session = SupervisionSessionFactory(partner=partner, supervisor=supervisor, supervisee=supervisee)

    services.cancel_session(by=coordinator, session=session, reason="Room flooded.")

    event = _events(_feed(_person_url(supervisee)))[f"{session.pk}@tandem.test"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_a_series_in_the_feed_matches_dateutils_expansion_across_the_clock_change(partner, coordinator, people):
    supervisor, supervisee = people
    rule = "FREQ=WEEKLY;BYDAY=TU;COUNT=8"
    start = at("2027-03-09", 18)
    series, _sessions = services.schedule_series(
        by=coordinator,
        partner=partner,
        rrule=rule,
        kind="one_to_one",
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )

    events = _feed(_person_url(supervisee)).walk("VEVENT")

    expected = list(rrulestr(f"RRULE:{rule}", dtstart=start.astimezone(ZoneInfo("Europe/London"))))
    assert sorted(event.start for event in events) == expected
    assert {event.start.strftime("%H:%M") for event in events} == {"18:00"}
    assert len({event.start.utcoffset() for event in events}) == 2  # both sides of the change


def test_the_feed_never_carries_notes(partner, people):
    supervisor, supervisee = people
    SupervisionSessionFactory(
        partner=partner, supervisor=supervisor, supervisee=supervisee, held=True, notes="Very private."
    )

    response = Client().get(_person_url(supervisee))

    assert b"Very private" not in response.content


def test_an_unknown_secret_is_not_found(db):
    assert Client().get("/calendar/not-a-secret.ics").status_code == 404
    assert Client().get("/calendar/group/not-a-secret.ics").status_code == 404


def test_a_regenerated_secret_retires_the_old_person_url(partner, people):
    from supervision.people.models import new_calendar_secret

    _supervisor, supervisee = people
    old = _person_url(supervisee)
    supervisee.calendar_secret = new_calendar_secret()
    supervisee.save()

    assert Client().get(old).status_code == 404
    assert Client().get(_person_url(supervisee)).status_code == 200


def test_a_group_feed_lists_the_groups_sessions_and_its_facilitator(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, active=True, members=mentors(partner, 4))
    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind="group",
        group=group,
        starts_at=days_from_now(2),
        ends_at=days_from_now(2, 12),
    )
    SupervisionSessionFactory(partner=partner)
    session.refresh_from_db()

    calendar = _feed(f"/calendar/group/{group.calendar_secret}.ics")

    events = _events(calendar)
    assert list(events) == [f"{session.pk}@tandem.test"]
    assert group.name in str(events[f"{session.pk}@tandem.test"]["SUMMARY"])
    assert session.facilitator.name in str(events[f"{session.pk}@tandem.test"]["DESCRIPTION"])


def test_regenerating_a_groups_secret_retires_the_old_url(partner, coordinator):
    group = SupervisionGroupFactory(partner=partner)
    old = f"/calendar/group/{group.calendar_secret}.ics"

    services.regenerate_group_calendar(by=coordinator, group=group)

    assert Client().get(old).status_code == 404
    assert Client().get(f"/calendar/group/{group.calendar_secret}.ics").status_code == 200


def test_the_feed_needs_no_login_and_answers_only_get(partner):
    person = PersonFactory(partner=partner)

    assert Client().post(_person_url(person)).status_code == 405
