"""The reminders benchmark: it plans and sends for its world, reports the figures, and leaves nothing behind."""

import io

import pytest
from django.core.management import CommandError, call_command

from franchise.models import Licence, Partner, User
from reminders.models import Reminder
from supervision.models import Person, SupervisionSession

pytestmark = pytest.mark.django_db


def test_the_benchmark_plans_and_sends_every_reminder_of_its_world_then_deletes_it(licensor):
    out = io.StringIO()

    call_command("bench_reminders", "--people", "40", "--partners", "2", stdout=out)

    report = out.getvalue()
    assert "world: 40 people in 2 partners" in report
    # Each mentor: one session reminder and one overdue reminder.
    assert [
        line.split()[:2]
        for line in report.splitlines()
        if line.startswith(("session_upcoming", "supervision_overdue "))
    ] == [
        ["session_upcoming", "40"],
        ["supervision_overdue", "40"],
    ]
    assert any(line.startswith("dispatcher, ") for line in report.splitlines())  # beside its floor
    dispatched = next(line for line in report.splitlines() if line.startswith("dispatcher:"))
    sent, due = int(dispatched.split()[1]), int(dispatched.split()[3])
    # Half the due messages for the dispatcher's rounds, half for the floor's.
    assert due >= 80 and due // 2 - 10 <= sent <= due
    assert "messages/s; floor (claim + mark each, no rendering)" in dispatched
    assert "planning again inserted 0 rows" in report
    assert not Partner.objects.exists()
    assert not Person.objects.exists()
    assert not SupervisionSession.objects.exists()
    assert not Licence.objects.exists()
    assert not Reminder.objects.exists(), list(Reminder.objects.values("kind", "partner_id", "recipient_user__email"))
    assert list(User.objects.all()) == [licensor]


def test_the_benchmark_refuses_a_world_too_small_to_pair_mentors():
    with pytest.raises(CommandError):
        call_command("bench_reminders", "--people", "3", "--partners", "2")
