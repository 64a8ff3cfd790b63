"""Small builders shared by the sessions tests."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from franchise import policy_fields
from franchise.models import Role
from tests.factories import MembershipFactory
from tests.franchise.factories import PolicyVersionFactory
from tests.supervision.factories import PersonFactory


def set_policy(partner, **values):
    """A policy version in force for `partner` from a minute ago, the baseline with `values` changed."""
    return PolicyVersionFactory(
        partner=partner,
        values={**policy_fields.defaults(), **values},
        overridden=sorted(values),
        effective_from=timezone.now() - timedelta(minutes=1),
    )


def mentors(partner, count, *, trained=True, **fields):
    traits = {"active_mentor": True} if trained else {"mentor_status": "active"}
    return [PersonFactory(partner=partner, **traits, **fields) for _ in range(count)]


def person_of(user, partner, **fields):
    """The Person of a user who holds a role in `partner`."""
    return PersonFactory(partner=partner, user=user, name=user.name, email=user.email, **fields)


def coordinator_of(partner, **user_fields):
    membership = MembershipFactory(partner=partner, role=Role.COORDINATOR, **user_fields)
    return membership.user


def at(day, hour=10, minute=0, tz="Europe/London"):
    """An aware datetime: `day` (a date or 'YYYY-MM-DD') at hour:minute in `tz`."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


def days_from_now(days, hour=10):
    return at(timezone.localdate() + timedelta(days=days), hour)
