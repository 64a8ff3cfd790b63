"""Franchise use cases that write: invitations and memberships (tenancy core)."""

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from franchise.errors import Invalid, NotPermitted
from franchise.models import Invitation, Membership, Partner, Role, User, normalise_email
from franchise.tenancy import COORDINATOR, access_for, forget_access, require_role

logger = logging.getLogger(__name__)


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token):
    return f"{settings.TANDEM_SITE_URL}/invite/{token}/"


@transaction.atomic
def invite(*, by, partner, email, role):
    """Invite `email` to take `role` in `partner` (None with the licensor admin role).

    Returns (invitation, token); only a hash of the token is stored, so the
    emailed link is the only copy.
    """
    if role == Role.LICENSOR_ADMIN:
        if partner is not None:
            raise Invalid("A licensor admin belongs to no partner; leave partner empty.", field="partner")
        if not access_for(by).is_licensor:
            raise NotPermitted("Only licensor admins may invite licensor admins.")
    else:
        if role not in Role.values:
            raise Invalid(f"{role!r} is not a role.", field="role")
        if partner is None:
            raise Invalid("Choose the partner the person is invited to.", field="partner")
        require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators may invite people.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        partner=partner,
        email=normalise_email(email),
        role=role,
        token_hash=_hash_token(token),
        invited_by=by,
        expires_at=timezone.now() + settings.TANDEM_INVITATION_VALID_FOR,
    )
    transaction.on_commit(lambda: _send_invitation(invitation, token))
    return invitation, token


def _send_invitation(invitation, token):
    context = {
        "invitation": invitation,
        "link": invitation_link(token),
        "organisation": invitation.partner.name if invitation.partner else "the licensing organisation",
        "role": invitation.get_role_display(),
    }
    try:
        send_mail(
            subject=f"You are invited to Tandem as {context['role']}",
            message=render_to_string("franchise/email/invitation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        )
    except Exception:
        # The invitation is kept: a coordinator can invite again, and the
        # request that created it must not fail because a mail server is down.
        logger.exception("Could not send invitation %s", invitation.pk)


def accept_invitation(*, token, name, password):
    """Turn a valid invitation into a membership, creating the user when new.

    Single use even under concurrent accepts: the invitation is claimed by a
    conditional UPDATE, and only the caller that changed the row goes on.
    An existing user must give their current password.
    """
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.filter(token_hash=_hash_token(token or "")).first()
        if invitation is None:
            raise Invalid("This invitation link is not valid.", field="token", code="invitation_invalid")
        if invitation.accepted_at is not None:
            raise Invalid("This invitation has already been used.", field="token", code="invitation_used")
        if invitation.expires_at <= now:
            raise Invalid("This invitation has expired; ask for a new one.", field="token", code="invitation_expired")

        user = User.objects.filter(email__iexact=invitation.email).first()
        if user is None:
            if not name or not name.strip():
                raise Invalid("Tell us your name.", field="name")
            user = User(email=invitation.email, name=name.strip())
            try:
                password_validation.validate_password(password or "", user)
            except ValidationError as exc:
                raise Invalid(" ".join(exc.messages), field="password", code="password_weak") from exc
            user.set_password(password)
            user.save()
        elif not user.check_password(password or ""):
            raise Invalid(
                "An account with this email exists; enter its current password.",
                field="password",
                code="password_mismatch",
            )

        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now).update(
            accepted_at=now, accepted_by=user
        )
        if claimed != 1:
            raise Invalid("This invitation has already been used.", field="token", code="invitation_used")
        Membership.objects.get_or_create(user=user, partner=invitation.partner, role=invitation.role)
        forget_access(user)
    return user


@transaction.atomic
def remove_membership(*, by, membership):
    """Remove a role. Coordinators manage their own partner; the last licensor admin stays."""
    if membership.role == Role.LICENSOR_ADMIN:
        if not access_for(by).is_licensor:
            raise NotPermitted("Only licensor admins may remove a licensor admin.")
        remaining = (
            Membership.objects.select_for_update().filter(role=Role.LICENSOR_ADMIN).exclude(pk=membership.pk).count()
        )
        if remaining == 0:
            raise Invalid(
                "This is the last licensor admin; invite another before removing it.", code="last_licensor_admin"
            )
    else:
        require_role(
            by, membership.partner_id, (COORDINATOR,), message="Only the partner's coordinators may remove roles."
        )
    membership.delete()


@transaction.atomic
def create_partner(*, by, name, slug, status=Partner.Status.ONBOARDING, time_zone="Europe/London"):
    if not access_for(by).is_licensor:
        raise NotPermitted("Only the licensing organisation may add partners.")
    if Partner.objects.filter(slug=slug).exists():
        raise Invalid(f"The slug {slug!r} is taken by another partner.", field="slug", code="slug_taken")
    return Partner.objects.create(name=name, slug=slug, status=status, time_zone=time_zone)


@transaction.atomic
def update_partner(*, by, partner, **changes):
    if not access_for(by).is_licensor:
        raise NotPermitted("Only the licensing organisation may change partners.")
    slug = changes.get("slug")
    if slug and Partner.objects.filter(slug=slug).exclude(pk=partner.pk).exists():
        raise Invalid(f"The slug {slug!r} is taken by another partner.", field="slug", code="slug_taken")
    for name, value in changes.items():
        setattr(partner, name, value)
    partner.save()
    return partner


@transaction.atomic
def revoke_invitation(*, by, invitation):
    if invitation.role == Role.LICENSOR_ADMIN:
        if not access_for(by).is_licensor:
            raise NotPermitted("Only licensor admins may revoke this invitation.")
    else:
        require_role(
            by, invitation.partner_id, (COORDINATOR,), message="Only the partner's coordinators may revoke invitations."
        )
    if invitation.accepted_at is not None:
        raise Invalid("This invitation has been accepted; remove the membership instead.", code="invitation_used")
    invitation.delete()
