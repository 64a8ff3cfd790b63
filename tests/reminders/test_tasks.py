"""The Celery tasks and the command: thin, idempotent, bounded; beat runs them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reminders import tasks
from tests.franchise.factories import LicenceFactory

pytestmark = pytest.mark.django_db

TASKS = [tasks.plan_reminders, tasks.plan_expiry_reminders, tasks.dispatch_reminders]


@pytest.fixture
def expiring_licence(partner, coordinator):
    today = timezone.localdate()
    return LicenceFactory(partner=partner, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=6))


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_every_task_survives_a_dying_worker_and_ends_before_its_claims_lapse(task):
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit < task.time_limit < settings.TANDEM_REMINDER_LEASE_SECONDS


def test_beat_runs_the_planner_and_the_dispatcher_every_few_minutes_and_expiry_daily():
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["reminders.tasks.plan_reminders"]["schedule"] <= 600
    assert schedule["reminders.tasks.plan_reminders"]["kwargs"] == {"dispatch": True}
    assert schedule["reminders.tasks.dispatch_reminders"]["schedule"] <= 600
    daily = schedule["reminders.tasks.plan_expiry_reminders"]["schedule"]
    assert daily.hour == {6} and daily.minute == {15}


def test_the_expiry_task_plans_and_the_dispatch_task_sends_once_however_often_they_run(expiring_licence):
    assert tasks.plan_expiry_reminders()["licence_expiring"] == 1
    assert tasks.plan_expiry_reminders()["licence_expiring"] == 0
    assert tasks.dispatch_reminders()["sent"] == 1
    assert tasks.dispatch_reminders()["sent"] == 0
    assert len(mail.outbox) == 1


def test_the_sweep_task_sends_what_is_due_when_asked(expiring_licence):
    tasks.plan_expiry_reminders()
    tasks.plan_reminders(dispatch=True)
    assert len(mail.outbox) == 1


def test_run_reminders_plans_and_sends_in_the_foreground_and_prints_the_counts(expiring_licence):
    out = StringIO()
    call_command("run_reminders", stdout=out)
    assert "planned licence_expiring: 1" in out.getvalue()
    assert "dispatched: sent 1, retried 0, failed 0, cancelled 0" in out.getvalue()
    assert len(mail.outbox) == 1
