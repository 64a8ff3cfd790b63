"""Supervision's reminders: overdue supervision (mentor, and a daily digest per coordinator), pause reviews."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Role
from reminders.kinds.compliance import plan_overdue_digest, plan_supervision_overdue
from reminders.kinds.pauses import plan_pause_review
from reminders.models import Kind, Reminder
from supervision.models import Person
from tests.factories import user_with_role
from tests.reminders.helpers import html, rows, send, to
from tests.supervision.factories import PersonFactory, SupervisionSessionFactory
from tests.supervision.sessions.helpers import days_from_now


def _held(mentor, days_ago):
    return SupervisionSessionFactory(
        partner=mentor.partner, supervisee=mentor, held=True, starts_at=days_from_now(-days_ago)
    )


def _overdue_mentor(partner, days_overdue=3, **fields):
    """An active mentor last supervised interval (42) + `days_overdue` days ago."""
    mentor = PersonFactory(partner=partner, active_mentor=True, **fields)
    _held(mentor, 42 + days_overdue)
    return mentor


@pytest.mark.django_db
def test_an_overdue_mentor_is_told_once_per_missed_due_date(partner):
    _overdue_mentor(partner, email="mo@example.org", name="Mo Mentor")
    PersonFactory(partner=partner, active_mentor=True)  # never supervised, but active only today: not due

    assert plan_supervision_overdue(timezone.now()) == 1
    assert plan_supervision_overdue(timezone.now()) == 0
    (message,) = send()

    assert message.to == ["mo@example.org"]
    assert message.subject == "Your supervision is overdue"
    expected_due = (days_from_now(-45) + timedelta(days=42)).date()
    assert rows(Kind.SUPERVISION_OVERDUE)[0].details == {"next_due_on": expected_due.isoformat()}
    assert "at least every 42 days" in message.body
    assert "at least every 42 days" in html(message)


@pytest.mark.django_db
def test_a_mentor_supervised_before_the_reminder_goes_is_not_told(partner):
    mentor = _overdue_mentor(partner)
    plan_supervision_overdue(timezone.now())
    _held(mentor, 0)
    assert send() == []
    assert rows(Kind.SUPERVISION_OVERDUE)[0].status == Reminder.Status.CANCELLED


@pytest.mark.django_db
def test_mentors_overdue_for_weeks_are_not_announced_late(partner):
    _overdue_mentor(partner, days_overdue=20)
    assert plan_supervision_overdue(timezone.now()) == 0


@pytest.mark.django_db
def test_each_coordinator_gets_one_digest_a_day_listing_every_overdue_mentor(
    partner, coordinator, other_partner, other_coordinator
):
    second = user_with_role(Role.COORDINATOR, partner, email="second@example.org")
    _overdue_mentor(partner, name="Ann Overdue")
    _overdue_mentor(partner, days_overdue=30, name="Bea Longoverdue")  # long overdue: still in the digest
    _overdue_mentor(other_partner, name="Cal Elsewhere")

    assert plan_overdue_digest(timezone.now()) == 3  # two coordinators here, one at the other partner
    sent = send(now=max(timezone.now(), timezone.localtime().replace(hour=8, minute=0)))

    assert len(sent) == 3
    for message in (to(sent, "coord@example.org"), to(sent, second.email)):
        assert message.subject == f"2 mentors overdue for supervision at {partner.name}"
        assert "Ann Overdue" in message.body and "Bea Longoverdue" in message.body
        assert "Cal Elsewhere" not in message.body
    assert plan_overdue_digest(timezone.now()) == 0
    assert plan_overdue_digest(timezone.now() + timedelta(days=1)) == 3


@pytest.mark.django_db
def test_a_coordinator_who_switched_the_digest_off_gets_none(partner, coordinator):
    from reminders.services import set_preference

    set_preference(user=coordinator, kind=Kind.SUPERVISION_OVERDUE_DIGEST, enabled=False)
    _overdue_mentor(partner)
    assert plan_overdue_digest(timezone.now()) == 0


@pytest.mark.django_db
def test_a_pause_due_for_review_today_reminds_each_coordinator_in_the_morning(partner, coordinator):
    person = PersonFactory(partner=partner, paused=True, name="Pat Paused", pause_review_on=timezone.localdate())
    PersonFactory(partner=partner, paused=True)  # review in a month

    now = timezone.now()
    assert plan_pause_review(now) == 1
    (row,) = rows(Kind.PAUSE_REVIEW)
    morning = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    assert row.due_at == max(morning, now)
    (message,) = send(now=max(morning, timezone.now()))

    assert message.to == ["coord@example.org"]
    assert message.subject == "Review Pat Paused's pause today"
    assert "Moving house" in message.body
    assert f"/api/v1/people/{person.pk}/" in html(message)


@pytest.mark.django_db
def test_a_mentor_back_from_a_pause_before_the_review_is_not_reviewed(partner, coordinator):
    person = PersonFactory(partner=partner, paused=True, pause_review_on=timezone.localdate())
    plan_pause_review(timezone.now())
    Person.objects.filter(pk=person.pk).update(mentor_status="active", pause_review_on=None)
    assert send(now=timezone.now() + timedelta(hours=12)) == []


@pytest.mark.django_db
def test_a_mentor_reminded_in_this_spell_is_not_read_again_even_at_a_new_address(partner):
    mentor = _overdue_mentor(partner, email="old@example.org")
    plan_supervision_overdue(timezone.now())
    Person.objects.filter(pk=mentor.pk).update(email="new@example.org")
    assert plan_supervision_overdue(timezone.now()) == 0


@pytest.mark.django_db
def test_a_reminder_from_before_this_spells_due_date_does_not_stop_this_spells_reminder(partner):
    # Overdue since three days ago; the one reminder on record was planned five days ago, in an earlier spell
    # (a session since then moved the due date on), so this spell has had none yet.
    mentor = _overdue_mentor(partner, days_overdue=3, email="mo@example.org")
    assert plan_supervision_overdue(timezone.now()) == 1
    Reminder.objects.filter(kind=Kind.SUPERVISION_OVERDUE, subject_id=mentor.pk).update(
        created_at=timezone.now() - timedelta(days=5), dedupe_key="supervision_overdue:an-earlier-spell"
    )
    assert plan_supervision_overdue(timezone.now()) == 1
    # Planned a day ago instead, after the due date, it is this spell's: nothing more.
    Reminder.objects.filter(kind=Kind.SUPERVISION_OVERDUE, subject_id=mentor.pk).delete()
    assert plan_supervision_overdue(timezone.now()) == 1
    Reminder.objects.filter(kind=Kind.SUPERVISION_OVERDUE, subject_id=mentor.pk).update(
        created_at=timezone.now() - timedelta(days=1), dedupe_key="supervision_overdue:planned-yesterday"
    )
    assert plan_supervision_overdue(timezone.now()) == 0
