"""Helpers shared by several of the franchise use-case modules."""

from core.errors import NotPermitted
from core.tenancy import access_for
from franchise.models import Partner


def _require_licensor(by, message="Only the licensing organisation may do this."):
    if not access_for(by).is_licensor:
        raise NotPermitted(message)


def _lock_partner(partner_id):
    """Serialise the writers of one partner's licences and policy versions.

    Licence overlap and version numbers are read-then-write checks; holding the
    partner row's lock makes the second writer wait and then see the first one's row.
    """
    list(Partner.objects.select_for_update().filter(pk=partner_id).values_list("pk", flat=True))
