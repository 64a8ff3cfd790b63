"""Supervision pages: the calendar, scheduling (with clashes and repeats), a session's page, record, cancel, move
and confirm — as coordinators, supervisors and mentors use them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchise.models import Role
from supervision.models import SessionAction, SupervisionSession
from tests.factories import MembershipFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionGroupFactory,
    SupervisionSeriesFactory,
    SupervisionSessionFactory,
)

LONDON = ZoneInfo("Europe/London")
FORM_DATETIME = "%Y-%m-%dT%H:%M"


def _next_monday(hour=10):
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=LONDON)


def _week_of(moment):
    year, week, _ = moment.astimezone(LONDON).isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def supervisor_person(partner, supervisor):
    return PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")


@pytest.fixture
def mentee(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, name="Mia Mentor", active_mentor=True)


@pytest.fixture
def assignment(partner, supervisor_person, mentee):
    return SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentee)


@pytest.fixture
def session(partner, supervisor_person, mentee, assignment):
    return SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentee,
        starts_at=_next_monday(),
        ends_at=_next_monday() + timedelta(hours=1),
    )


@pytest.fixture
def held(partner, supervisor_person, mentee, assignment):
    starts = timezone.now() - timedelta(days=3)
    return SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentee,
        held=True,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )


def _url(name, partner, *args):
    return reverse(name, args=[partner.slug, *args])


# --- calendar -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("coordinator", 200), ("supervisor", 200), ("mentor_user", 403)])
def test_the_calendar_is_for_coordinators_and_supervisors(request, page_for, partner, who, status):
    response = page_for(request.getfixturevalue(who)).get(_url("calendar", partner))

    assert response.status_code == status


def test_another_partners_coordinator_finds_no_calendar(page_for, partner, other_coordinator):
    assert page_for(other_coordinator).get(_url("calendar", partner)).status_code == 404


def test_the_week_shows_each_session_as_a_link_in_the_partners_time(page_for, partner, coordinator, session):
    response = page_for(coordinator).get(_url("calendar", partner), {"week": _week_of(session.starts_at)})

    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("session-detail", args=[partner.slug, session.pk]) in page
    assert "10:00–11:00" in page
    assert "1:1: Mia Mentor with Sam Supervisor" in page


def test_a_cancelled_session_is_struck_through_and_says_so(page_for, partner, coordinator, session):
    session.status = SupervisionSession.Status.CANCELLED
    session.save()

    page = page_for(coordinator).get(_url("calendar", partner), {"week": _week_of(session.starts_at)}).content.decode()

    assert "<del>" in page
    assert "cancelled" in page


def test_the_default_week_is_this_one_with_today_marked(page_for, partner, coordinator):
    today = timezone.localdate()

    page = page_for(coordinator).get(_url("calendar", partner)).content.decode()

    assert 'aria-current="date"' in page
    assert f"{today:%A} {today.day} {today:%B}" in page


def test_the_month_view_shows_the_months_sessions_and_links_on(page_for, partner, coordinator, session):
    month = session.starts_at.astimezone(LONDON).strftime("%Y-%m")

    response = page_for(coordinator).get(_url("calendar", partner), {"view": "month", "month": month})

    page = response.content.decode()
    assert reverse("session-detail", args=[partner.slug, session.pk]) in page
    assert "Next month" in page and "Previous month" in page


def test_a_supervisor_sees_only_the_sessions_they_attend(page_for, partner, supervisor, session):
    other = SupervisionSessionFactory(partner=partner, starts_at=session.starts_at + timedelta(hours=3))
    other.ends_at = other.starts_at + timedelta(hours=1)
    other.save()

    page = page_for(supervisor).get(_url("calendar", partner), {"week": _week_of(session.starts_at)}).content.decode()

    assert str(session.pk) in page
    assert str(other.pk) not in page


def test_the_calendar_costs_the_same_queries_at_two_sessions_and_at_twenty(page_for, partner, coordinator):
    week = _week_of(_next_monday())
    client = page_for(coordinator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url("calendar", partner), {"week": week}).status_code == 200
        return len(queries)

    def add(n):
        for index in range(n):
            starts = _next_monday(hour=8) + timedelta(days=index % 5, hours=index // 5)
            SupervisionSessionFactory(partner=partner, starts_at=starts, ends_at=starts + timedelta(minutes=50))

    add(2)
    few = count()
    add(18)
    assert count() == few


# --- scheduling -----------------------------------------------------------------------------------------------


def _booking(supervisor_person, mentee, starts, **extra):
    return {
        "kind": "one_to_one",
        "supervisor": supervisor_person.pk,
        "supervisee": mentee.pk,
        "starts_at": starts.strftime(FORM_DATETIME),
        "ends_at": (starts + timedelta(hours=1)).strftime(FORM_DATETIME),
        "location": "Room 2",
        **extra,
    }


def test_a_coordinator_books_a_one_to_one_in_the_partners_time(
    page_for, partner, coordinator, supervisor_person, mentee
):
    starts = _next_monday(hour=14)

    response = page_for(coordinator).post(_url("session-new", partner), _booking(supervisor_person, mentee, starts))

    booked = SupervisionSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("session-detail", args=[partner.slug, booked.pk])
    assert booked.starts_at == starts
    assert set(booked.attendances.values_list("person__name", flat=True)) == {"Sam Supervisor", "Mia Mentor"}


def test_a_supervisor_books_their_assigned_supervisee(
    page_for, partner, supervisor, supervisor_person, mentee, assignment
):
    response = page_for(supervisor).post(
        _url("session-new", partner), _booking(supervisor_person, mentee, _next_monday(hour=15))
    )

    assert response.status_code == 302
    assert SupervisionSession.objects.count() == 1


def test_a_supervisor_cannot_book_someone_not_assigned_to_them(page_for, partner, supervisor, supervisor_person):
    stranger = PersonFactory(partner=partner, active_mentor=True)

    response = page_for(supervisor).post(
        _url("session-new", partner), _booking(supervisor_person, stranger, _next_monday(hour=15))
    )

    assert response.status_code == 400
    assert not SupervisionSession.objects.exists()


def test_a_mentor_cannot_open_the_booking_page(page_for, partner, mentor_user):
    assert page_for(mentor_user).get(_url("session-new", partner)).status_code == 403


def test_another_partners_coordinator_cannot_book_here(page_for, partner, other_coordinator):
    assert page_for(other_coordinator).get(_url("session-new", partner)).status_code == 404


def test_a_clash_is_shown_at_the_start_naming_the_other_session_and_nothing_is_written(
    page_for, partner, coordinator, supervisor_person, mentee, session
):
    response = page_for(coordinator).post(
        _url("session-new", partner),
        _booking(supervisor_person, mentee, session.starts_at + timedelta(minutes=30), repeat="weekly", count="4"),
    )

    page = response.content.decode()
    starts_field = page[page.index('for="id_starts_at"') : page.index('for="id_ends_at"')]
    assert response.status_code == 400
    assert "is already booked" in starts_field
    assert reverse("session-detail", args=[partner.slug, session.pk]) in starts_field
    assert SupervisionSession.objects.count() == 1


def test_a_fortnightly_series_books_every_other_week(page_for, partner, coordinator, supervisor_person, mentee):
    starts = _next_monday(hour=9)
    client = page_for(coordinator)

    response = client.post(
        _url("session-new", partner),
        _booking(supervisor_person, mentee, starts, repeat="fortnightly", count="3"),
    )

    booked = list(SupervisionSession.objects.order_by("starts_at"))
    landing = client.get(response.url).content.decode()
    assert response.status_code == 302
    assert [s.starts_at.astimezone(LONDON).date() for s in booked] == [
        starts.date(),
        starts.date() + timedelta(days=14),
        starts.date() + timedelta(days=28),
    ]
    assert {s.starts_at.astimezone(LONDON).hour for s in booked} == {9}
    assert booked[0].series.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=3"
    assert response.url == reverse("session-detail", args=[partner.slug, booked[0].pk])
    assert "3 sessions booked, every other Monday." in landing


def test_a_coordinator_books_a_peer_group_session_for_every_member(page_for, partner, coordinator):
    group = SupervisionGroupFactory(partner=partner, active=True, members=4)
    starts = _next_monday(hour=18)

    response = page_for(coordinator).post(
        _url("session-new", partner),
        {
            "kind": "group",
            "group": group.pk,
            "starts_at": starts.strftime(FORM_DATETIME),
            "ends_at": (starts + timedelta(minutes=90)).strftime(FORM_DATETIME),
        },
    )

    booked = SupervisionSession.objects.get()
    assert response.status_code == 302
    assert booked.group == group
    assert booked.attendances.count() == 4
    assert booked.facilitator is not None


def test_a_repeat_without_an_end_is_refused_next_to_the_end_date(
    page_for, partner, coordinator, supervisor_person, mentee
):
    response = page_for(coordinator).post(
        _url("session-new", partner), _booking(supervisor_person, mentee, _next_monday(), repeat="weekly")
    )

    assert response.status_code == 400
    assert "Say when the repeats end" in response.content.decode()
    assert not SupervisionSession.objects.exists()


# --- the session's page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "supervisor", "mentor_user"])
def test_the_people_of_a_session_open_its_page(request, page_for, partner, held, who):
    response = page_for(request.getfixturevalue(who)).get(_url("session-detail", partner, held.pk))

    assert response.status_code == 200
    assert "Talked through a difficult ending" in response.content.decode()


def test_a_trainer_of_the_partner_finds_no_session_they_do_not_attend(page_for, partner, trainer, held):
    assert page_for(trainer).get(_url("session-detail", partner, held.pk)).status_code == 404


def test_a_mentor_who_is_not_invited_finds_no_session(page_for, partner, session):
    outsider = PersonFactory(partner=partner, with_user=True, active_mentor=True)
    MembershipFactory(user=outsider.user, partner=partner, role="mentor")

    assert page_for(outsider.user).get(_url("session-detail", partner, session.pk)).status_code == 404


def test_another_partners_coordinator_finds_no_session(page_for, partner, other_coordinator, session):
    assert page_for(other_coordinator).get(_url("session-detail", partner, session.pk)).status_code == 404


def test_the_agenda_names_incidents_without_their_description(page_for, partner, coordinator, mentor_user, session):
    incident = BoundaryIncidentFactory(partner=partner, mentor=session.supervisee)

    coordinator_page = page_for(coordinator).get(_url("session-detail", partner, session.pk)).content.decode()
    mentor_page = page_for(mentor_user).get(_url("session-detail", partner, session.pk)).content.decode()

    assert incident.rule.title in coordinator_page
    assert incident.description not in coordinator_page
    assert "Incidents on the agenda" not in mentor_page


# --- record, cancel, move, confirm ----------------------------------------------------------------------------


def test_the_supervisor_records_a_session_with_attendance_notes_and_an_action(
    page_for, partner, supervisor, supervisor_person, mentee, assignment
):
    starts = timezone.now() - timedelta(hours=2)
    past = SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentee,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    due = timezone.localdate() + timedelta(days=14)

    response = page_for(supervisor).post(
        _url("session-record", partner, past.pk),
        {
            "status": "held",
            f"attendance_{supervisor_person.pk}": "present",
            f"attendance_{mentee.pk}": "present",
            "toolkit_process": "Reflective cycle",
            "notes": "Worked through an ending.",
            "action_1_description": "Read the lone-working guidance.",
            "action_1_owner": str(mentee.pk),
            "action_1_due_on": due.isoformat(),
        },
    )

    past.refresh_from_db()
    assert response.status_code == 302
    assert past.status == "held"
    assert past.notes == "Worked through an ending."
    assert past.toolkit_process == "Reflective cycle"
    assert set(past.attendances.values_list("attendance", flat=True)) == {"present"}
    assert SessionAction.objects.get().owner == mentee


def test_a_mentor_may_not_record_the_session(page_for, partner, mentor_user, held):
    assert page_for(mentor_user).get(_url("session-record", partner, held.pk)).status_code == 403


def test_a_future_session_cannot_be_recorded_yet(page_for, partner, coordinator, session, supervisor_person, mentee):
    response = page_for(coordinator).post(
        _url("session-record", partner, session.pk),
        {"status": "held", f"attendance_{supervisor_person.pk}": "present", f"attendance_{mentee.pk}": "present"},
    )

    session.refresh_from_db()
    assert response.status_code == 400
    assert "once it has started" in response.content.decode()
    assert session.status == "scheduled"


def test_cancelling_asks_first_then_cancels(page_for, partner, coordinator, session):
    client = page_for(coordinator)

    confirmation = client.get(_url("session-cancel", partner, session.pk))
    response = client.post(_url("session-cancel", partner, session.pk), {"reason": "Supervisor unwell"})

    session.refresh_from_db()
    assert confirmation.status_code == 200
    assert "Cancel this session?" in confirmation.content.decode()
    assert response.status_code == 302
    assert session.status == "cancelled"
    assert session.cancel_reason == "Supervisor unwell"


def test_a_mentor_cannot_cancel(page_for, partner, mentor_user, session):
    response = page_for(mentor_user).post(_url("session-cancel", partner, session.pk), {"reason": "x"})

    session.refresh_from_db()
    assert response.status_code == 403
    assert session.status == "scheduled"


def test_moving_one_session_changes_its_time(page_for, partner, supervisor, session):
    new_start = session.starts_at + timedelta(days=1, hours=2)

    response = page_for(supervisor).post(
        _url("session-move", partner, session.pk),
        {
            "starts_at": new_start.astimezone(LONDON).strftime(FORM_DATETIME),
            "ends_at": (new_start + timedelta(hours=1)).astimezone(LONDON).strftime(FORM_DATETIME),
            "location": "Online",
        },
    )

    session.refresh_from_db()
    assert response.status_code == 302
    assert session.starts_at == new_start
    assert session.location == "Online"


def test_moving_this_and_following_moves_the_rest_of_the_series(
    page_for, partner, coordinator, supervisor_person, mentee, assignment
):
    series = SupervisionSeriesFactory(partner=partner)
    first = _next_monday(hour=10)
    occurrences = [
        SupervisionSessionFactory(
            partner=partner,
            supervisor=supervisor_person,
            supervisee=mentee,
            series=series,
            starts_at=first + timedelta(weeks=week),
            ends_at=first + timedelta(weeks=week, hours=1),
        )
        for week in range(3)
    ]
    second = occurrences[1]

    response = page_for(coordinator).post(
        _url("session-move", partner, second.pk),
        {
            "starts_at": (second.starts_at + timedelta(hours=3)).astimezone(LONDON).strftime(FORM_DATETIME),
            "ends_at": (second.starts_at + timedelta(hours=4)).astimezone(LONDON).strftime(FORM_DATETIME),
            "location": "Room 2, the centre",
            "scope": "following",
        },
    )

    hours = [s.starts_at.astimezone(LONDON).hour for s in SupervisionSession.objects.order_by("starts_at")]
    assert response.status_code == 302
    assert hours == [10, 13, 13]


def test_a_move_onto_a_clash_is_shown_at_the_start_and_changes_nothing(
    page_for, partner, coordinator, supervisor_person, mentee, session
):
    other_start = session.starts_at + timedelta(days=1)
    SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentee,
        starts_at=other_start,
        ends_at=other_start + timedelta(hours=1),
    )

    response = page_for(coordinator).post(
        _url("session-move", partner, session.pk),
        {
            "starts_at": other_start.astimezone(LONDON).strftime(FORM_DATETIME),
            "ends_at": (other_start + timedelta(hours=1)).astimezone(LONDON).strftime(FORM_DATETIME),
        },
    )

    moved = SupervisionSession.objects.get(pk=session.pk)
    assert response.status_code == 400
    assert "is already booked" in response.content.decode()
    assert moved.starts_at == session.starts_at


def test_the_supervisee_confirms_a_held_record_with_a_comment(page_for, partner, mentor_user, held):
    page = page_for(mentor_user).get(_url("session-detail", partner, held.pk)).content.decode()
    response = page_for(mentor_user).post(_url("session-confirm", partner, held.pk), {"comment": "Fair summary."})

    held.refresh_from_db()
    assert "Confirm the record" in page
    assert response.status_code == 302
    assert held.confirmed_at is not None
    assert held.supervisee_comment == "Fair summary."


def test_only_the_supervisee_confirms(page_for, partner, supervisor, held):
    response = page_for(supervisor).post(_url("session-confirm", partner, held.pk), {"comment": ""})

    held.refresh_from_db()
    assert response.status_code == 400
    assert held.confirmed_at is None


# --- the demo -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "supervisor"])
def test_the_demo_coordinator_and_supervisor_see_sessions_this_week(demo, page_for, role):
    user = demo["staff"][("northside", Role(role))]

    page = page_for(user).get(reverse("calendar", args=["northside"])).content.decode()

    assert 'class="calendar-session' in page


def test_cancelling_this_and_following_leaves_the_earlier_occurrences(
    page_for, partner, coordinator, supervisor_person, mentee, assignment
):
    series = SupervisionSeriesFactory(partner=partner)
    first = _next_monday(hour=10)
    occurrences = [
        SupervisionSessionFactory(
            partner=partner,
            supervisor=supervisor_person,
            supervisee=mentee,
            series=series,
            starts_at=first + timedelta(weeks=week),
            ends_at=first + timedelta(weeks=week, hours=1),
        )
        for week in range(3)
    ]

    response = page_for(coordinator).post(
        _url("session-cancel", partner, occurrences[1].pk), {"reason": "", "scope": "following"}
    )

    statuses = list(SupervisionSession.objects.order_by("starts_at").values_list("status", flat=True))
    assert response.status_code == 302
    assert statuses == ["scheduled", "cancelled", "cancelled"]


def test_a_post_only_page_of_another_partner_is_not_found(page_for, partner, other_coordinator, held):
    assert page_for(other_coordinator).get(_url("session-confirm", partner, held.pk)).status_code == 404


def test_the_facilitator_of_a_group_session_records_it(page_for, partner, mentor_user):
    starts = timezone.now() - timedelta(hours=2)
    session = SupervisionSessionFactory(
        partner=partner, group_session=True, starts_at=starts, ends_at=starts + timedelta(hours=1)
    )
    facilitator = session.group.memberships.order_by("opted_in_at", "pk").first().person
    facilitator.user = mentor_user
    facilitator.save()
    session.facilitator = facilitator
    session.save()
    absent = session.attendances.exclude(person=facilitator).first().person
    client = page_for(mentor_user)

    form = client.get(_url("session-record", partner, session.pk))
    response = client.post(
        _url("session-record", partner, session.pk),
        {
            "status": "held",
            **{f"attendance_{row.person_id}": "present" for row in session.attendances.all()},
            f"attendance_{absent.pk}": "apologies",
            "toolkit_process": "Peer case review",
        },
    )

    session.refresh_from_db()
    assert form.status_code == 200
    assert response.status_code == 302
    assert session.status == "held"
    assert session.attendances.get(person=absent).attendance == "apologies"
