"""Franchise use cases for licence fees: the instalments a licence's fee schedule raises, recording payments
and waivers, and the daily move of unpaid instalments to overdue. Tandem records; it charges nothing."""

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from core.errors import Invalid
from franchise.models import Licence, LicenceFee
from franchise.services._common import _require_licensor


def instalments(licence):
    """(kind, due_on, amount) of every instalment the licence's schedule asks for: the one-off fee on the first
    day, the annual fee on the first day of each year of the term that starts before it ends."""
    due = []
    if licence.one_off_fee > 0:
        due.append((LicenceFee.Kind.ONE_OFF, licence.starts_on, licence.one_off_fee))
    if licence.annual_fee > 0:
        year = 0
        while (on := licence.starts_on + relativedelta(years=year)) <= licence.ends_on:
            due.append((LicenceFee.Kind.ANNUAL, on, licence.annual_fee))
            year += 1
    return due


def _reference(licence, kind, year):
    suffix = "F" if kind == LicenceFee.Kind.ONE_OFF else f"Y{year}"
    return f"{licence.reference}-{suffix}"


def raise_fees(licence):
    """Write the licence's fee records, once: an instalment already raised is left as it is (paid, waived…).
    Called when the licence is put in force; returns the records raised now."""
    existing = set(LicenceFee.objects.filter(licence=licence).values_list("kind", "due_on"))
    today = timezone.localdate()
    raised = []
    year = 0
    for kind, due_on, amount in instalments(licence):
        if kind == LicenceFee.Kind.ANNUAL:
            year += 1
        if (kind, due_on) in existing:
            continue
        raised.append(
            LicenceFee(
                partner_id=licence.partner_id,
                licence=licence,
                kind=kind,
                reference=_reference(licence, kind, year),
                amount=amount,
                currency=licence.currency,
                due_on=due_on,
                status=LicenceFee.Status.OVERDUE if due_on < today else LicenceFee.Status.DUE,
            )
        )
    LicenceFee.objects.bulk_create(raised)
    return raised


def _locked_fee(fee):
    return LicenceFee.objects.select_for_update().get(pk=fee.pk)


@transaction.atomic
def pay_fee(*, by, fee, paid_on, note=""):
    """The licensor records that an instalment was paid (in full) on `paid_on`."""
    _require_licensor(by, "Only the licensing organisation records payments.")
    fee = _locked_fee(fee)
    if fee.status not in LicenceFee.OUTSTANDING:
        raise Invalid(f"This fee is already {fee.status}.", code=f"fee_{fee.status}")
    if paid_on > timezone.localdate():
        raise Invalid("A payment is recorded once it has been received: the date is in the future.", field="paid_on")
    fee.status, fee.paid_on, fee.recorded_by = LicenceFee.Status.PAID, paid_on, by
    if note:
        fee.note = note.strip()
    fee.save(update_fields=["status", "paid_on", "recorded_by", "note", "updated_at"])
    return fee


@transaction.atomic
def waive_fee(*, by, fee, note):
    """The licensor lets an instalment go, saying why."""
    _require_licensor(by, "Only the licensing organisation waives fees.")
    if not (note or "").strip():
        raise Invalid("Say why the fee is waived.", field="note")
    fee = _locked_fee(fee)
    if fee.status not in LicenceFee.OUTSTANDING:
        raise Invalid(f"This fee is already {fee.status}.", code=f"fee_{fee.status}")
    fee.status, fee.recorded_by, fee.note = LicenceFee.Status.WAIVED, by, note.strip()
    fee.save(update_fields=["status", "recorded_by", "note", "updated_at"])
    return fee


def mark_overdue_fees(*, today=None):
    """Due instalments past their date become overdue; returns how many. One conditional UPDATE: safe twice."""
    stamp = timezone.now()
    return LicenceFee.objects.past_due(today).update(status=LicenceFee.Status.OVERDUE, updated_at=stamp)


def fee_schedule_locked(licence):
    """Once fee records are raised the schedule stays as agreed: a change would contradict what is owed."""
    return licence.status != Licence.Status.DRAFT and LicenceFee.objects.filter(licence=licence).exists()
