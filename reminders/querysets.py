"""Reads of the reminder ledger: who sees which reminders, which rows a sender may claim."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q

from franchise.tenancy import COORDINATOR, NO_ACCESS, access_for, own_user_q


class ReminderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The reminders addressed to `user`; a coordinator also sees every reminder of their partners,
        a licensor admin every reminder addressed to the licensing organisation."""
        access = access_for(user)
        if access is NO_ACCESS:
            return self.none()
        # The licensor's own reminders follow no partner membership; everyone else's stop with their membership.
        if access.is_licensor:
            condition = Q(recipient_user_id=user.pk)
        else:
            condition = own_user_q(access, user, "recipient_user_id")
        coordinated = access.partner_ids([COORDINATOR])
        if coordinated:
            condition |= Q(partner__in=coordinated)
        if access.is_licensor:
            condition |= Q(partner__isnull=True)
        return self.filter(condition)

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


class ReminderPreferenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        if access_for(user) is NO_ACCESS:
            return self.none()
        return self.filter(user_id=user.pk)

    def switched_off(self, kind):
        return self.filter(kind=kind, enabled=False)
