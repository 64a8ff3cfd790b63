"""Factories of boundary incidents: one per model, each a complete valid row from `partner=` alone.

Rows built here skip the services (no rule, role or workflow check, no access
log): tests of those call the services; factories build the world around them.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from franchise.models import BoundaryRule
from supervision.models import BoundaryIncident, IncidentAccess, IncidentAction, IncidentDiscussion, IncidentTransition
from tests.factories import PartnerFactory, UserFactory
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import PersonFactory
from tests.supervision_sessions.factories import SupervisionSessionFactory

Status = BoundaryIncident.Status


def _ago(**delta):
    return factory.LazyFunction(lambda: timezone.now() - timedelta(**delta))


class BoundaryIncidentFactory(factory.django.DjangoModelFactory):
    """A medium-severity incident about an active mentor, reported two days after it occurred and not yet
    reviewed, under a contact rule of the partner's own. Traits: under_review, action_agreed, escalated,
    closed, critical, safeguarding."""

    class Meta:
        model = BoundaryIncident

    partner = factory.SubFactory(PartnerFactory)
    reporter = factory.SubFactory(UserFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    match = None
    rule = factory.SubFactory(BoundaryRuleFactory, partner=factory.SelfAttribute("..partner"))
    category = factory.LazyAttribute(lambda o: o.rule.category)
    severity = BoundaryIncident.Severity.MEDIUM
    occurred_at = _ago(days=2)
    description = "Texted the mentee from a personal phone late in the evening after a session ran over."
    immediate_action = "Mentor reminded to use the project phone only; number to be blocked."
    status = Status.REPORTED
    review_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=168))

    class Params:
        under_review = factory.Trait(status=Status.UNDER_REVIEW, reviewed_at=_ago(hours=1))
        action_agreed = factory.Trait(status=Status.ACTION_AGREED, reviewed_at=_ago(hours=2))
        escalated = factory.Trait(status=Status.ESCALATED, reviewed_at=_ago(hours=1), escalated_at=_ago(hours=1))
        closed = factory.Trait(status=Status.CLOSED, reviewed_at=_ago(hours=3), closed_at=_ago(hours=1))
        critical = factory.Trait(severity=BoundaryIncident.Severity.CRITICAL)
        safeguarding = factory.Trait(
            rule=factory.SubFactory(
                BoundaryRuleFactory,
                partner=factory.SelfAttribute("..partner"),
                category=BoundaryRule.Category.SAFEGUARDING,
                title="Safeguarding concerns are passed on the same day",
            )
        )


class IncidentTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentTransition

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(
        BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"), under_review=True
    )
    from_status = Status.REPORTED
    to_status = Status.UNDER_REVIEW
    by = factory.SubFactory(UserFactory)
    note = "Coordinator has spoken to the mentor."


class IncidentActionFactory(factory.django.DjangoModelFactory):
    """An open action owned by the incident's mentor, due in a fortnight. Traits: done, dropped."""

    class Meta:
        model = IncidentAction

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(
        BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"), action_agreed=True
    )
    owner = factory.LazyAttribute(lambda o: o.incident.mentor)
    description = "Refresher on the contact rules with the coordinator."
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))

    class Params:
        done = factory.Trait(done_at=factory.LazyFunction(timezone.now))
        dropped = factory.Trait(dropped_at=factory.LazyFunction(timezone.now), drop_note="The match has ended.")


class IncidentDiscussionFactory(factory.django.DjangoModelFactory):
    """A reflective note from a held 1:1 of the incident's mentor."""

    class Meta:
        model = IncidentDiscussion

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(
        BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"), under_review=True
    )
    session = factory.SubFactory(
        SupervisionSessionFactory,
        partner=factory.SelfAttribute("..partner"),
        supervisee=factory.SelfAttribute("..incident.mentor"),
        held=True,
    )
    note = "Talked about why the late text felt like helping, and what to do next time a session runs over."


class IncidentAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentAccess

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"))
    user = factory.SubFactory(UserFactory)
    action = IncidentAccess.Action.READ
