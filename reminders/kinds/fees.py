"""Licence fees: to the partner's coordinators and the licensor admins, 30 days before an instalment is due and
again once it is overdue. Tandem records what is owed; these reminders are how nobody is surprised by it."""

from datetime import timedelta

from django.db.models import Value
from django.utils import timezone

from franchise.models import LicenceFee
from reminders.messages import content, days_phrase, site_link
from reminders.models import Kind
from reminders.planner import (
    CATCH_UP,
    KeyText,
    insert,
    planner,
    rows,
    subject_type,
    to_licensor_admins,
    with_coordinators,
)

NOTICE = timedelta(days=30)


def _plan(kind, fees, now):
    columns = dict(
        subject="pk",
        due_at=Value(now),
        key=("pk", "due_on"),
        details={"due_on": KeyText("due_on")},
    )
    return insert(
        kind,
        rows(
            with_coordinators(fees, kind), kind, partner="partner_id", user="coordinator_id", distinct=True, **columns
        ),
        *to_licensor_admins(fees, kind, **columns),
        subject_type=subject_type(LicenceFee),
    )


@planner(Kind.LICENCE_FEE_DUE, daily=True)
def plan_licence_fee_due(now):
    """Instalments still due whose date is within the next 30 days: once per instalment and recipient, keyed by
    its due date (a fee moved to another date is announced again)."""
    today = timezone.localdate(now)
    due = LicenceFee.objects.filter(status=LicenceFee.Status.DUE, due_on__gte=today, due_on__lte=today + NOTICE)
    return _plan(Kind.LICENCE_FEE_DUE, due, now)


@planner(Kind.LICENCE_FEE_OVERDUE, daily=True)
def plan_licence_fee_overdue(now):
    """Instalments unpaid past their date (within the last week: older ones are on the console's list, not
    announced late): once per instalment and recipient."""
    today = timezone.localdate(now)
    overdue = LicenceFee.objects.outstanding().filter(due_on__lt=today, due_on__gte=today - CATCH_UP)
    return _plan(Kind.LICENCE_FEE_OVERDUE, overdue, now)


def _fees(ids):
    return LicenceFee.objects.select_related("partner", "licence").in_bulk(ids)


def _still_owed(reminder, fee):
    # Paid or waived since, or moved to another date: the reminder no longer says anything true.
    return fee.status in LicenceFee.OUTSTANDING and fee.due_on.isoformat() == reminder.details.get("due_on")


def _link(reminder, fee):
    if reminder.partner_id is None:
        return site_link(f"/console/fees/{fee.pk}/")
    return site_link(f"/api/v1/licence-fees/{fee.pk}/")


@content(Kind.LICENCE_FEE_DUE, load=_fees)
def licence_fee_due(reminder, fee, now):
    if not _still_owed(reminder, fee):
        return None
    when = days_phrase((fee.due_on - timezone.localdate(now)).days)
    return {
        "title": f"Licence fee {fee.reference} of {fee.amount} {fee.currency} is due {when}",
        "fee": fee,
        "when": when,
        "link": _link(reminder, fee),
    }


@content(Kind.LICENCE_FEE_OVERDUE, load=_fees)
def licence_fee_overdue(reminder, fee, now):
    if not _still_owed(reminder, fee):
        return None
    return {
        "title": f"Licence fee {fee.reference} of {fee.amount} {fee.currency} is overdue",
        "fee": fee,
        "link": _link(reminder, fee),
    }
