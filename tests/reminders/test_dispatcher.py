"""The dispatcher: claims due rows, sends each once, marks it sent; retries failures with backoff."""

import smtplib
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchise.models import Role
from reminders import dispatcher, planner
from reminders.models import Kind, Reminder
from tests.factories import user_with_role
from tests.franchise.factories import LicenceFactory
from tests.reminders.factories import ReminderFactory, ReminderPreferenceFactory

pytestmark = pytest.mark.django_db


class RefusingBackend(EmailBackend):
    """Refuses every message to an address containing "refuse"; delivers the rest to mail.outbox."""

    def send_messages(self, messages):
        for message in messages:
            if any("refuse" in address for address in message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such mailbox")})
        return super().send_messages(messages)


class UnreachableBackend(EmailBackend):
    def open(self):
        raise ConnectionRefusedError("Connection refused")


def _licence_reminder(partner, **fields):
    today = timezone.localdate()
    licence = LicenceFactory(partner=partner, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=12))
    return ReminderFactory(partner=partner, subject=licence, **fields)


def _refresh(reminder):
    reminder.refresh_from_db()
    return reminder


def test_a_due_reminder_is_sent_once_and_marked_sent(partner, coordinator):
    reminder = _licence_reminder(partner, recipient_user=coordinator)

    first = dispatcher.dispatch()
    second = dispatcher.dispatch()

    assert (first.sent, second.sent) == (1, 0)
    assert len(mail.outbox) == 1
    reminder = _refresh(reminder)
    assert reminder.status == Reminder.Status.SENT
    assert reminder.sent_at is not None
    assert reminder.attempts == 1
    assert reminder.claimed_by is None


def test_the_licence_email_names_the_licence_and_its_last_day_in_text_and_html(partner, coordinator):
    reminder = _licence_reminder(partner, recipient_user=coordinator)
    licence = reminder.subject

    dispatcher.dispatch()

    message = mail.outbox[0]
    assert message.to == ["coord@example.org"]
    assert message.subject == f"Licence {licence.reference} for {partner.name} ends in 12 days"
    assert licence.reference in message.body
    assert licence.ends_on.strftime("%-d %B %Y") in message.body
    assert "Hello Cora Coordinator," in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f"<strong>{licence.reference}</strong>" in html
    assert f"https://tandem.test/api/v1/licences/{licence.pk}/" in html
    assert message.extra_headers["X-Tandem-Reminder"] == str(reminder.pk)


def test_a_reminder_not_yet_due_waits(partner, coordinator):
    reminder = _licence_reminder(partner, recipient_user=coordinator, later=True)
    assert dispatcher.dispatch().sent == 0
    assert _refresh(reminder).status == Reminder.Status.PENDING
    assert dispatcher.dispatch(now=reminder.due_at).sent == 1


def test_a_recipient_without_a_login_is_written_to_at_their_address(partner):
    _licence_reminder(partner, by_email=True, recipient_email="no.login@example.org")
    dispatcher.dispatch()
    assert mail.outbox[0].to == ["no.login@example.org"]
    assert "Hello," in mail.outbox[0].body


def test_a_licence_extended_since_planning_is_cancelled_not_sent(partner, coordinator):
    reminder = _licence_reminder(partner, recipient_user=coordinator)
    licence = reminder.subject
    licence.ends_on += timedelta(days=365)
    licence.save()

    result = dispatcher.dispatch()

    assert (result.sent, result.cancelled) == (0, 1)
    assert not mail.outbox
    reminder = _refresh(reminder)
    assert reminder.status == Reminder.Status.CANCELLED
    assert reminder.cancelled_reason == "It no longer applies."


def test_a_kind_switched_off_after_planning_is_cancelled_at_sending(partner, coordinator):
    reminder = _licence_reminder(partner, recipient_user=coordinator)
    ReminderPreferenceFactory(user=coordinator, kind=Kind.LICENCE_EXPIRING, enabled=False)
    dispatcher.dispatch()
    assert not mail.outbox
    assert _refresh(reminder).cancelled_reason == "The recipient has switched this kind of reminder off."


def test_an_essential_kind_cannot_be_stored_as_switched_off(coordinator):
    with pytest.raises(IntegrityError):
        ReminderPreferenceFactory(user=coordinator, kind=Kind.INCIDENT_CRITICAL, enabled=False)


def test_a_recipient_whose_account_is_inactive_gets_nothing(partner):
    user = user_with_role(Role.COORDINATOR, partner, is_active=False)
    reminder = _licence_reminder(partner, recipient_user=user)
    dispatcher.dispatch()
    assert not mail.outbox
    assert _refresh(reminder).status == Reminder.Status.CANCELLED


