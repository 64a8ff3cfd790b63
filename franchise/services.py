"""Franchise use cases that write: invitations and memberships (tenancy core); programmes, licences,
the policy and its boundary rules, and acknowledgements."""

import hashlib
import logging
import secrets
from collections import defaultdict
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted, RuleNotMet, Unmet
from core.tenancy import COORDINATOR, access_for, forget_access, require_role
from franchise import policy, policy_fields
from franchise.models import (
    BaselinePolicy,
    BoundaryRule,
    Criterion,
    Invitation,
    Licence,
    LicenceEvent,
    Membership,
    Partner,
    PolicyAcknowledgement,
    PolicyOverride,
    PolicyVersion,
    Programme,
    Role,
    Unit,
    User,
    normalise_email,
)

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


@transaction.atomic
def invite(*, by, partner, email, role):
    """Invite `email` to take `role` in `partner` (None with the licensor admin role).

    Returns (invitation, token); only a hash of the token is stored, so the
    emailed link is the only copy.
    """
    email = check_invitation(by=by, partner=partner, email=email, role=role)
    # A new invitation replaces a pending one for the same role, so only the latest link works.
    Invitation.objects.filter(email=email, partner=partner, role=role, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        partner=partner,
        email=email,
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


# --- programmes -----------------------------------------------------------------------


def _require_licensor(by, message="Only the licensing organisation may do this."):
    if not access_for(by).is_licensor:
        raise NotPermitted(message)


@transaction.atomic
def create_programme(*, by, name, code, level="", awarding_body="", version="1", units=()):
    """A programme with its units and criteria, written in one go."""
    _require_licensor(by, "Only the licensing organisation may add programmes.")
    if Programme.objects.filter(code=code).exists():
        raise Invalid(f"The code {code!r} is taken by another programme.", field="code", code="code_taken")
    programme = Programme.objects.create(
        name=name, code=code, level=level, awarding_body=awarding_body, version=version
    )
    _save_units(programme, units)
    return programme


@transaction.atomic
def update_programme(*, by, programme, units=None, **changes):
    _require_licensor(by, "Only the licensing organisation may change programmes.")
    code = changes.get("code")
    if code and Programme.objects.filter(code=code).exclude(pk=programme.pk).exists():
        raise Invalid(f"The code {code!r} is taken by another programme.", field="code", code="code_taken")
    for name, value in changes.items():
        setattr(programme, name, value)
    programme.save()
    if units is not None:
        _save_units(programme, units)
    return programme


def _duplicate_codes(items):
    seen, duplicates = set(), set()
    for item in items:
        (duplicates if item["code"] in seen else seen).add(item["code"])
    return sorted(duplicates)


def _save_units(programme, units):
    """Units and criteria are matched by code: the ones given are added or updated, in the order given.

    Ones left out are kept, because training records (assessments) may point at them.
    """
    duplicates = _duplicate_codes(units)
    if duplicates:
        raise Invalid(f"Unit codes appear twice: {', '.join(duplicates)}.", field="units", code="duplicate_code")
    existing = {unit.code: unit for unit in programme.units.prefetch_related("criteria")}
    for position, data in enumerate(units, start=1):
        criteria = data.get("criteria", [])
        duplicates = _duplicate_codes(criteria)
        if duplicates:
            raise Invalid(
                f"Criterion codes appear twice in unit {data['code']}: {', '.join(duplicates)}.",
                field="units",
                code="duplicate_code",
            )
        unit = existing.get(data["code"])
        if unit is None:
            unit = Unit.objects.create(programme=programme, code=data["code"], title=data["title"], position=position)
            current = {}
        else:
            unit.title = data.get("title", unit.title)
            unit.position = position
            unit.save()
            current = {criterion.code: criterion for criterion in unit.criteria.all()}
        new, changed = [], []
        for order, item in enumerate(criteria, start=1):
            criterion = current.get(item["code"])
            if criterion is None:
                new.append(
                    Criterion(unit=unit, code=item["code"], kind=item["kind"], text=item["text"], position=order)
                )
            else:
                criterion.kind, criterion.text, criterion.position = item["kind"], item["text"], order
                changed.append(criterion)
        # Criteria left out keep their place after the ones given.
        given = {item["code"] for item in criteria}
        for order, criterion in enumerate(
            (c for c in current.values() if c.code not in given), start=len(criteria) + 1
        ):
            criterion.position = order
            changed.append(criterion)
        Criterion.objects.bulk_create(new)
        Criterion.objects.bulk_update(changed, ["kind", "text", "position"])
    given_units = {data["code"] for data in units}
    kept = [unit for unit in existing.values() if unit.code not in given_units]
    for position, unit in enumerate(sorted(kept, key=lambda u: u.position), start=len(units) + 1):
        unit.position = position
    Unit.objects.bulk_update(kept, ["position"])


# --- licences -------------------------------------------------------------------------


def has_active_licence(partner, programme, on_date, until=None):
    """Does `partner` hold an active licence for `programme` on `on_date` (through `until`, when given)?

    With `until`, one licence must cover the whole span (a course's dates).
    """
    return Licence.objects.filter(partner=partner, programme=programme).in_force_on(on_date, until).exists()


def active_licence_for(partner, programme, on_date):
    """The active licence of `partner` for `programme` covering `on_date`, or None."""
    return Licence.objects.filter(partner=partner, programme=programme).in_force_on(on_date).first()


def partner_has_active_licence(partner, on_date=None):
    """Does `partner` hold an active licence for any programme on `on_date` (today when None)?"""
    return Licence.objects.filter(partner=partner).in_force_on(on_date or timezone.localdate()).exists()


def _lock_partner(partner_id):
    """Serialise the writers of one partner's licences and policy versions.

    Licence overlap and version numbers are read-then-write checks; holding the
    partner row's lock makes the second writer wait and then see the first one's row.
    """
    list(Partner.objects.select_for_update().filter(pk=partner_id).values_list("pk", flat=True))


def _check_dates(starts_on, ends_on):
    if ends_on < starts_on:
        raise Invalid(
            f"The licence cannot end ({ends_on.isoformat()}) before it starts ({starts_on.isoformat()}).",
            field="ends_on",
            code="dates_inverted",
        )


def _check_reference(reference, exclude=None):
    clash = Licence.objects.filter(reference=reference)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise Invalid(
            f"The reference {reference!r} is taken by another licence.", field="reference", code="reference_taken"
        )


def licence_clash(licence):
    """Another active licence of the same partner and programme whose dates overlap `licence`'s, or None."""
    return (
        Licence.objects.filter(partner_id=licence.partner_id, programme_id=licence.programme_id)
        .filter(status=Licence.Status.ACTIVE)
        .overlapping(licence.starts_on, licence.ends_on)
        .exclude(pk=licence.pk)
        .first()
    )


def _check_no_overlap(licence):
    clash = licence_clash(licence)
    if clash is not None:
        raise Invalid(
            f"Licence {clash.reference} is already active for this partner and programme from "
            f"{clash.starts_on.isoformat()} to {clash.ends_on.isoformat()}, which overlaps "
            f"{licence.starts_on.isoformat()} to {licence.ends_on.isoformat()}.",
            code="licence_overlap",
        )


@transaction.atomic
def create_licence(*, by, partner, programme, reference, starts_on, ends_on, territory=""):
    """A draft licence; it takes effect when activated."""
    _require_licensor(by, "Only the licensing organisation may issue licences.")
    _check_dates(starts_on, ends_on)
    _check_reference(reference)
    return Licence.objects.create(
        partner=partner,
        programme=programme,
        reference=reference,
        starts_on=starts_on,
        ends_on=ends_on,
        territory=territory,
        status=Licence.Status.DRAFT,
    )


LICENCE_EDITABLE = ("reference", "starts_on", "ends_on", "territory")


@transaction.atomic
def update_licence(*, by, licence, **changes):
    _require_licensor(by, "Only the licensing organisation may change licences.")
    for name in ("partner", "programme"):
        if name in changes and getattr(changes[name], "pk", changes[name]) != getattr(licence, f"{name}_id"):
            raise Invalid(f"A licence's {name} cannot change; issue a new licence instead.", field=name)
        changes.pop(name, None)
    unknown = set(changes) - set(LICENCE_EDITABLE)
    if unknown:
        raise Invalid(f"{', '.join(sorted(unknown))} cannot be changed here.", code="not_editable")
    _lock_partner(licence.partner_id)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if licence.status in (Licence.Status.EXPIRED, Licence.Status.TERMINATED):
        raise Invalid(
            f"An {licence.status} licence is kept as a record and cannot change; issue a new licence instead.",
            code="licence_closed",
        )
    for name, value in changes.items():
        setattr(licence, name, value)
    _check_dates(licence.starts_on, licence.ends_on)
    if "reference" in changes:
        _check_reference(licence.reference, exclude=licence)
    if licence.status == Licence.Status.ACTIVE:
        _check_no_overlap(licence)
    licence.save()
    return licence


@transaction.atomic
def transition_licence(*, by, licence, action, note=""):
    """Apply one of the licensor's actions (Licence.ACTIONS): draft → active → suspended ⇄ active → terminated.

    An action the licence's status does not allow raises IllegalTransition
    naming the actions it does allow. Becoming active checks, under the
    partner's lock, that the licence's dates have not passed and that no other
    active licence for the same programme overlaps them.
    """
    _require_licensor(by, "Only the licensing organisation may change a licence's status.")
    _lock_partner(licence.partner_id)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    to, sources = Licence.ACTIONS[action]
    if licence.status not in sources:
        allowed = Licence.actions_from(licence.status)
        refusal = IllegalTransition(licence.status, to, allowed)
        refusal.message = f"A {licence.status} licence cannot {action}; allowed: {', '.join(allowed) or 'none'}."
        raise refusal
    if to == Licence.Status.ACTIVE:
        if licence.ends_on < timezone.localdate():
            raise Invalid(
                f"The licence ended on {licence.ends_on.isoformat()}; extend its dates or issue a new licence.",
                field="ends_on",
                code="licence_ended",
            )
        _check_no_overlap(licence)
    previous = licence.status
    licence.status = to
    licence.status_changed_at = timezone.now()
    licence.save(update_fields=["status", "status_changed_at", "updated_at"])
    LicenceEvent.objects.create(
        partner_id=licence.partner_id, licence=licence, from_status=previous, to_status=to, by=by, note=note
    )
    if to == Licence.Status.ACTIVE:
        # A licensed partner works under a numbered policy its people can acknowledge.
        ensure_policy_version(licence.partner, by=by)
    return licence


def activate_licence(*, by, licence, note=""):
    return transition_licence(by=by, licence=licence, action="activate", note=note)


def suspend_licence(*, by, licence, note=""):
    return transition_licence(by=by, licence=licence, action="suspend", note=note)


def reinstate_licence(*, by, licence, note=""):
    return transition_licence(by=by, licence=licence, action="reinstate", note=note)


def terminate_licence(*, by, licence, note=""):
    return transition_licence(by=by, licence=licence, action="terminate", note=note)


def expire_licences(*, today=None, batch_size=500):
    """Expire active licences whose last day is before `today`; returns how many this call expired.

    Safe to run twice or alongside a licensor's action: rows are claimed by a
    conditional UPDATE (still active, still past their end), and the run's own
    timestamp tells which rows this run changed, so each expiry is recorded once.
    """
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Licence.objects.past_end(today)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            stamp = timezone.now()
            Licence.objects.filter(pk__in=ids).past_end(today).update(
                status=Licence.Status.EXPIRED, status_changed_at=stamp, updated_at=stamp
            )
            claimed = list(
                Licence.objects.filter(pk__in=ids, status=Licence.Status.EXPIRED, status_changed_at=stamp).values_list(
                    "pk", "partner_id", "ends_on"
                )
            )
            LicenceEvent.objects.bulk_create(
                LicenceEvent(
                    partner_id=partner_id,
                    licence_id=pk,
                    from_status=Licence.Status.ACTIVE,
                    to_status=Licence.Status.EXPIRED,
                    at=stamp,
                    note=f"Expired: the licence ended on {ends_on.isoformat()}.",
                )
                for pk, partner_id, ends_on in claimed
            )
            total += len(claimed)
            if len(ids) < batch_size:
                return total


# --- policy ---------------------------------------------------------------------------


def _flat_policy_names(changes):
    unknown = [name for name in changes if name not in policy_fields.BY_NAME]
    if unknown:
        raise Invalid(
            f"{', '.join(sorted(unknown))} is not a policy field.", field=sorted(unknown)[0], code="unknown_field"
        )


def _labels(names):
    return ", ".join(policy_fields.BY_NAME[name].label for name in sorted(names))


def _next_number(partner_id):
    top = PolicyVersion.objects.filter(partner_id=partner_id).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def write_policy_version(*, partner, by, reason, fallbacks=()):
    """Freeze the partner's effective policy as it now stands into a new, numbered PolicyVersion."""
    with transaction.atomic():
        _lock_partner(partner.pk)
        values, overridden, rules = policy.live_snapshot(partner)
        return PolicyVersion.objects.create(
            partner=partner,
            number=_next_number(partner.pk),
            changed_by=by,
            reason=reason[:300],
            values=values,
            overridden=overridden,
            boundary_rules=rules,
            fallbacks=list(fallbacks),
        )


def ensure_policy_version(partner, *, by=None):
    """The version in force for `partner`, writing the first one if the partner has none yet."""
    version = PolicyVersion.objects.in_force(partner)
    if version is None:
        version = write_policy_version(partner=partner, by=by, reason="First version of the policy.")
    return version


def _write_versions_for_every_partner(*, by, reason, fallbacks_by_partner=None):
    """One new version per partner after a change of the baseline (values or rules); a fixed number of queries."""
    fallbacks_by_partner = fallbacks_by_partner or {}
    partners = list(Partner.objects.select_for_update().order_by("pk"))
    baseline = BaselinePolicy.load()
    overrides = {override.partner_id: override for override in PolicyOverride.objects.all()}
    rules_by_partner = defaultdict(list)
    baseline_rules = []
    for rule in BoundaryRule.objects.current():
        (baseline_rules if rule.partner_id is None else rules_by_partner[rule.partner_id]).append(rule)
    numbers = dict(PolicyVersion.objects.values("partner").annotate(top=Max("number")).values_list("partner", "top"))
    now = timezone.now()
    versions = []
    for partner in partners:
        values, overridden, rules = policy.live_snapshot(
            partner,
            baseline=baseline,
            override=overrides.get(partner.pk),
            rules=baseline_rules + rules_by_partner[partner.pk],
        )
        fallbacks = fallbacks_by_partner.get(partner.pk, [])
        partner_reason = reason
        if fallbacks:
            partner_reason += f"; the partner's own {_labels(f['field'] for f in fallbacks)} fell back to the baseline"
        versions.append(
            PolicyVersion(
                partner=partner,
                number=(numbers.get(partner.pk) or 0) + 1,
                effective_from=now,
                changed_by=by,
                reason=partner_reason[:300],
                values=values,
                overridden=overridden,
                boundary_rules=rules,
                fallbacks=fallbacks,
            )
        )
    PolicyVersion.objects.bulk_create(versions)
    return versions


@transaction.atomic
def update_baseline(*, by, changes):
    """Change the licensor's baseline; every partner gets a new version.

    A partner's override that the new baseline makes looser is dropped (the
    partner falls back to the baseline), and the drop is recorded in that
    partner's new version (`fallbacks`, `reason`).
    """
    _require_licensor(by, "Only licensor admins may change the baseline policy.")
    _flat_policy_names(changes)
    cleaned = policy.clean_values(changes)
    BaselinePolicy.load()
    baseline = BaselinePolicy.objects.select_for_update().get(pk=1)
    before = baseline.values()
    after = {**before, **cleaned}
    policy.check_group_sizes(after)
    changed = sorted(name for name in cleaned if before[name] != after[name])
    if not changed:
        return baseline
    for name in changed:
        setattr(baseline, name, after[name])
    baseline.updated_by = by
    baseline.save()

    fallbacks_by_partner, dropped_overrides = {}, []
    for override in PolicyOverride.objects.select_for_update():
        dropped = policy.fallbacks_for(override.values(), after)
        if dropped:
            for item in dropped:
                setattr(override, item["field"], None)
            fallbacks_by_partner[override.partner_id] = dropped
            dropped_overrides.append(override)
    PolicyOverride.objects.bulk_update(dropped_overrides, [field.name for field in policy_fields.OVERRIDABLE])
    if fallbacks_by_partner:
        logger.info("Baseline change: %d partners fell back to the baseline", len(fallbacks_by_partner))
    _write_versions_for_every_partner(
        by=by, reason=f"Baseline changed: {_labels(changed)}", fallbacks_by_partner=fallbacks_by_partner
    )
    return baseline


@transaction.atomic
def update_policy_overrides(*, by, partner, changes):
    """Set (or, with None, clear) a partner's own policy values; returns the new version, or None if nothing changed.

    A value looser than the baseline is refused (ValidationError naming every
    such field and the baseline value); licensor-only fields cannot be set.
    """
    require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators may change its policy.")
    _flat_policy_names(changes)
    cleaned = policy.clean_values(changes, allow_none=True)
    baseline_values = BaselinePolicy.load().values()
    errors = policy.looser_fields(cleaned, baseline_values)
    if errors:
        raise ValidationError(errors)
    _lock_partner(partner.pk)
    override, _ = PolicyOverride.objects.get_or_create(partner=partner)
    before = override.values()
    for name, value in cleaned.items():
        setattr(override, name, value)
    after = override.values()
    policy.check_group_sizes({**baseline_values, **after})
    if after == before:
        return None
    override.updated_by = by
    override.save()
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    return write_policy_version(partner=partner, by=by, reason=f"Partner's own policy changed: {_labels(changed)}")


# --- boundary rules -------------------------------------------------------------------


def _require_rule_writer(by, partner, verb):
    if partner is None:
        if not access_for(by).is_licensor:
            raise NotPermitted(
                f"Baseline rules bind every partner; only the licensing organisation may {verb} them.",
                code="baseline_rule",
            )
    else:
        require_role(by, partner, (COORDINATOR,), message=f"Only the partner's coordinators may {verb} its rules.")


def check_rule_code(partner, code, exclude=None):
    """Refuse a code already used by a rule in force for the same partner, or by a baseline rule."""
    clash = BoundaryRule.objects.current().filter(code=code)
    clash = (
        clash.filter(partner__isnull=True)
        if partner is None
        else clash.filter(Q(partner=partner) | Q(partner__isnull=True))
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise Invalid(f"The code {code!r} is taken by a rule in force.", field="code", code="code_taken")


def _rules_changed(*, by, partner, reason):
    if partner is None:
        _write_versions_for_every_partner(by=by, reason=reason)
    else:
        write_policy_version(partner=partner, by=by, reason=reason)


@transaction.atomic
def create_boundary_rule(*, by, partner, code, title, description, category, mandatory=True):
    """A partner's own rule, or (partner None) a baseline rule every partner works under."""
    _require_rule_writer(by, partner, "add")
    if partner is None and not mandatory:
        raise Invalid("Baseline rules are mandatory for every partner.", field="mandatory")
    check_rule_code(partner, code)
    rule = BoundaryRule.objects.create(
        partner=partner, code=code, title=title, description=description, category=category, mandatory=mandatory
    )
    _rules_changed(by=by, partner=partner, reason=f"Boundary rule {code} added")
    return rule


BOUNDARY_RULE_EDITABLE = ("code", "title", "description", "category", "mandatory")


@transaction.atomic
def update_boundary_rule(*, by, rule, **changes):
    if "partner" in changes:
        if getattr(changes.pop("partner"), "pk", None) != rule.partner_id:
            raise Invalid("A rule's partner cannot change; add a new rule instead.", field="partner")
    _require_rule_writer(by, rule.partner, "change")
    unknown = set(changes) - set(BOUNDARY_RULE_EDITABLE)
    if unknown:
        raise Invalid(f"{', '.join(sorted(unknown))} cannot be changed here.", code="not_editable")
    rule = BoundaryRule.objects.select_for_update().get(pk=rule.pk)
    if rule.retired_at is not None:
        raise Invalid("A retired rule is kept as a record and cannot change.", code="rule_retired")
    if rule.is_baseline and changes.get("mandatory") is False:
        raise Invalid("Baseline rules are mandatory for every partner.", field="mandatory")
    changed = [name for name, value in changes.items() if getattr(rule, name) != value]
    if not changed:
        return rule
    if "code" in changed:
        check_rule_code(rule.partner, changes["code"], exclude=rule)
    for name in changed:
        setattr(rule, name, changes[name])
    rule.save()
    _rules_changed(by=by, partner=rule.partner, reason=f"Boundary rule {rule.code} changed")
    return rule


@transaction.atomic
def retire_boundary_rule(*, by, rule):
    """Take a rule out of force. It is kept, because incidents may have been recorded under it."""
    _require_rule_writer(by, rule.partner, "remove")
    retired = BoundaryRule.objects.filter(pk=rule.pk, retired_at__isnull=True).update(retired_at=timezone.now())
    if retired:
        _rules_changed(by=by, partner=rule.partner, reason=f"Boundary rule {rule.code} removed")


# --- acknowledgements -----------------------------------------------------------------


def person_for_user(partner, user):
    """The user's Person in `partner`, created from the user's name and email when there is none."""
    person_model = apps.get_model("supervision", "Person")
    person = person_model.objects.filter(partner=partner, user=user).first()
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
