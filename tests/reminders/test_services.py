"""Services other apps and the API call: kick() after commit, preferences, cancelling."""

import logging

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from core.errors import Invalid
from reminders import services
from reminders.models import ESSENTIAL_KINDS, Kind, Reminder, ReminderPreference
from reminders.tasks import plan_reminders
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(plan_reminders, "apply_async", lambda **kwargs: calls.append(kwargs))
    return calls


def test_kick_publishes_one_sweep_after_the_transaction_commits(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.kick()
        assert not published  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert published == [{"kwargs": {"dispatch": True}, "retry": False}]


def test_kick_inside_a_transaction_that_rolls_back_publishes_nothing(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.kick()
                raise RuntimeError("the use case failed")
        except RuntimeError:
            pass
    assert not callbacks and not published


def test_a_broker_that_is_down_is_logged_and_never_raised(monkeypatch, caplog):
    def refuse(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(plan_reminders, "apply_async", refuse)
    with caplog.at_level(logging.WARNING, logger="reminders.services"):
        assert services.publish_sweep() is False
    assert "beat catches up" in caplog.text


def test_every_kind_has_a_preference_on_by_default(coordinator):
    preferences = services.preferences_for(coordinator)
    assert [p["kind"] for p in preferences] == Kind.values
    assert all(p["enabled"] for p in preferences)
    assert {p["kind"] for p in preferences if p["essential"]} == {k.value for k in ESSENTIAL_KINDS}


def test_a_user_switches_a_kind_off_and_on_again(coordinator):
    assert services.set_preference(user=coordinator, kind=Kind.SESSION_UPCOMING, enabled=False)["enabled"] is False
    assert services.set_preference(user=coordinator, kind=Kind.SESSION_UPCOMING, enabled=True)["enabled"] is True
    assert ReminderPreference.objects.get(user=coordinator).enabled


@pytest.mark.parametrize("kind", sorted(ESSENTIAL_KINDS))
def test_safeguarding_and_critical_incident_kinds_cannot_be_switched_off(coordinator, kind):
    with pytest.raises(Invalid, match="cannot be switched off") as raised:
        services.set_preference(user=coordinator, kind=kind, enabled=False)
    assert raised.value.field == "kind"
    assert not ReminderPreference.objects.exists()


def test_an_unknown_kind_is_refused(coordinator):
    with pytest.raises(Invalid, match="not a kind"):
        services.set_preference(user=coordinator, kind="birthday", enabled=False)


def test_cancel_pending_cancels_the_subjects_pending_rows_only(partner):
    pending = ReminderFactory(partner=partner)
    licence = pending.subject
    sent = ReminderFactory(partner=partner, subject=licence, sent=True)
    other_kind = ReminderFactory(partner=partner, subject=licence, kind=Kind.CERTIFICATE_ISSUED)
    elsewhere = ReminderFactory(partner=partner)

    assert services.cancel_pending(licence, kinds=[Kind.LICENCE_EXPIRING], reason="Licence renewed.") == 1

    statuses = {r.pk: (r.status, r.cancelled_reason) for r in Reminder.objects.all()}
    assert statuses[pending.pk] == ("cancelled", "Licence renewed.")
    assert statuses[sent.pk][0] == "sent"
    assert statuses[other_kind.pk][0] == "pending"
    assert statuses[elsewhere.pk][0] == "pending"