def test_a_refused_message_is_retried_with_exponential_backoff_then_failed(settings, partner):
    settings.EMAIL_BACKEND = "tests.reminders.test_dispatcher.RefusingBackend"
    reminder = _licence_reminder(partner, by_email=True, recipient_email="refuse@example.org")
    now = timezone.now()
    waits = []
    for attempt in range(1, dispatcher.MAX_ATTEMPTS + 1):
        result = dispatcher.dispatch(now=now)
        reminder = _refresh(reminder)
        assert reminder.attempts == attempt
        assert "SMTPRecipientsRefused" in reminder.last_error
        if attempt < dispatcher.MAX_ATTEMPTS:
            assert (result.retried, reminder.status) == (1, Reminder.Status.PENDING)
            assert dispatcher.dispatch(now=reminder.attempt_after - timedelta(seconds=1)).retried == 0
            waits.append(reminder.attempt_after - now)
            now = reminder.attempt_after
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert (result.failed, reminder.status) == (1, Reminder.Status.FAILED)
    assert dispatcher.dispatch(now=now + timedelta(days=1)).failed == 0


def test_one_refused_message_does_not_hold_back_the_others(settings, partner, coordinator):
    settings.EMAIL_BACKEND = "tests.reminders.test_dispatcher.RefusingBackend"
    _licence_reminder(partner, by_email=True, recipient_email="refuse@example.org")
    _licence_reminder(partner, recipient_user=coordinator)
    result = dispatcher.dispatch()
    assert (result.sent, result.retried) == (1, 1)


def test_an_unreachable_mail_server_charges_no_attempt_and_releases_the_claims(settings, partner, coordinator):
    settings.EMAIL_BACKEND = "tests.reminders.test_dispatcher.UnreachableBackend"
    reminder = _licence_reminder(partner, recipient_user=coordinator)
    result = dispatcher.dispatch()
    reminder = _refresh(reminder)
    assert result.as_dict() == {"sent": 0, "retried": 0, "failed": 0, "cancelled": 0}
    assert (reminder.status, reminder.attempts, reminder.claimed_by) == (Reminder.Status.PENDING, 0, None)


def test_a_row_held_by_a_live_sender_is_left_alone_and_taken_once_its_lease_runs_out(partner, coordinator):
    now = timezone.now()
    reminder = _licence_reminder(
        partner, recipient_user=coordinator, claimed_by=uuid.uuid4(), claimed_until=now + timedelta(minutes=5)
    )
    assert dispatcher.dispatch(now=now).sent == 0
    assert dispatcher.dispatch(now=now + timedelta(minutes=5, seconds=1)).sent == 1
    assert _refresh(reminder).status == Reminder.Status.SENT


def test_a_claim_takes_each_row_once_and_stamps_a_lease(partner, coordinator):
    for _ in range(3):
        _licence_reminder(partner, recipient_user=coordinator)
    now = timezone.now()
    first, second = uuid.uuid4(), uuid.uuid4()
    mine = dispatcher.claim(first, 2, now)
    theirs = dispatcher.claim(second, 2, now)
    assert len(mine) == 2 and len(theirs) == 1
    assert not {r.pk for r in mine} & {r.pk for r in theirs}
    assert all(r.claimed_until == now + dispatcher.lease() for r in mine)
    assert dispatcher.release(first) == 2
    assert Reminder.objects.filter(claimed_by__isnull=True).count() == 2


def test_a_pass_that_runs_out_of_time_gives_back_what_it_did_not_send(monkeypatch, partner, coordinator):
    for _ in range(3):
        _licence_reminder(partner, recipient_user=coordinator)
    ticks = iter([0.0] + [0.0] * 2 + [10_000.0] * 10)  # the deadline passes after the first message
    monkeypatch.setattr(dispatcher.time, "monotonic", lambda: next(ticks))
    assert dispatcher.dispatch().sent == 1
    assert Reminder.objects.filter(status="pending", claimed_by__isnull=True).count() == 2


def test_the_queries_per_message_do_not_grow_with_the_batch(partner, coordinator):
    def queries_for(count):
        Reminder.objects.all().delete()
        for _ in range(count):
            _licence_reminder(partner, recipient_user=coordinator)
        with CaptureQueriesContext(connection) as captured:
            assert dispatcher.dispatch().sent == count
        return len(captured)

    queries_for(1)  # on PostgreSQL the mark-sent statement is prepared at its first use on a connection
    # One UPDATE marks each message sent; everything else is per batch.
    assert queries_for(30) - queries_for(3) == 27


def test_planned_licence_reminders_are_sent_by_the_next_pass(partner, coordinator, licensor):
    today = timezone.localdate()
    LicenceFactory(partner=partner, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=6))
    planner.plan()
    assert dispatcher.dispatch().sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["coord@example.org", "licensor@example.org"]
    licensor_copy = next(m for m in mail.outbox if m.to == ["licensor@example.org"])
    assert "No renewal is drafted yet: draft the renewal in Tandem" in licensor_copy.body


def test_a_pass_with_a_message_budget_claims_no_batch_beyond_it_and_leaves_the_rest_pending(partner, coordinator):
    for _ in range(5):
        _licence_reminder(partner, recipient_user=coordinator)

    first = dispatcher.dispatch(batch_size=2, max_messages=3)

    assert first.sent == 4  # two whole batches: the budget was not yet spent when the second was claimed
    assert Reminder.objects.filter(status=Reminder.Status.PENDING, claimed_by__isnull=True).count() == 1
    assert dispatcher.dispatch(batch_size=2, max_messages=3).sent == 1
