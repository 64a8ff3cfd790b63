"""A new policy version: each mentor, supervisor and trainer of the partner is asked to read and acknowledge it,
exactly once per person and version, in one message listing what changed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import policy_fields
from franchise import services as franchise_services
from franchise.models import Role
from reminders.kinds.policy import plan_policy_acknowledgement
from reminders.models import Kind, Reminder
from tests.factories import MembershipFactory, user_with_role
from tests.franchise.factories import PolicyVersionFactory
from tests.reminders.helpers import html, rows, send, to
from tests.supervision.factories import PersonFactory
from tests.supervision.people.helpers import acknowledge

pytestmark = pytest.mark.django_db


def _version(partner, *, days_ago=0, rules=(), **values):
    return PolicyVersionFactory(
        partner=partner,
        effective_from=timezone.now() - timedelta(days=days_ago, minutes=1),
        values={**policy_fields.defaults(), **values},
        boundary_rules=[{"code": code, "title": title} for code, title in rules],
    )


def _staff(partner, role, email):
    user = user_with_role(role, partner, email=email, name=email.split("@")[0].title())
    return PersonFactory(partner=partner, user=user, email=email, name=user.name)


def _recipients():
    return sorted(row.recipient_address for row in Reminder.objects.filter(kind=Kind.POLICY_ACKNOWLEDGEMENT))


def test_each_mentor_supervisor_and_trainer_who_has_not_acknowledged_is_asked_once(partner, other_partner):
    _version(partner)
    _version(other_partner)
    PersonFactory(partner=partner, active_mentor=True, email="mo@example.org")
    PersonFactory(partner=partner, applicant=True, email="ann@example.org")
    _staff(partner, Role.SUPERVISOR, "sue@example.org")
    _staff(partner, Role.TRAINER, "tom@example.org")
    acknowledge(PersonFactory(partner=partner, active_mentor=True, email="read@example.org"))
    PersonFactory(partner=partner, exited=True, email="gone@example.org")
    PersonFactory(partner=partner, mentor_status=None, email="learner@example.org")  # a learner, no role
    _staff(partner, Role.COORDINATOR, "cora@example.org")  # made the change
    PersonFactory(partner=other_partner, active_mentor=True, email="far@example.org")

    assert plan_policy_acknowledgement(timezone.now()) == 5
    assert plan_policy_acknowledgement(timezone.now()) == 0

    assert _recipients() == [
        "ann@example.org",
        "far@example.org",
        "mo@example.org",
        "sue@example.org",
        "tom@example.org",
    ]


def test_one_person_with_several_roles_gets_one_reminder_per_version(partner):
    _version(partner)
    person = _staff(partner, Role.SUPERVISOR, "sue@example.org")
    MembershipFactory(user=person.user, partner=partner, role=Role.TRAINER)
    person.mentor_status = "active"
    person.save()

    assert plan_policy_acknowledgement(timezone.now()) == 1
    (row,) = rows(Kind.POLICY_ACKNOWLEDGEMENT)
    assert row.subject_id == person.pk


def test_a_newer_version_asks_again_and_the_superseded_reminder_is_not_sent(partner):
    first = _version(partner, days_ago=1)
    PersonFactory(partner=partner, active_mentor=True, email="mo@example.org")
    plan_policy_acknowledgement(timezone.now())
    second = _version(partner)

    assert plan_policy_acknowledgement(timezone.now()) == 1
    assert {row.details["version"] for row in rows(Kind.POLICY_ACKNOWLEDGEMENT)} == {str(first.pk), str(second.pk)}
    (message,) = send()
    assert f"version {second.number}" in message.subject
    assert Reminder.objects.get(details__version=str(first.pk)).status == Reminder.Status.CANCELLED


def test_the_message_lists_the_rules_added_and_the_values_tightened(partner):
    _version(partner, days_ago=1, rules=[("C1", "Contact only in agreed hours")])
    _version(
        partner,
        rules=[("C1", "Contact only in agreed hours"), ("G1", "No gifts or money")],
        supervision_interval_days=28,
    )
    PersonFactory(partner=partner, active_mentor=True, email="mo@example.org", name="Mo Mentor")
    plan_policy_acknowledgement(timezone.now())

    message = to(send(), "mo@example.org")

    assert message.subject == f"Please read and acknowledge version 2 of {partner.name}'s policy"
    for body in (message.body, html(message)):
        assert "No gifts or money" in body
        assert "Contact only in agreed hours" not in body
        assert "supervision_interval_days: 42 → 28" in body
        assert f"/{partner.slug}/policy/" in body


def test_someone_who_acknowledges_before_the_reminder_goes_is_not_sent_it(partner):
    _version(partner)
    mentor = PersonFactory(partner=partner, active_mentor=True, email="mo@example.org")
    plan_policy_acknowledgement(timezone.now())
    acknowledge(mentor)

    assert send() == []
    assert rows(Kind.POLICY_ACKNOWLEDGEMENT)[0].status == Reminder.Status.CANCELLED


def test_a_version_older_than_a_week_is_not_announced_late(partner):
    _version(partner, days_ago=8)
    PersonFactory(partner=partner, active_mentor=True)

    assert plan_policy_acknowledgement(timezone.now()) == 0


def test_a_coordinators_policy_change_reaches_the_mentors_through_the_planner(partner, coordinator):
    mentor = PersonFactory(partner=partner, active_mentor=True, email="mo@example.org")
    _version(partner, days_ago=30)
    acknowledge(mentor)
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"shadowing_hours_required": 15}
    )

    later = timezone.now() + timedelta(seconds=1)
    assert plan_policy_acknowledgement(later) == 1
    assert "shadowing_hours_required: 10 → 15" in to(send(later), "mo@example.org").body
