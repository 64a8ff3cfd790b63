"""Factories: one per model, sensible defaults, traits for states.

Domain issues add their factories here, grouped by app.
"""

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from franchise.models import Invitation, Membership, Partner, Role, User

# --- franchise: tenancy ---------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password("correct-horse-battery")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    status = Partner.Status.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Role.COORDINATOR

    class Params:
        licensor = factory.Trait(partner=None, role=Role.LICENSOR_ADMIN)


class InvitationFactory(factory.django.DjangoModelFactory):
    """An invitation; pass `token=` to know the token its link carries."""

    class Meta:
        model = Invitation

    class Params:
        token = None
        expired = factory.Trait(expires_at=factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1)))
        accepted = factory.Trait(accepted_at=factory.LazyFunction(timezone.now))
        licensor = factory.Trait(partner=None, role=Role.LICENSOR_ADMIN)

    partner = factory.SubFactory(PartnerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.MENTOR
    token_hash = factory.LazyAttributeSequence(
        lambda o, n: hashlib.sha256(o.token.encode()).hexdigest() if o.token else f"{n:064d}"
    )
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


def user_with_role(role, partner=None, **user_fields):
    """A user holding `role` in `partner` (or a licensor admin when role is licensor_admin)."""
    user = UserFactory(**user_fields)
    if role == Role.LICENSOR_ADMIN:
        MembershipFactory(user=user, partner=None, role=role)
    else:
        MembershipFactory(user=user, partner=partner, role=role)
    return user
