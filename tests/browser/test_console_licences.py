"""The licensor's console in Chromium: a licence is renewed for its next term, and an overdue fee is paid."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from franchise import services
from franchise.models import Licence, LicenceFee
from tests.browser.test_journeys import PASSWORD, look
from tests.factories import PartnerFactory
from tests.franchise.factories import ProgrammeFactory


def test_the_licensor_renews_a_licence_and_records_the_payment_of_an_overdue_fee(page, licensor):
    today = timezone.localdate()
    licence = services.create_licence(
        by=licensor,
        partner=PartnerFactory(name="Riverside Mentoring"),
        programme=ProgrammeFactory(),
        reference="RM-2026",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=334),
        annual_fee=Decimal("1200.00"),
    )
    services.activate_licence(by=licensor, licence=licence)

    sign_in_as_licensor(page, licensor.email)
    look(page)
    row = page.get_by_role("row").filter(has_text="RM-2026")
    expect(row).to_contain_text("Riverside Mentoring")
    row.get_by_role("link", name="RM-2026").click()
    look(page, "console-licence")

    page.get_by_role("button", name="Draft the renewal").click()
    expect(page.get_by_role("status")).to_contain_text("The next term, RM-2026-R1, is drafted")
    expect(page.get_by_role("heading", level=1)).to_have_text("Licence RM-2026-R1")
    look(page)
    page.get_by_role("button", name="Put in force").click()
    expect(page.get_by_role("status")).to_contain_text("put in force — done")
    fees = page.get_by_role("region", name="Fees")
    expect(fees.get_by_role("row").filter(has_text="RM-2026-R1-Y1")).to_contain_text("Due")
    look(page)

    page.get_by_role("link", name="RM-2026", exact=True).click()
    overdue = page.get_by_role("region", name="Fees").get_by_role("row").filter(has_text="RM-2026-Y1")
    expect(overdue).to_contain_text("Overdue")
    overdue.get_by_role("link", name="Record a payment of RM-2026-Y1").click()
    look(page)
    page.get_by_label("Paid on").fill(today.isoformat())
    page.get_by_label("Note").fill("BACS 20261202")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_role("status")).to_contain_text("RM-2026-Y1: payment recorded")
    look(page, "console-fee-paid")

    fee = LicenceFee.objects.get(reference="RM-2026-Y1")
    assert (fee.status, fee.paid_on, fee.recorded_by) == (LicenceFee.Status.PAID, today, licensor)
    renewal = Licence.objects.get(renews=licence)
    assert (renewal.reference, renewal.status, renewal.starts_on) == (
        "RM-2026-R1",
        Licence.Status.ACTIVE,
        licence.ends_on + timedelta(days=1),
    )


def sign_in_as_licensor(tab, email):
    tab.goto("/login/")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab).not_to_have_url(re.compile("/login/"))
    # The licensor's bookmark: the console's licences.
    tab.goto("/console/licences/")
