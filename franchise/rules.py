"""Named franchise rules that other use cases compose (mentor activation, course scheduling).

Each returns a list of Unmet: empty when the rule is met.
"""

from django.utils import timezone

from core.errors import Unmet
from franchise.models import Licence, PolicyAcknowledgement, PolicyVersion

# A partner's pages live under `/<slug>/`; these first path segments are Tandem's own, so no partner may take
# one (tests/web/test_credentials.py checks every top-level route is listed).
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "calendar",
        "console",
        "healthz",
        "invite",
        "login",
        "logout",
        "password-reset",
        "static",
        "verify",
    }
)


def slug_is_reserved(slug):
    return (slug or "").lower() in RESERVED_SLUGS


def licence_in_force(partner, on_date=None, programme=None):
    """The partner holds an active licence on `on_date` (today when None), for `programme` when given."""
    on_date = on_date or timezone.localdate()
    licences = Licence.objects.filter(partner=partner)
    if programme is not None:
        licences = licences.filter(programme=programme)
    if licences.in_force_on(on_date).exists():
        return []
    what = f"for {programme.name} " if programme is not None else ""
    return [
        Unmet(
            "no_active_licence",
            f"The partner holds no active licence {what}on {on_date.isoformat()}; "
            "a suspended or expired licence blocks new activity.",
        )
    ]


def policy_acknowledged(person, at=None):
    """The person has acknowledged the policy version in force for their partner (its boundary rules above all)."""
    version = PolicyVersion.objects.in_force(person.partner_id, at)
    if version is None:
        return [
            Unmet(
                "policy_not_acknowledged",
                "The partner's policy has no version yet; the person acknowledges it once a coordinator has set it.",
            )
        ]
    if PolicyAcknowledgement.objects.filter(policy_version=version, person=person).exists():
        return []
    return [
        Unmet(
            "policy_not_acknowledged",
            f"{person.name} has not acknowledged version {version.number} of the policy and its boundary rules.",
        )
    ]
