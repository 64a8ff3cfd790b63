"""The partner a page is about, read from its URL (`/<partner-slug>/…`) through the user's memberships: here only.

A slug the user holds no role in is a 404, exactly like a partner that does not exist, so a page never tells
anyone which partners use Tandem. A page for roles the user does not hold in that partner is a 403: the partner
is theirs, the page is not.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR, TRAINER, access_for
from franchise.models import Partner, Role

ROLE_ORDER = (COORDINATOR, SUPERVISOR, TRAINER, MENTOR)


@dataclass(frozen=True)
class PartnerContext:
    partner: Partner
    roles: frozenset

    def has(self, *roles):
        return bool(self.roles & set(roles))

    @property
    def role_labels(self):
        return [Role(role).label for role in ROLE_ORDER if role in self.roles]

    @property
    def main_role(self):
        """The role whose home the partner's front page shows first."""
        return next(role for role in ROLE_ORDER if role in self.roles)


def member_partners(user):
    """The partners where `user` holds a role, with the roles, in name order (one query)."""
    access = access_for(user)
    partners = Partner.objects.filter(pk__in=access.partner_ids()).order_by("name")
    return [PartnerContext(partner, access.roles_by_partner[partner.pk]) for partner in partners]


def resolve(request, slug):
    access = access_for(request.user)
    partner = Partner.objects.filter(slug=slug, pk__in=access.partner_ids()).first()
    if partner is None:
        raise Http404("No such partner among yours.")
    return PartnerContext(partner, access.roles_by_partner[partner.pk])


def partner_page(*roles):
    """A view of `/<partner_slug>/…`: sign-in required, the partner resolved once and passed on as `here`.

    With `roles`, only members holding one of them may open it.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, partner_slug, *args, **kwargs):
            here = resolve(request, partner_slug)
            if roles and not here.has(*roles):
                raise PermissionDenied("This page is for other roles in this partner.")
            request.here = here
            return view(request, here, *args, **kwargs)

        wrapper.partner_roles = roles
        return wrapper

    return decorate
