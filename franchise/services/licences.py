"""Franchise use cases for licences: issuing and changing them, their lifecycle and expiry."""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import IllegalTransition, Invalid
from franchise.models import Licence, LicenceEvent
from franchise.services._common import _lock_partner, _require_licensor
from franchise.services.fees import fee_schedule_locked, raise_fees
from franchise.services.policy import ensure_policy_version


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
def create_licence(
    *,
    by,
    partner,
    programme,
    reference,
    starts_on,
    ends_on,
    territory="",
    one_off_fee=Decimal("0"),
    annual_fee=Decimal("0"),
    currency=None,
    renews=None,
):
    """A draft licence; it takes effect when activated, and its fee records are raised then."""
    _require_licensor(by, "Only the licensing organisation may issue licences.")
    _check_dates(starts_on, ends_on)
    _check_reference(reference)
    _check_fees(one_off_fee, annual_fee)
    return Licence.objects.create(
        partner=partner,
        programme=programme,
        reference=reference,
        starts_on=starts_on,
        ends_on=ends_on,
        territory=territory,
        status=Licence.Status.DRAFT,
        one_off_fee=one_off_fee,
        annual_fee=annual_fee,
        currency=(currency or settings.TANDEM_CURRENCY).upper(),
        renews=renews,
    )


def _check_fees(one_off_fee, annual_fee):
    for name, amount in (("one_off_fee", one_off_fee), ("annual_fee", annual_fee)):
        if amount < 0:
            raise Invalid("A fee is zero or more.", field=name, code="fee_negative")


LICENCE_EDITABLE = ("reference", "starts_on", "ends_on", "territory", "one_off_fee", "annual_fee", "currency")
FEE_SCHEDULE = ("one_off_fee", "annual_fee", "currency")


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
    schedule = {name for name in FEE_SCHEDULE if name in changes and changes[name] != getattr(licence, name)}
    if schedule and fee_schedule_locked(licence):
        raise Invalid(
            "The fee schedule of a licence in force stays as agreed: its fee records are raised. Waive a fee, "
            "or agree the new amounts in the next term.",
            field=sorted(schedule)[0],
            code="fee_schedule_locked",
        )
    for name, value in changes.items():
        setattr(licence, name, value)
    licence.currency = licence.currency.upper()
    _check_dates(licence.starts_on, licence.ends_on)
    _check_fees(licence.one_off_fee, licence.annual_fee)
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
        raise_fees(licence)
    return licence


RENEWABLE = (Licence.Status.ACTIVE, Licence.Status.SUSPENDED)


def renewal_refusal(licence):
    """Why the licence cannot be renewed now (an Invalid to raise), or None when it can."""
    if licence.status not in RENEWABLE:
        return Invalid(f"A {licence.status} licence is not renewed; issue a new licence.", code="not_renewable")
    if Licence.objects.filter(renews=licence).exists():
        return Invalid("This licence's next term is drafted already.", code="renewal_drafted")
    return None


@transaction.atomic
def renew_licence(*, by, licence, reference=None):
    """Draft the next term of an active (or suspended) licence: same partner, programme, territory and annual
    fee, as long as this one, from the day after it ends (a one-off fee is not charged again). It is put in force
    like any licence (activate)."""
    _require_licensor(by, "Only the licensing organisation renews licences.")
    _lock_partner(licence.partner_id)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    refusal = renewal_refusal(licence)
    if refusal is not None:
        raise refusal
    starts_on = licence.ends_on + timedelta(days=1)
    term = relativedelta(licence.ends_on + timedelta(days=1), licence.starts_on)
    ends_on = starts_on + term - timedelta(days=1)
    return create_licence(
        by=by,
        partner=licence.partner,
        programme=licence.programme,
        reference=reference or _next_reference(licence),
        starts_on=starts_on,
        ends_on=ends_on,
        territory=licence.territory,
        one_off_fee=Decimal("0"),
        annual_fee=licence.annual_fee,
        currency=licence.currency,
        renews=licence,
    )


def _next_reference(licence):
    """LIC-7 renews as LIC-7-R1, LIC-7-R1 as LIC-7-R2: the chain stays readable."""
    stem, _, number = licence.reference.rpartition("-R")
    base, following = (stem, int(number) + 1) if stem and number.isdigit() else (licence.reference, 1)
    while Licence.objects.filter(reference=f"{base}-R{following}").exists():
        following += 1
    return f"{base}-R{following}"


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
