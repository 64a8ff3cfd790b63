"""Reads of the reminder ledger: who sees which reminders, which rows a sender may claim."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q

from core.tenancy import COORDINATOR, TenantQuerySet, own_user_q


class ReminderQuerySet(TenantQuerySet):
    """The reminders addressed to a user; a coordinator also sees every reminder of their partners,
    a licensor admin every reminder addressed to the licensing organisation."""

    def visible_condition(self, access, user):
        # Everyone else's own reminders stop with their membership.
        return self._coordinated(access, own_user_q(access, user, "recipient_user_id"))

    def licensor_condition(self, access, user):
        # The licensor's own reminders follow no partner membership.
        return self._coordinated(access, Q(recipient_user_id=user.pk)) | Q(partner__isnull=True)

    def _coordinated(self, access, condition):
        coordinated = access.partner_ids([COORDINATOR])
        if coordinated:
            condition |= Q(partner__in=coordinated)
        return condition

    def pending(self):
        return self.filter(status=self.model.Status.PENDING)

    def claimable(self, now):
        """Pending rows that are due and that no live sender holds (a crashed sender's lease has run out)."""
        return self.pending().filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            attempt_after__lte=now,
        )

    def about(self, subject):
        """Rows whose subject is `subject` (any model instance)."""
        return self.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)

    def with_switched_off(self):
        """Annotate `switched_off`: the recipient has turned this kind of reminder off."""
        preference = apps.get_model("reminders", "ReminderPreference")
        return self.annotate(
            switched_off=Exists(
                preference.objects.filter(user_id=OuterRef("recipient_user_id"), kind=OuterRef("kind"), enabled=False)
            )
        )


class ReminderPreferenceQuerySet(TenantQuerySet):
    """A user's own preferences only, the licensor's too."""

    def visible_condition(self, access, user):
        return Q(user_id=user.pk)

    licensor_condition = visible_condition

    def switched_off(self, kind):
        return self.filter(kind=kind, enabled=False)
