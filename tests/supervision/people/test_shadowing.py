"""Shadowing logs: hours above 0, at most 12 a day across logs, never in the future, with a member of staff."""

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import NotFound, NotPermitted
from franchise.models import Role
from supervision.models import MentorStatus, ShadowingLog
from supervision.people import services
from tests.factories import user_with_role
from tests.supervision.factories import PersonFactory, ShadowingLogFactory


@pytest.fixture
def mentor(partner):
    return PersonFactory(partner=partner, shadowing=True)


@pytest.fixture
def staff(partner):
    return PersonFactory(partner=partner, staff=True)


def log(by, mentor, staff, hours, date=None, **kwargs):
    return services.log_shadowing(
        by=by, mentor=mentor, shadowed=staff, date=date or timezone.localdate(), hours=hours, **kwargs
    )


def refused_fields(call):
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_a_supervisor_logs_shadowing(supervisor, mentor, staff):
    entry = log(supervisor, mentor, staff, Decimal("2.5"), note="Drop-in.")

    assert (entry.partner, entry.hours, entry.recorded_by, entry.note) == (
        mentor.partner,
        Decimal("2.5"),
        supervisor,
        "Drop-in.",
    )


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-1"), "0.00"])
def test_hours_must_be_more_than_zero(coordinator, mentor, staff, hours):
    assert "hours" in refused_fields(lambda: log(coordinator, mentor, staff, hours))
    assert not ShadowingLog.objects.exists()


def test_a_day_holds_at_most_twelve_hours_across_logs(coordinator, mentor, staff):
    log(coordinator, mentor, staff, Decimal("8"))
    log(coordinator, mentor, staff, Decimal("4"))  # exactly 12

    errors = refused_fields(lambda: log(coordinator, mentor, staff, Decimal("0.25")))

    assert "already has 12" in errors["hours"][0]
    assert ShadowingLog.objects.count() == 2


def test_the_daily_limit_names_what_is_left(coordinator, mentor, staff):
    log(coordinator, mentor, staff, Decimal("9.5"))
    errors = refused_fields(lambda: log(coordinator, mentor, staff, Decimal("3")))
    assert "at most 2.5 more" in errors["hours"][0]


def test_the_daily_limit_is_per_mentor_and_per_day(partner, coordinator, mentor, staff):
    log(coordinator, mentor, staff, Decimal("12"))
    log(coordinator, mentor, staff, Decimal("12"), date=timezone.localdate() - timedelta(days=1))
    log(coordinator, PersonFactory(partner=partner, shadowing=True), staff, Decimal("12"))
    assert ShadowingLog.objects.count() == 3


def test_a_single_log_over_twelve_hours_is_refused(coordinator, mentor, staff):
    assert "hours" in refused_fields(lambda: log(coordinator, mentor, staff, Decimal("12.5")))


def test_shadowing_cannot_be_logged_in_the_future(coordinator, mentor, staff):
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert "date" in refused_fields(lambda: log(coordinator, mentor, staff, Decimal("1"), date=tomorrow))
    assert not ShadowingLog.objects.exists()


def test_the_future_is_judged_in_the_partners_time_zone(partner, coordinator, mentor, staff, monkeypatch):
    partner.time_zone = "Pacific/Auckland"
    partner.save()
    # 20:00 in London on 1 March is already 2 March in Auckland.
    london_evening = datetime(2026, 3, 1, 20, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    monkeypatch.setattr(timezone, "now", lambda: london_evening)
    mentor.refresh_from_db()

    entry = log(coordinator, mentor, staff, Decimal("1"), date=london_evening.date() + timedelta(days=1))

    assert entry.date.isoformat() == "2026-03-02"


def test_the_person_shadowed_must_be_staff_of_the_partner(partner, other_partner, coordinator, mentor):
    another_mentor = PersonFactory(partner=partner, active_mentor=True)
    staff_elsewhere = PersonFactory(partner=other_partner, staff=True)

    assert "shadowed" in refused_fields(lambda: log(coordinator, mentor, another_mentor, Decimal("1")))
    assert "shadowed" in refused_fields(lambda: log(coordinator, mentor, staff_elsewhere, Decimal("1")))
    assert "shadowed" in refused_fields(lambda: log(coordinator, mentor, mentor, Decimal("1")))


def test_a_trainer_can_be_shadowed(partner, coordinator, mentor):
    trainer_person = PersonFactory(partner=partner, staff=True, staff_role=Role.TRAINER)
    assert log(coordinator, mentor, trainer_person, Decimal("1")).shadowed == trainer_person


@pytest.mark.parametrize("status", [None, MentorStatus.APPLICANT, MentorStatus.EXITED])
def test_shadowing_is_logged_only_for_people_on_their_way_or_active(partner, coordinator, staff, status):
    person = PersonFactory(partner=partner, mentor_status=status)
    assert "mentor" in refused_fields(lambda: log(coordinator, person, staff, Decimal("1")))


@pytest.mark.parametrize("role", [Role.TRAINER, Role.MENTOR])
def test_trainers_and_mentors_do_not_log_shadowing(partner, mentor, staff, role):
    with pytest.raises(NotPermitted):
        log(user_with_role(role, partner), mentor, staff, Decimal("1"))
    assert not ShadowingLog.objects.exists()


def test_staff_of_another_partner_cannot_log_shadowing(other_coordinator, mentor, staff):
    with pytest.raises(NotFound):
        log(other_coordinator, mentor, staff, Decimal("1"))


def test_a_mistaken_log_is_removed_by_a_supervisor(partner, supervisor):
    entry = ShadowingLogFactory(partner=partner)
    services.delete_shadowing_log(by=supervisor, log=entry)
    assert not ShadowingLog.objects.exists()


def test_a_trainer_cannot_remove_a_log(partner):
    entry = ShadowingLogFactory(partner=partner)
    with pytest.raises(NotPermitted):
        services.delete_shadowing_log(by=user_with_role(Role.TRAINER, partner), log=entry)
    assert ShadowingLog.objects.exists()
