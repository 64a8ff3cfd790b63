"""The planner, and the licence kind through it: set-based queries that insert ledger rows, once per dedupe key."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchise.models import BaselinePolicy, Role
from reminders import planner
from reminders.kinds.licences import plan_licence_expiring
from reminders.models import Kind, Reminder
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import LicenceFactory
from tests.reminders.factories import ReminderPreferenceFactory

pytestmark = pytest.mark.django_db


def _ending_in(days, **fields):
    today = timezone.localdate()
    return LicenceFactory(starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=days), **fields)


def _licence_rows():
    return Reminder.objects.filter(kind=Kind.LICENCE_EXPIRING)


def test_every_kind_of_the_ledger_is_planned_and_has_its_content():
    from reminders.messages import CONTENT

    assert set(planner.PLANNERS) == set(Kind.values)
    assert set(CONTENT) == set(Kind.values)
    assert {kind for kind, entry in planner.PLANNERS.items() if entry.daily} == {
        Kind.LICENCE_EXPIRING,
        Kind.ACCREDITATION_EXPIRING,
        Kind.LICENCE_FEE_DUE,
        Kind.LICENCE_FEE_OVERDUE,
        Kind.CORRECTIVE_ACTION_OVERDUE,
    }


def test_a_licence_ending_soon_reminds_its_partners_coordinators_and_the_licensor(partner, coordinator, licensor):
    other_coordinator = user_with_role(Role.COORDINATOR, partner, email="second@example.org")
    user_with_role(Role.TRAINER, partner)  # not a recipient
    licence = _ending_in(20, partner=partner)

    inserted = plan_licence_expiring(timezone.now())

    assert inserted == 3
    rows = {(r.recipient_user_id, r.partner_id) for r in _licence_rows()}
    assert rows == {(coordinator.pk, partner.pk), (other_coordinator.pk, partner.pk), (licensor.pk, None)}
    assert all(r.subject == licence for r in _licence_rows())
    assert {r.details["days"] for r in _licence_rows()} == {30}


@pytest.mark.parametrize(("days_left", "threshold"), [(0, 7), (7, 7), (8, 30), (30, 30), (31, 90), (90, 90)])
def test_only_the_smallest_threshold_a_licence_has_reached_is_planned(coordinator, partner, days_left, threshold):
    _ending_in(days_left, partner=partner)
    plan_licence_expiring(timezone.now())
    assert [r.details["days"] for r in _licence_rows()] == [threshold]


def test_licences_ending_later_or_not_active_are_not_reminded(coordinator, partner):
    _ending_in(91, partner=partner)
    _ending_in(10, partner=partner, suspended=True)
    LicenceFactory(partner=partner, past_end=True)
    assert plan_licence_expiring(timezone.now()) == 0


def test_planning_twice_inserts_nothing_new(coordinator, partner, licensor):
    _ending_in(5, partner=partner)
    assert plan_licence_expiring(timezone.now()) == 2
    assert plan_licence_expiring(timezone.now()) == 0
    assert _licence_rows().count() == 2


def test_each_threshold_reached_as_time_passes_gets_its_own_reminder(coordinator, partner):
    _ending_in(60, partner=partner)
    plan_licence_expiring(timezone.now())
    plan_licence_expiring(timezone.now() + timedelta(days=35))  # 25 days left
    plan_licence_expiring(timezone.now() + timedelta(days=55))  # 5 days left
    assert sorted(r.details["days"] for r in _licence_rows()) == [7, 30, 90]


def test_an_extended_licence_is_reminded_again_for_its_new_end(coordinator, partner):
    licence = _ending_in(5, partner=partner)
    plan_licence_expiring(timezone.now())
    licence.ends_on += timedelta(days=1)
    licence.save()
    assert plan_licence_expiring(timezone.now()) == 1
    assert sorted(r.details["ends_on"] for r in _licence_rows()) == sorted(
        {(licence.ends_on - timedelta(days=1)).isoformat(), licence.ends_on.isoformat()}
    )


def test_the_thresholds_are_the_licensors_expiry_reminder_days(coordinator, partner):
    baseline = BaselinePolicy.load()
    baseline.expiry_reminder_days = [14]
    baseline.save()
    _ending_in(20, partner=partner)
    _ending_in(10, partner=partner)
    assert plan_licence_expiring(timezone.now()) == 1
    assert _licence_rows().get().details["days"] == 14


def test_recipients_who_switched_the_kind_off_or_are_inactive_are_skipped(partner, coordinator, licensor):
    ReminderPreferenceFactory(user=coordinator, kind=Kind.LICENCE_EXPIRING, enabled=False)
    ReminderPreferenceFactory(user=licensor, kind=Kind.SESSION_UPCOMING, enabled=False)  # another kind
    user_with_role(Role.COORDINATOR, partner, is_active=False)
    _ending_in(5, partner=partner)
    plan_licence_expiring(timezone.now())
    assert [r.recipient_user_id for r in _licence_rows()] == [licensor.pk]


def test_a_partner_without_a_coordinator_still_reminds_the_licensor(licensor):
    _ending_in(5)
    plan_licence_expiring(timezone.now())
    assert [(r.recipient_user_id, r.partner_id) for r in _licence_rows()] == [(licensor.pk, None)]


def test_the_licence_planner_runs_the_same_queries_for_one_partner_or_twenty(licensor):
    plan_licence_expiring(timezone.now())  # the baseline row and the content-type cache

    def queries_for(partners):
        for _ in range(partners):
            partner = PartnerFactory()
            user_with_role(Role.COORDINATOR, partner)
            _ending_in(5, partner=partner)
        Reminder.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            plan_licence_expiring(timezone.now())
        return len(captured)

    assert queries_for(1) == queries_for(19)


def test_plan_runs_the_daily_or_the_sweep_kinds_and_counts_per_kind(coordinator, partner):
    _ending_in(5, partner=partner)
    assert Kind.LICENCE_EXPIRING not in planner.plan(daily=False)
    assert planner.plan(daily=True)[Kind.LICENCE_EXPIRING] == 1


def test_one_failing_kind_does_not_stop_the_others(monkeypatch, coordinator, partner):
    _ending_in(5, partner=partner)

    def broken(now):
        raise RuntimeError("bug")

    monkeypatch.setitem(planner.PLANNERS, "broken", planner.Planner(kind="broken", plan=broken, daily=True))
    with pytest.raises(planner.PlanningFailed, match="broken"):
        planner.plan(daily=True)
    assert _licence_rows().count() == 1


def test_a_long_dedupe_key_is_hashed_to_fit_the_column():
    key = planner.dedupe_key(Kind.SESSION_UPCOMING, "x" * 300, email="someone@example.org")
    assert len(key) <= 255
    assert key.startswith("session_upcoming:")
    assert key == planner.dedupe_key(Kind.SESSION_UPCOMING, "x" * 300, email="Someone@Example.org ")


def test_a_kind_plans_under_a_longer_statement_timeout_than_a_web_request(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's")
    seen = []

    def show_timeout(now):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])
        return 0

    monkeypatch.setitem(planner.PLANNERS, "probe", planner.Planner(kind="probe", plan=show_timeout, daily=False))
    planner.plan(kinds={"probe"})
    # (SET LOCAL: it ends with the kind's transaction, or here with the test's.)
    assert seen == ["10min"]
