"""Licence fees and renewals, without HTTP: the instalments a fee schedule raises, payments and waivers recorded by
the licensor only, overdue marking, and the next term drafted from an active licence."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from franchise import services
from franchise.models import Licence, LicenceFee
from tests.franchise.factories import LicenceFactory, LicenceFeeFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(partner, licensor):
    today = timezone.localdate()
    return services.create_licence(
        by=licensor,
        partner=partner,
        programme=ProgrammeFactory(),
        reference="LIC-NS-1",
        starts_on=today,
        ends_on=today.replace(year=today.year + 3) - timedelta(days=1),
        one_off_fee=Decimal("500.00"),
        annual_fee=Decimal("1200.50"),
    )


def test_a_licence_in_force_raises_the_one_off_fee_and_one_annual_fee_per_year_once(draft, licensor):
    services.activate_licence(by=licensor, licence=draft)

    fees = list(LicenceFee.objects.filter(licence=draft).order_by("due_on", "kind"))
    today = timezone.localdate()
    assert [(f.kind, f.due_on, f.amount, f.currency, f.status) for f in fees] == [
        ("annual", today, Decimal("1200.50"), "GBP", "due"),
        ("one_off", today, Decimal("500.00"), "GBP", "due"),
        ("annual", today.replace(year=today.year + 1), Decimal("1200.50"), "GBP", "due"),
        ("annual", today.replace(year=today.year + 2), Decimal("1200.50"), "GBP", "due"),
    ]
    assert {f.reference for f in fees} == {"LIC-NS-1-F", "LIC-NS-1-Y1", "LIC-NS-1-Y2", "LIC-NS-1-Y3"}
    services.suspend_licence(by=licensor, licence=draft)
    services.reinstate_licence(by=licensor, licence=draft)
    assert LicenceFee.objects.filter(licence=draft).count() == 4


def test_amounts_are_exact_decimals(draft):
    assert services.instalments(draft)[0][2] == Decimal("500.00")
    assert isinstance(draft.annual_fee, Decimal)


def test_a_licence_without_fees_raises_none(partner, licensor):
    licence = LicenceFactory(partner=partner, draft=True)

    services.activate_licence(by=licensor, licence=licence)

    assert not LicenceFee.objects.exists()


def test_a_negative_fee_is_refused_next_to_its_field(partner, licensor):
    with pytest.raises(Invalid) as refused:
        services.create_licence(
            by=licensor,
            partner=partner,
            programme=ProgrammeFactory(),
            reference="LIC-X",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            annual_fee=Decimal("-1"),
        )
    assert refused.value.field == "annual_fee"
    assert not Licence.objects.filter(reference="LIC-X").exists()


def test_the_fee_schedule_of_a_licence_in_force_stays_as_agreed(draft, licensor):
    services.activate_licence(by=licensor, licence=draft)

    with pytest.raises(Invalid) as refused:
        services.update_licence(by=licensor, licence=draft, annual_fee=Decimal("900"))
    assert (refused.value.field, refused.value.code) == ("annual_fee", "fee_schedule_locked")
    draft.refresh_from_db()
    assert draft.annual_fee == Decimal("1200.50")
    services.update_licence(by=licensor, licence=draft, territory="Leeds")


def test_the_licensor_records_a_payment_once_and_not_in_the_future(partner, licensor, coordinator):
    fee = LicenceFeeFactory(partner=partner, overdue=True)
    today = timezone.localdate()

    with pytest.raises(NotPermitted):
        services.pay_fee(by=coordinator, fee=fee, paid_on=today)
    with pytest.raises(Invalid) as future:
        services.pay_fee(by=licensor, fee=fee, paid_on=today + timedelta(days=1))
    assert future.value.field == "paid_on"

    paid = services.pay_fee(by=licensor, fee=fee, paid_on=today, note="BACS ref 4471")
    assert (paid.status, paid.paid_on, paid.note, paid.recorded_by) == ("paid", today, "BACS ref 4471", licensor)
    with pytest.raises(Invalid, match="already paid"):
        services.pay_fee(by=licensor, fee=fee, paid_on=today)


def test_a_waiver_needs_a_reason(partner, licensor):
    fee = LicenceFeeFactory(partner=partner)

    with pytest.raises(Invalid) as refused:
        services.waive_fee(by=licensor, fee=fee, note="  ")
    assert refused.value.field == "note"
    assert services.waive_fee(by=licensor, fee=fee, note="Hardship, agreed by the board").status == "waived"


def test_unpaid_fees_past_their_date_become_overdue_once(partner):
    late = LicenceFeeFactory(partner=partner, due_on=timezone.localdate() - timedelta(days=1))
    on_time = LicenceFeeFactory(partner=partner)
    paid = LicenceFeeFactory(partner=partner, paid=True, due_on=timezone.localdate() - timedelta(days=3))

    assert services.mark_overdue_fees() == 1
    assert services.mark_overdue_fees() == 0
    statuses = dict(LicenceFee.objects.values_list("pk", "status"))
    assert (statuses[late.pk], statuses[on_time.pk], statuses[paid.pk]) == ("overdue", "due", "paid")


def test_renewal_drafts_the_next_term_from_the_day_after_with_the_annual_fee(draft, licensor):
    services.activate_licence(by=licensor, licence=draft)

    renewal = services.renew_licence(by=licensor, licence=draft)

    assert renewal.status == Licence.Status.DRAFT
    assert renewal.starts_on == draft.ends_on + timedelta(days=1)
    assert renewal.ends_on == renewal.starts_on.replace(year=renewal.starts_on.year + 3) - timedelta(days=1)
    assert (renewal.partner, renewal.programme, renewal.territory) == (draft.partner, draft.programme, draft.territory)
    assert (renewal.annual_fee, renewal.one_off_fee, renewal.currency) == (Decimal("1200.50"), Decimal("0"), "GBP")
    assert (renewal.reference, renewal.renews) == ("LIC-NS-1-R1", draft)
    assert not LicenceFee.objects.filter(licence=renewal).exists()
    with pytest.raises(Invalid) as twice:
        services.renew_licence(by=licensor, licence=draft)
    assert twice.value.code == "renewal_drafted"


def test_a_renewal_of_a_renewal_numbers_on_and_a_draft_is_not_renewed(draft, licensor):
    with pytest.raises(Invalid) as refused:
        services.renew_licence(by=licensor, licence=draft)
    assert refused.value.code == "not_renewable"

    services.activate_licence(by=licensor, licence=draft)
    renewal = services.renew_licence(by=licensor, licence=draft)
    services.update_licence(by=licensor, licence=draft, ends_on=renewal.starts_on - timedelta(days=1))
    assert services.licences._next_reference(renewal) == "LIC-NS-1-R2"
