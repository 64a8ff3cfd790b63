"""Factories of the reminders app: one per model, traits for states.

A reminder is about a subject; by default the partner's licence (any model
with a UUID key will do: pass `subject=`).
"""

from datetime import timedelta

import factory
from django.utils import timezone

from reminders.models import Kind, Reminder, ReminderPreference
from tests.factories import PartnerFactory, UserFactory
from tests.franchise.factories import LicenceFactory


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    partner = factory.SubFactory(PartnerFactory)
    kind = Kind.LICENCE_EXPIRING
    recipient_user = factory.SubFactory(UserFactory)
    recipient_email = ""
    subject = factory.SubFactory(
        LicenceFactory,
        partner=factory.LazyAttribute(lambda o: o.factory_parent.partner or PartnerFactory()),
    )
    due_at = factory.LazyFunction(timezone.now)
    attempt_after = factory.SelfAttribute("due_at")
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    details = factory.LazyAttribute(
        lambda o: {"days": 30, "ends_on": o.subject.ends_on.isoformat()} if o.kind == Kind.LICENCE_EXPIRING else {}
    )

    class Params:
        sent = factory.Trait(status=Reminder.Status.SENT, sent_at=factory.LazyFunction(timezone.now), attempts=1)
        failed = factory.Trait(status=Reminder.Status.FAILED, attempts=5, last_error="SMTPException: refused")
        cancelled = factory.Trait(status=Reminder.Status.CANCELLED, cancelled_reason="It no longer applies.")
        later = factory.Trait(due_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=1)))
        licensor_wide = factory.Trait(partner=None)
        by_email = factory.Trait(
            recipient_user=None, recipient_email=factory.Sequence(lambda n: f"nologin{n}@example.org")
        )


class ReminderPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderPreference
        django_get_or_create = ["user", "kind"]

    user = factory.SubFactory(UserFactory)
    kind = Kind.LICENCE_EXPIRING
    enabled = False
