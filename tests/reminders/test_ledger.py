"""The ledger's own rules: who sees which reminder, and the rows it refuses."""

import pytest
from django.db import IntegrityError

from franchise.models import Role
from reminders.models import Reminder
from tests.factories import user_with_role
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(partner, other_partner, coordinator, mentor_user, licensor):
    return {
        "to_mentor": ReminderFactory(partner=partner, recipient_user=mentor_user),
        "to_coordinator": ReminderFactory(partner=partner, recipient_user=coordinator),
        "other_partner": ReminderFactory(partner=other_partner),
        "to_licensor": ReminderFactory(licensor_wide=True, recipient_user=licensor),
        "to_other_licensor": ReminderFactory(licensor_wide=True),
    }


def _visible(user, ledger):
    ids = set(Reminder.objects.visible_to(user).values_list("pk", flat=True))
    return {name for name, row in ledger.items() if row.pk in ids}


def test_a_mentor_sees_only_the_reminders_addressed_to_them(ledger, mentor_user):
    assert _visible(mentor_user, ledger) == {"to_mentor"}


def test_a_coordinator_sees_every_reminder_of_their_partner(ledger, coordinator):
    assert _visible(coordinator, ledger) == {"to_mentor", "to_coordinator"}


def test_a_licensor_admin_sees_their_own_and_the_licensor_wide_reminders_not_the_partners(ledger, licensor):
    assert _visible(licensor, ledger) == {"to_licensor", "to_other_licensor"}


def test_a_trainer_of_the_partner_sees_nothing_not_addressed_to_them(ledger, partner):
    assert _visible(user_with_role(Role.TRAINER, partner), ledger) == set()


def test_anonymous_sees_nothing(ledger):
    from django.contrib.auth.models import AnonymousUser

    assert not Reminder.objects.visible_to(AnonymousUser()).exists()
    assert not Reminder.objects.visible_to(None).exists()


def test_a_reminder_needs_a_recipient(partner):
    with pytest.raises(IntegrityError):
        ReminderFactory(partner=partner, recipient_user=None, recipient_email="")


def test_a_dedupe_key_is_used_once(partner):
    ReminderFactory(partner=partner, dedupe_key="licence_expiring:x")
    with pytest.raises(IntegrityError):
        ReminderFactory(partner=partner, dedupe_key="licence_expiring:x")


def test_a_sent_reminder_records_when(partner):
    with pytest.raises(IntegrityError):
        ReminderFactory(partner=partner, status=Reminder.Status.SENT, sent_at=None)
