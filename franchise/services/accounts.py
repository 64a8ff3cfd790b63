"""Franchise use cases for the tenancy core: partners, invitations, memberships and accounts."""

import hashlib
import logging
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.errors import Invalid, NotPermitted, RuleNotMet, Unmet
from core.tenancy import COORDINATOR, access_for, forget_access, require_role
from franchise import rules
from franchise.models import Invitation, Membership, Partner, Role, User, normalise_email

logger = logging.getLogger(__name__)


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token):
    return f"{settings.TANDEM_SITE_URL}/invite/{token}/"


def check_invitation(*, by, partner, email, role):
    """Raise unless `by` may invite `email` to take `role` in `partner`; returns the normalised email.

    Kept apart from `invite` so that a form (the Django admin's) can show the
    refusal next to its fields before anything is written.
    """
    # Permission before shape: a coordinator asking for a licensor admin is refused
    # whatever partner they named.
    if role == Role.LICENSOR_ADMIN:
        if not access_for(by).is_licensor:
            raise NotPermitted("Only licensor admins may invite licensor admins.")
        if partner is not None:
            raise Invalid("A licensor admin belongs to no partner; leave partner empty.", field="partner")
    else:
        if role not in Role.values:
            raise Invalid(f"{role!r} is not a role.", field="role")
        if partner is None:
            raise Invalid("Choose the partner the person is invited to.", field="partner")
        require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators may invite people.")
    email = normalise_email(email or "")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid("Enter a valid email address.", field="email") from exc
    if Membership.objects.filter(user__email__iexact=email, partner=partner, role=role).exists():
        raise Invalid(f"{email} already holds this role.", field="email", code="already_member")
    check_separation_of_duties(email=email, role=role)
    return email


def check_separation_of_duties(*, email, role):
    """Raise RuleNotMet if the account of `email` taking `role` would hold both the licensor's and a partner's side.

    The licensor oversees partners and reads their incidents only once escalated;
    a licensor admin who also held a partner role would read them under that role.
    So a licensor admin holds no partner role, and a partner member is not made a
    licensor admin while they hold one.
    """
    memberships = Membership.objects.filter(user__email__iexact=email)
    if role == Role.LICENSOR_ADMIN:
        if memberships.filter(partner__isnull=False).exists():
            raise RuleNotMet(
                [
                    Unmet(
                        "partner_member_cannot_be_licensor",
                        f"{email} holds a role in a partner; a licensor admin may hold none, "
                        "so the partner roles must be removed first.",
                    )
                ],
                message="Separation of duties: a partner's member may not be made a licensor admin.",
            )
    elif memberships.filter(role=Role.LICENSOR_ADMIN).exists():
        raise RuleNotMet(
            [
                Unmet(
                    "licensor_cannot_hold_partner_role",
                    f"{email} is a licensor admin, and a licensor admin may not hold a role in a partner.",
                )
            ],
            message="Separation of duties: a licensor admin may not hold a partner role.",
        )


def _invited_person(*, partner, person, email):
    """The address an invitation sent for `person` goes to: the one on their page, which the login is made with.

    The person must be of the partner invited to and have no login yet. Raises Invalid otherwise.
    """
    if person.partner_id != partner.pk:
        raise Invalid("This person does not belong to the partner invited to.", field="person")
    if person.user_id is not None:
        raise Invalid(f"{person.name} already has a login.", field="person", code="person_has_login")
    if not person.email:
        raise Invalid(f"Record an email address for {person.name} first.", field="person", code="person_has_no_email")
    if email and normalise_email(email) != normalise_email(person.email):
        raise Invalid(
            f"An invitation for {person.name} goes to the address on their page, {person.email}.", field="email"
        )
    return person.email


@transaction.atomic
def invite(*, by, partner, email, role, person=None):
    """Invite `email` to take `role` in `partner` (None with the licensor admin role).

    With `person` (a Person of `partner` without a login), the invitation is sent for them: to the address on
    their page, and accepting it gives that person the login, even where others share the address.
    Returns (invitation, token); only a hash of the token is stored, so the
    emailed link is the only copy.
    """
    if person is not None and role == Role.LICENSOR_ADMIN:
        raise Invalid("A licensor admin is no partner's person; leave person empty.", field="person")
    if person is not None and partner is not None:
        # Permission before shape, as in check_invitation: the person's details are the partner's business.
        require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators may invite people.")
        email = _invited_person(partner=partner, person=person, email=email)
    email = check_invitation(by=by, partner=partner, email=email, role=role)
    # A new invitation replaces a pending one for the same role, so only the latest link works.
    Invitation.objects.filter(email=email, partner=partner, role=role, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        partner=partner,
        email=email,
        role=role,
        person=person,
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


def _usable_invitation(token, now):
    invitation = Invitation.objects.select_related("partner").filter(token_hash=_hash_token(token or "")).first()
    if invitation is None:
        raise Invalid("This invitation link is not valid.", field="token", code="invitation_invalid")
    if invitation.accepted_at is not None:
        raise Invalid("This invitation has already been used.", field="token", code="invitation_used")
    if invitation.expires_at <= now:
        raise Invalid("This invitation has expired; ask for a new one.", field="token", code="invitation_expired")
    return invitation


def pending_invitation(token):
    """The invitation behind `token` while it can still be accepted; Invalid naming why not otherwise."""
    return _usable_invitation(token, timezone.now())


def accept_invitation(*, token, name, password):
    """Turn a valid invitation into a membership, creating the user when new.

    Single use even under concurrent accepts: the invitation is claimed by a
    conditional UPDATE before anything else is written, and only the caller
    that changed the row goes on; the others wait for its transaction and then
    find the invitation used. A refusal later on (weak or wrong password) rolls
    the claim back with everything else. An existing user must give their
    current password, and may not take a role that separation of duties forbids
    (checked with their user row locked, so two accepts cannot each pass it).
    """
    now = timezone.now()
    with transaction.atomic():
        invitation = _usable_invitation(token, now)
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now).update(
            accepted_at=now
        )
        if claimed != 1:
            raise Invalid("This invitation has already been used.", field="token", code="invitation_used")

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
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError as exc:
                # Another invitation for the same email was accepted a moment ago.
                raise Invalid(
                    "An account with this email has just been created; enter its password.",
                    field="password",
                    code="password_mismatch",
                ) from exc
        elif not user.is_active:
            raise Invalid("The account with this email is disabled.", field="token", code="account_disabled")
        elif not user.check_password(password or ""):
            raise Invalid(
                "An account with this email exists; enter its current password.",
                field="password",
                code="password_mismatch",
            )
        else:
            list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
            check_separation_of_duties(email=user.email, role=invitation.role)

        Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
        Membership.objects.get_or_create(user=user, partner=invitation.partner, role=invitation.role)
        if invitation.partner is not None:
            # The invitation may have been sent for a person: their profile gets this login.
            from supervision.people.services import link_invited_login

            link_invited_login(partner=invitation.partner, user=user, person_id=invitation.person_id)
        forget_access(user)
    return user


