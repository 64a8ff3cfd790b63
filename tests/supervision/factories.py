"""Factories of the supervision app's people: one per model, sensible defaults, traits for states.

Every partner-owned model builds a complete, valid row from `partner=` alone.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from franchise.models import Role
from supervision.models import Match, MentorStatus, Person, PersonTransition, ShadowingLog
from tests.factories import MembershipFactory, PartnerFactory, UserFactory


def _days_ago(days):
    return factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=days))


class PersonFactory(factory.django.DjangoModelFactory):
    """A person off the mentor pathway (no status). Traits: applicant, in_training, shadowing, trained,
    active_mentor, paused, exited, staff (a supervisor with a login), with_user."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    user = None

    class Params:
        with_user = factory.Trait(
            user=factory.SubFactory(
                UserFactory, email=factory.SelfAttribute("..email"), name=factory.SelfAttribute("..name")
            )
        )
        staff_role = Role.SUPERVISOR
        # A member of staff who may be shadowed: a login holding a staff role in the partner.
        staff = factory.Trait(
            with_user=True,
            staff_membership=factory.RelatedFactory(
                MembershipFactory,
                factory_related_name="",
                user=factory.SelfAttribute("..user"),
                partner=factory.SelfAttribute("..partner"),
                role=factory.SelfAttribute("..staff_role"),
            ),
        )
        trained = factory.Trait(prior_learning_on=_days_ago(90))
        applicant = factory.Trait(mentor_status=MentorStatus.APPLICANT)
        in_training = factory.Trait(mentor_status=MentorStatus.IN_TRAINING)
        shadowing = factory.Trait(mentor_status=MentorStatus.SHADOWING, trained=True)
        # Meets the requirements that live on the row (trained, background check). Shadowing hours,
        # the policy acknowledgement and the licence are other rows: see tests.supervision.helpers.
        active_mentor = factory.Trait(
            mentor_status=MentorStatus.ACTIVE, trained=True, background_check_on=_days_ago(60)
        )
        paused = factory.Trait(
            active_mentor=True,
            mentor_status=MentorStatus.PAUSED,
            pause_reason="Moving house; back in a month.",
            pause_review_on=factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30)),
        )
        exited = factory.Trait(mentor_status=MentorStatus.EXITED)


class PersonTransitionFactory(factory.django.DjangoModelFactory):
    """The first step of a pathway: registered as an applicant."""

    class Meta:
        model = PersonTransition

    partner = factory.SubFactory(PartnerFactory)
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), applicant=True)
    from_status = None
    to_status = MentorStatus.APPLICANT
    reason = "Registered."


class ShadowingLogFactory(factory.django.DjangoModelFactory):
    """Three hours a week ago, a mentor in the shadowing stage with a supervisor of the same partner."""

    class Meta:
        model = ShadowingLog

    partner = factory.SubFactory(PartnerFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), shadowing=True)
    shadowed = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), staff=True)
    date = _days_ago(7)
    hours = Decimal("3.00")
    note = "Sat in on drop-in sessions."


class MatchFactory(factory.django.DjangoModelFactory):
    """An active match of an active mentor, started a month ago. Trait: ended."""

    class Meta:
        model = Match

    partner = factory.SubFactory(PartnerFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    mentee_ref = factory.Sequence(lambda n: f"M-{n:04d}")
    status = Match.Status.ACTIVE
    started_on = _days_ago(30)

    class Params:
        ended = factory.Trait(status=Match.Status.ENDED, ended_on=_days_ago(2), end_reason="Goals met.")
