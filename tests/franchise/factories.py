"""Factories of the franchise domain (programmes, licences, policy): one per model, traits for states.

Every partner-owned model builds a complete, valid row from `partner=` alone,
so the tenant-isolation walker can make one in any partner.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from franchise import policy_fields
from franchise.models import (
    BoundaryRule,
    Criterion,
    Licence,
    LicenceEvent,
    LicenceFee,
    PolicyAcknowledgement,
    PolicyOverride,
    PolicyVersion,
    Programme,
    Unit,
)
from tests.factories import PartnerFactory
from tests.supervision.factories import PersonFactory


def _today():
    return timezone.localdate()


class ProgrammeFactory(factory.django.DjangoModelFactory):
    """A programme; `with_criteria=True` adds one unit with P1–P3 and K1–K2."""

    class Meta:
        model = Programme
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Peer Mentoring Programme {n}")
    code = factory.Sequence(lambda n: f"PM-{n:03d}")
    level = "Level 3"
    awarding_body = "Open Awards"
    version = "1"

    class Params:
        with_criteria = factory.Trait(
            unit=factory.RelatedFactory("tests.franchise.factories.UnitFactory", "programme", criteria=(3, 2))
        )


class UnitFactory(factory.django.DjangoModelFactory):
    """A unit; `criteria=(p, k)` adds performance criteria P1…Pp and knowledge items K1…Kk."""

    class Meta:
        model = Unit
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"U{n}")
    title = "Peer training and mentoring"
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def criteria(unit, create, extracted, **kwargs):
        if not create or not extracted:
            return
        performance, knowledge = extracted
        position = 0
        for prefix, kind, count in (
            ("P", Criterion.Kind.PERFORMANCE, performance),
            ("K", Criterion.Kind.KNOWLEDGE, knowledge),
        ):
            for number in range(1, count + 1):
                position += 1
                CriterionFactory(unit=unit, code=f"{prefix}{number}", kind=kind, position=position)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    unit = factory.SubFactory(UnitFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    kind = Criterion.Kind.PERFORMANCE
    text = factory.LazyAttribute(lambda c: f"Criterion {c.code}: does what the unit asks.")
    position = factory.Sequence(lambda n: n)


class LicenceFactory(factory.django.DjangoModelFactory):
    """An active licence covering today (from 30 days ago for a year). Traits: draft, suspended,
    terminated, expired (ended 35 days ago), past_end (still active, but its last day was yesterday)."""

    class Meta:
        model = Licence

    partner = factory.SubFactory(PartnerFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    reference = factory.Sequence(lambda n: f"LIC-{n:05d}")
    starts_on = factory.LazyFunction(lambda: _today() - timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: _today() + timedelta(days=335))
    territory = "Greater Manchester"
    status = Licence.Status.ACTIVE
    status_changed_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(status=Licence.Status.DRAFT, status_changed_at=None)
        suspended = factory.Trait(status=Licence.Status.SUSPENDED)
        terminated = factory.Trait(status=Licence.Status.TERMINATED)
        expired = factory.Trait(
            status=Licence.Status.EXPIRED,
            starts_on=factory.LazyFunction(lambda: _today() - timedelta(days=400)),
            ends_on=factory.LazyFunction(lambda: _today() - timedelta(days=35)),
        )
        past_end = factory.Trait(
            starts_on=factory.LazyFunction(lambda: _today() - timedelta(days=365)),
            ends_on=factory.LazyFunction(lambda: _today() - timedelta(days=1)),
        )


class LicenceFeeFactory(factory.django.DjangoModelFactory):
    """An annual instalment of 1,200.00 GBP due in two weeks. Traits: overdue (due a week ago), paid."""

    class Meta:
        model = LicenceFee

    partner = factory.SubFactory(PartnerFactory)
    licence = factory.SubFactory(LicenceFactory, partner=factory.SelfAttribute("..partner"))
    kind = LicenceFee.Kind.ANNUAL
    reference = factory.Sequence(lambda n: f"FEE-{n:05d}")
    amount = Decimal("1200.00")
    currency = "GBP"
    due_on = factory.LazyFunction(lambda: _today() + timedelta(days=14))

    class Params:
        overdue = factory.Trait(
            status=LicenceFee.Status.OVERDUE, due_on=factory.LazyFunction(lambda: _today() - timedelta(days=7))
        )
        paid = factory.Trait(status=LicenceFee.Status.PAID, paid_on=factory.LazyFunction(_today))


class LicenceEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenceEvent

    partner = factory.SubFactory(PartnerFactory)
    licence = factory.SubFactory(LicenceFactory, partner=factory.SelfAttribute("..partner"))
    from_status = Licence.Status.DRAFT
    to_status = Licence.Status.ACTIVE
    note = "Signed and activated."


class PolicyOverrideFactory(factory.django.DjangoModelFactory):
    """A partner supervising every four weeks instead of six."""

    class Meta:
        model = PolicyOverride
        django_get_or_create = ["partner"]

    partner = factory.SubFactory(PartnerFactory)
    supervision_interval_days = 28


def _next_version_number(version):
    top = PolicyVersion.objects.filter(partner=version.partner).order_by("-number").values_list("number", flat=True)
    return (top.first() or 0) + 1


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    """A version holding the default baseline values, numbered after the partner's last one, in force now."""

    class Meta:
        model = PolicyVersion

    partner = factory.SubFactory(PartnerFactory)
    number = factory.LazyAttribute(_next_version_number)
    effective_from = factory.LazyFunction(timezone.now)
    reason = "Policy changed."
    values = factory.LazyFunction(policy_fields.defaults)
    overridden = factory.LazyFunction(list)
    boundary_rules = factory.LazyFunction(list)
    fallbacks = factory.LazyFunction(list)


class BoundaryRuleFactory(factory.django.DjangoModelFactory):
    """A partner's own rule; `baseline=True` for a licensor rule every partner works under."""

    class Meta:
        model = BoundaryRule

    partner = factory.SubFactory(PartnerFactory)
    code = factory.Sequence(lambda n: f"R{n}")
    title = "Meet only in agreed public places"
    description = "Mentoring meetings take place in the venues agreed with the coordinator, never at home."
    category = BoundaryRule.Category.CONTACT
    mandatory = True

    class Params:
        baseline = factory.Trait(partner=None)


class PolicyAcknowledgementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyAcknowledgement

    partner = factory.SubFactory(PartnerFactory)
    policy_version = factory.SubFactory(PolicyVersionFactory, partner=factory.SelfAttribute("..partner"))
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"))
    method = PolicyAcknowledgement.Method.SELF
