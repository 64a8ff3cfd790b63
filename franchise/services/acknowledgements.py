"""Franchise use cases for acknowledging the policy."""

from django.apps import apps
from django.db import transaction

from core.errors import Invalid, NotFound
from core.tenancy import COORDINATOR, access_for, require_role
from franchise.models import PolicyAcknowledgement
from franchise.services._common import _lock_partner
from franchise.services.policy import ensure_policy_version


def person_for_user(partner, user):
    """The user's Person in `partner`: their profile; else the one person of the partner on file with their
    address and no login (recorded after the login was made), which gets the login; else a new one from the
    user's name and email. Linking first keeps a member's acknowledgements on the profile their coordinator
    sees, not on a second Person made on their first action."""
    from supervision.people.services import link_login_by_email

    person_model = apps.get_model("supervision", "Person")
    person = person_model.objects.filter(partner=partner, user=user).first()
    if person is None:
        person = link_login_by_email(partner=partner, user=user)
    if person is None:
        person = person_model.objects.create(partner=partner, user=user, name=user.name or user.email, email=user.email)
    return person


@transaction.atomic
def acknowledge_policy(*, by, partner, person=None, version_number=None):
    """Record that a person has read and accepts the policy version in force (its boundary rules above all).

    Without `person`, the caller acknowledges for themselves. With one, a
    coordinator records that person's signed paper acknowledgement. Returns
    (acknowledgement, created); acknowledging the same version twice changes nothing.
    `version_number`, when given, must be the version in force (the one the person read).
    """
    access = access_for(by)
    if not access.can_see_partner(partner.pk):
        raise NotFound()
    _lock_partner(partner.pk)
    if person is None or (person.user_id is not None and person.user_id == by.pk):
        if not access.roles_by_partner.get(partner.pk):
            raise Invalid(
                "You hold no role in this partner; name the person whose signed acknowledgement you record.",
                field="person",
                code="person_required",
            )
        if person is not None and person.partner_id != partner.pk:
            raise Invalid("This person does not belong to this partner.", field="person")
        person = person or person_for_user(partner, by)
        method = PolicyAcknowledgement.Method.SELF
    else:
        require_role(
            by,
            partner,
            (COORDINATOR,),
            message="Only the partner's coordinators record someone else's acknowledgement.",
        )
        if person.partner_id != partner.pk:
            raise Invalid("This person does not belong to this partner.", field="person")
        method = PolicyAcknowledgement.Method.PAPER
    version = ensure_policy_version(partner, by=by)
    if version_number is not None and version_number != version.number:
        raise Invalid(
            f"Version {version_number} is no longer in force; version {version.number} is. Acknowledge that one.",
            field="version",
            code="version_superseded",
        )
    return PolicyAcknowledgement.objects.get_or_create(
        policy_version=version, person=person, defaults={"partner": partner, "recorded_by": by, "method": method}
    )
