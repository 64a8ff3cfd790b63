"""Worlds for the mentor pathway's tests: the rows a person needs besides their own to become active."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from franchise.models import Licence, PolicyVersion
from franchise.policy import effective_policy
from tests.franchise.factories import LicenceFactory, PolicyAcknowledgementFactory, PolicyVersionFactory
from tests.supervision.factories import PersonFactory, ShadowingLogFactory


def licence_for(partner):
    if not Licence.objects.filter(partner=partner).in_force_on(timezone.localdate()).exists():
        LicenceFactory(partner=partner)


def acknowledge(person):
    version = PolicyVersion.objects.in_force(person.partner) or PolicyVersionFactory(partner=person.partner)
    PolicyAcknowledgementFactory(partner=person.partner, policy_version=version, person=person)


def shadow(person, hours, *, shadowed=None):
    """Log `hours` of shadowing for `person`, a few hours a day on past days."""
    shadowed = shadowed or PersonFactory(partner=person.partner, staff=True)
    remaining, day = Decimal(hours), 1
    while remaining > 0:
        today_hours = min(remaining, Decimal("6"))
        ShadowingLogFactory(
            partner=person.partner,
            mentor=person,
            shadowed=shadowed,
            hours=today_hours,
            date=timezone.localdate() - timedelta(days=day),
        )
        remaining -= today_hours
        day += 1


def meet_every_requirement(person):
    """Everything activation asks of `person` and their partner under the policy in force."""
    person.prior_learning_on = person.prior_learning_on or timezone.localdate() - timedelta(days=90)
    person.background_check_on = person.background_check_on or timezone.localdate() - timedelta(days=60)
    person.save()
    licence_for(person.partner)
    acknowledge(person)
    shadow(person, effective_policy(person.partner).shadowing_hours_required)
    return person


def ready_to_activate(partner, **fields):
    """A person in the shadowing stage who meets every activation requirement."""
    return meet_every_requirement(PersonFactory(partner=partner, shadowing=True, **fields))