@transaction.atomic
def remove_membership(*, by, membership):
    """Remove a role. Coordinators manage their own partner; the last licensor admin stays."""
    if membership.role == Role.LICENSOR_ADMIN:
        if not access_for(by).is_licensor:
            raise NotPermitted("Only licensor admins may remove a licensor admin.")
        # Lock every licensor membership, the one going included and in one order, so two
        # admins removing each other at once queue up instead of both seeing the other
        # remain (count() would silently drop the FOR UPDATE).
        licensor_ids = Membership.objects.select_for_update().filter(role=Role.LICENSOR_ADMIN).order_by("pk")
        if not [pk for pk in licensor_ids.values_list("pk", flat=True) if pk != membership.pk]:
            raise Invalid(
                "This is the last licensor admin; invite another before removing it.", code="last_licensor_admin"
            )
    else:
        require_role(
            by, membership.partner_id, (COORDINATOR,), message="Only the partner's coordinators may remove roles."
        )
    membership.delete()


def _require_free_slug(slug, partner=None):
    if rules.slug_is_reserved(slug):
        raise Invalid(
            f"The slug {slug!r} is one of Tandem's own addresses; choose another.", field="slug", code="slug_reserved"
        )
    if Partner.objects.filter(slug=slug).exclude(pk=getattr(partner, "pk", None)).exists():
        raise Invalid(f"The slug {slug!r} is taken by another partner.", field="slug", code="slug_taken")


@transaction.atomic
def create_partner(*, by, name, slug, status=Partner.Status.ONBOARDING, time_zone="Europe/London"):
    if not access_for(by).is_licensor:
        raise NotPermitted("Only the licensing organisation may add partners.")
    _require_free_slug(slug)
    return Partner.objects.create(name=name, slug=slug, status=status, time_zone=time_zone)


@transaction.atomic
def update_partner(*, by, partner, **changes):
    if not access_for(by).is_licensor:
        raise NotPermitted("Only the licensing organisation may change partners.")
    slug = changes.get("slug")
    if slug:
        _require_free_slug(slug, partner)
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


@transaction.atomic
def make_licensor_admin(*, email, password=None, name=""):
    """Give `email` the licensor admin role, creating the user when new.

    Used to bootstrap a deployment (no licensor admin exists yet to invite one).
    An existing user keeps their password and name, and may hold no partner role
    (separation of duties). The role gives no Django admin access: that is for
    operators (superusers). Returns (user, user_created, role_added).
    """
    email = normalise_email(email or "")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid(f"{email!r} is not an email address.", field="email") from exc
    user = User.objects.filter(email__iexact=email).first()
    user_created = user is None
    if user_created:
        user = User(email=email, name=(name or "").strip())
        try:
            password_validation.validate_password(password or "", user)
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages), field="password", code="password_weak") from exc
        user.set_password(password)
        user.save()
    else:
        if not user.is_active:
            raise Invalid(f"The account {email} is disabled; enable it first.", field="email", code="account_disabled")
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        check_separation_of_duties(email=user.email, role=Role.LICENSOR_ADMIN)
        if name and not user.name:
            user.name = name.strip()
            user.save(update_fields=["name"])
    _, role_added = Membership.objects.get_or_create(user=user, partner=None, role=Role.LICENSOR_ADMIN)
    forget_access(user)
    return user, user_created, role_added


def send_password_reset(user):
    """Email `user` a single-use link to choose a new password; False when the account cannot reset.

    How operators help someone locked out: they never set a password themselves
    (who sets one can sign in as its owner). A disabled account, or one without a
    usable password, gets no link.
    """
    form = PasswordResetForm({"email": user.email})
    if not form.is_valid() or not any(True for _ in form.get_users(user.email)):
        return False
    site = urlsplit(settings.TANDEM_SITE_URL)
    form.save(
        domain_override=site.netloc,
        use_https=site.scheme == "https",
        from_email=settings.DEFAULT_FROM_EMAIL,
        subject_template_name="franchise/email/password_reset_subject.txt",
        email_template_name="franchise/email/password_reset.txt",
        extra_email_context={"site_url": settings.TANDEM_SITE_URL},
    )
    return True
