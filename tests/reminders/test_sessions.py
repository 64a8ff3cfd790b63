"""Session reminders: coming up (with an invitation), moved and cancelled, to every attendee."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reminders.kinds import sessions
from reminders.models import Kind, Reminder
from supervision.models import SessionAttendance, SupervisionSession
from tests.reminders.helpers import calendar_of, html, rows, send, to
from tests.supervision.factories import PersonFactory, SupervisionSessionFactory
from tests.supervision.sessions.helpers import set_policy

pytestmark = pytest.mark.django_db


def _soon(hours):
    return timezone.now().replace(second=0, microsecond=0) + timedelta(hours=hours)


@pytest.fixture
def session(partner):
    supervisor = PersonFactory(partner=partner, with_user=True, email="ruth@example.org", name="Ruth Okafor")
    supervisee = PersonFactory(partner=partner, active_mentor=True, email="mo@example.org", name="Mo Mentor")
    return SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor,
        supervisee=supervisee,
        starts_at=_soon(3),
        ends_at=_soon(4),
        location="Room 2, the centre",
    )


def _move(session, hours):
    session.starts_at += timedelta(hours=hours)
    session.ends_at += timedelta(hours=hours)
    session.sequence += 1
    session.save()


def _cancel(session):
    session.status = SupervisionSession.Status.CANCELLED
    session.cancelled_at = timezone.now()
    session.cancel_reason = "Supervisor unwell."
    session.sequence += 1
    session.save()


def test_each_attendee_of_a_session_within_the_lead_time_is_reminded_with_an_invitation(session):
    assert sessions.plan_session_upcoming(timezone.now()) == 2
    assert {r.recipient_address for r in rows(Kind.SESSION_UPCOMING)} == {"ruth@example.org", "mo@example.org"}

    sent = send()

    message = to(sent, "mo@example.org")
    assert message.subject.startswith("Supervision ")
    assert "1:1 supervision of Mo Mentor with Ruth Okafor" in message.body
    assert "Room 2, the centre" in message.body
    assert "Room 2, the centre" in html(message)
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{session.pk}@tandem.test"
    assert event.decoded("DTSTART") == session.starts_at
    assert event["ATTENDEE"] == "mailto:mo@example.org"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_a_session_further_away_than_the_lead_time_is_reminded_when_its_time_comes(session):
    session.starts_at = timezone.now() + timedelta(days=3)
    session.ends_at = session.starts_at + timedelta(hours=1)
    session.save()
    assert sessions.plan_session_upcoming(timezone.now()) == 0

    remind_at = session.starts_at - timedelta(hours=24)
    assert sessions.plan_session_upcoming(remind_at - timedelta(minutes=10)) == 2
    assert {r.due_at for r in rows(Kind.SESSION_UPCOMING)} == {remind_at}
    assert send(now=remind_at - timedelta(minutes=1)) == []
    assert len(send(now=remind_at)) == 2


def test_the_lead_time_is_the_sessions_partners_policy(session, partner):
    set_policy(partner, session_reminder_hours=96)
    session.starts_at = timezone.now() + timedelta(days=3)
    session.ends_at = session.starts_at + timedelta(hours=1)
    session.save()
    assert sessions.plan_session_upcoming(timezone.now()) == 2


def test_attendees_who_sent_apologies_or_cannot_be_written_to_are_not_reminded(session):
    SessionAttendance.objects.filter(person=session.supervisee).update(attendance="apologies")
    session.supervisor.user.is_active = False
    session.supervisor.user.save()
    assert sessions.plan_session_upcoming(timezone.now()) == 0


def test_planning_again_inserts_nothing(session):
    sessions.plan_session_upcoming(timezone.now())
    assert sessions.plan_session_upcoming(timezone.now()) == 0


def test_a_moved_session_is_announced_and_reminded_again_for_its_new_time(session):
    sessions.plan_session_upcoming(timezone.now())
    _move(session, 2)

    assert sessions.plan_session_moved(timezone.now()) == 2
    assert sessions.plan_session_upcoming(timezone.now()) == 2  # a fresh key: the new start
    sent = send()

    moved = [m for m in sent if m.subject.startswith("Supervision changed")]
    upcoming = [m for m in sent if not m.subject.startswith("Supervision changed")]
    assert len(moved) == 2 and len(upcoming) == 2
    assert all(calendar_of(m).walk("VEVENT")[0]["SEQUENCE"] == 1 for m in moved)
    stale = Reminder.objects.get(
        kind=Kind.SESSION_UPCOMING, status=Reminder.Status.CANCELLED, recipient_email="mo@example.org"
    )
    assert stale.details["starts_at"] != session.starts_at.isoformat()


def test_each_change_of_a_session_is_announced_once_and_only_the_latest_is_sent(session):
    _move(session, 1)
    sessions.plan_session_moved(timezone.now())
    _move(session, 1)
    sessions.plan_session_moved(timezone.now())
    assert len(rows(Kind.SESSION_MOVED)) == 4
    assert len(send()) == 2  # the first change's notices are out of date before they go


def test_a_cancelled_session_is_announced_with_a_cancel_and_its_reminders_are_cancelled(session):
    sessions.plan_session_upcoming(timezone.now())
    _cancel(session)

    assert sessions.plan_session_cancelled(timezone.now()) == 2
    assert not Reminder.objects.filter(kind=Kind.SESSION_UPCOMING, status=Reminder.Status.PENDING).exists()
    sent = send()

    assert len(sent) == 2
    message = to(sent, "mo@example.org")
    assert message.subject.startswith("Cancelled: supervision on")
    assert "Supervisor unwell." in message.body
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_sessions_already_over_are_neither_announced_nor_reminded(session):
    sessions.plan_session_upcoming(timezone.now())
    assert len(send(now=session.starts_at + timedelta(minutes=1))) == 0
    assert {r.status for r in rows(Kind.SESSION_UPCOMING)} == {Reminder.Status.CANCELLED}


def test_a_group_sessions_members_are_each_reminded(partner):
    SupervisionSessionFactory(partner=partner, group_session=True, starts_at=timezone.now() + timedelta(hours=2))
    assert sessions.plan_session_upcoming(timezone.now()) == 4
    sent = send()
    assert len(sent) == 4
    assert all("Peer supervision with" in m.body for m in sent)


def test_the_session_planners_run_the_same_queries_for_one_session_or_ten(partner):
    def queries(count):
        Reminder.objects.all().delete()
        for _ in range(count):
            SupervisionSessionFactory(partner=partner, starts_at=timezone.now() + timedelta(hours=2))
        with CaptureQueriesContext(connection) as captured:
            sessions.plan_session_upcoming(timezone.now())
            sessions.plan_session_moved(timezone.now())
            sessions.plan_session_cancelled(timezone.now())
        return len(captured)

    queries(1)  # content types cached
    assert queries(1) == queries(9)


def test_sessions_changed_cancels_stale_reminders_and_plans_the_notices_at_once(
    session, coordinator, django_capture_on_commit_callbacks, monkeypatch
):
    from reminders import services
    from supervision.sessions import services as sessions_services

    published = []
    monkeypatch.setattr(services, "publish_sweep", lambda: published.append(True))
    sessions.plan_session_upcoming(timezone.now())
    moved = sessions_services.reschedule_session(
        by=coordinator, session=session, starts_at=session.starts_at + timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sessions_changed([moved.pk])

    assert counts == {"session_cancelled": 0, "session_moved": 2, "session_upcoming": 2}
    stale = Reminder.objects.filter(kind=Kind.SESSION_UPCOMING, status=Reminder.Status.CANCELLED)
    assert stale.count() == 2
    assert {r.cancelled_reason for r in stale} == {"The session has changed since."}
    assert published == [True]


def test_sessions_changed_for_a_cancelled_session_plans_the_cancellation(session, coordinator, monkeypatch):
    from reminders import services
    from supervision.sessions import services as sessions_services

    monkeypatch.setattr(services, "publish_sweep", lambda: True)
    sessions.plan_session_upcoming(timezone.now())
    sessions_services.cancel_session(by=coordinator, session=session, reason="Snow.")

    assert services.sessions_changed([session.pk])["session_cancelled"] == 2
    assert set(Reminder.objects.filter(kind=Kind.SESSION_UPCOMING).values_list("status", flat=True)) == {"cancelled"}


# --- the session use cases tell the reminders at once, on commit ---------------------------


@pytest.fixture
def no_broker(monkeypatch):
    from reminders import services

    published = []
    monkeypatch.setattr(services, "publish_sweep", lambda: published.append(True))
    return published


def test_booking_a_session_plans_its_reminders_on_commit_without_waiting_for_the_sweep(
    partner, coordinator, django_capture_on_commit_callbacks, no_broker
):
    from supervision.sessions import services as sessions_services

    supervisor = PersonFactory(partner=partner, with_user=True, email="ruth@example.org")
    supervisee = PersonFactory(partner=partner, active_mentor=True, email="mo@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        sessions_services.schedule_session(
            by=coordinator,
            partner=partner,
            kind=SupervisionSession.Kind.ONE_TO_ONE,
            starts_at=_soon(3),
            ends_at=_soon(4),
            supervisor=supervisor,
            supervisee=supervisee,
        )

    assert {r.recipient_address for r in rows(Kind.SESSION_UPCOMING)} == {"ruth@example.org", "mo@example.org"}
    assert no_broker  # and a worker is asked to send them now


def test_a_series_plans_the_reminders_of_its_occurrences_within_the_lead_time_on_commit(
    partner, coordinator, django_capture_on_commit_callbacks, no_broker
):
    from supervision.sessions import services as sessions_services

    supervisor = PersonFactory(partner=partner, with_user=True, email="ruth@example.org")
    supervisee = PersonFactory(partner=partner, active_mentor=True, email="mo@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        _, booked = sessions_services.schedule_series(
            by=coordinator,
            partner=partner,
            rrule="FREQ=WEEKLY;COUNT=3",
            kind=SupervisionSession.Kind.ONE_TO_ONE,
            starts_at=_soon(3),
            ends_at=_soon(4),
            supervisor=supervisor,
            supervisee=supervisee,
        )

    # Only the first occurrence is within the 24-hour lead time; the sweep plans the others when they are.
    assert {r.subject_id for r in rows(Kind.SESSION_UPCOMING)} == {booked[0].pk}
    assert len(rows(Kind.SESSION_UPCOMING)) == 2


def test_moving_and_cancelling_tell_the_attendees_on_commit(
    session, coordinator, django_capture_on_commit_callbacks, no_broker
):
    from supervision.sessions import services as sessions_services

    with django_capture_on_commit_callbacks(execute=True):
        sessions_services.reschedule_session(
            by=coordinator, session=session, starts_at=session.starts_at + timedelta(hours=1)
        )
    assert {r.recipient_address for r in rows(Kind.SESSION_MOVED)} == {"ruth@example.org", "mo@example.org"}

    with django_capture_on_commit_callbacks(execute=True):
        sessions_services.cancel_session(by=coordinator, session=session, reason="Snow.")
    assert {r.recipient_address for r in rows(Kind.SESSION_CANCELLED)} == {"ruth@example.org", "mo@example.org"}
