"""The licensor's console: licences and fees in the browser's forms (the walkers cover every page's access)."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from franchise.models import Licence, LicenceFee
from tests.franchise.factories import LicenceFactory, LicenceFeeFactory, ProgrammeFactory
from web.templatetags.money import money

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_licensor_issues_a_licence_puts_it_in_force_and_sees_its_fees(page_for, licensor, partner):
    client = page_for(licensor)
    today = timezone.localdate()
    programme = ProgrammeFactory()

    refused = client.post(
        "/console/licences/new/",
        {
            "partner": partner.pk,
            "programme": programme.pk,
            "reference": "LIC-WEB-1",
            "starts_on": today.isoformat(),
            "ends_on": (today - timedelta(days=1)).isoformat(),
            "one_off_fee": "300",
            "annual_fee": "950.25",
            "currency": "GBP",
        },
    )
    assert refused.status_code == 400
    assert re.search(r'id="id_ends_on_error_1"[^>]*>.*?cannot end', refused.content.decode(), re.S)
    assert not Licence.objects.filter(reference="LIC-WEB-1").exists()

    created = client.post(
        "/console/licences/new/",
        {
            "partner": partner.pk,
            "programme": programme.pk,
            "reference": "LIC-WEB-1",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=729)).isoformat(),
            "one_off_fee": "300",
            "annual_fee": "950.25",
            "currency": "gbp",
        },
    )
    licence = Licence.objects.get(reference="LIC-WEB-1")
    assert created.status_code == 302 and (licence.status, licence.currency) == ("draft", "GBP")
    client.post(f"/console/licences/{licence.pk}/status/", {"action": "activate"})

    page = _text(client.get(f"/console/licences/{licence.pk}/"))
    assert "LIC-WEB-1-F" in page and "LIC-WEB-1-Y2" in page and "£950.25" in page
    assert LicenceFee.objects.filter(licence=licence).count() == 3


def test_renewing_from_the_licence_page_opens_the_drafted_next_term(page_for, licensor, partner):
    licence = LicenceFactory(partner=partner, annual_fee=Decimal("700.00"))

    response = page_for(licensor).post(f"/console/licences/{licence.pk}/renew/", follow=True)

    renewal = Licence.objects.get(renews=licence)
    assert response.redirect_chain[-1][0] == f"/console/licences/{renewal.pk}/"
    assert f"Renews {licence.reference}" in _text(response)
    again = page_for(licensor).post(f"/console/licences/{licence.pk}/renew/")
    assert again.status_code == 400 and Licence.objects.filter(renews=licence).count() == 1


def test_a_payment_in_the_future_is_refused_next_to_its_date_and_a_waiver_needs_a_reason(page_for, licensor, partner):
    fee = LicenceFeeFactory(partner=partner, overdue=True)
    client = page_for(licensor)
    url = f"/console/fees/{fee.pk}/"

    future = client.post(url, {"pay-paid_on": (timezone.localdate() + timedelta(days=3)).isoformat()})
    assert future.status_code == 400
    assert re.search(r'id="id_pay-paid_on_error_1"[^>]*>.*?future', future.content.decode(), re.S)
    no_reason = client.post(url, {"waive-note": ""})
    assert no_reason.status_code == 400 and 'id="id_waive-note_error_1"' in no_reason.content.decode()
    assert LicenceFee.objects.get(pk=fee.pk).status == "overdue"

    client.post(url, {"pay-paid_on": timezone.localdate().isoformat(), "pay-note": "BACS 881"})
    assert LicenceFee.objects.get(pk=fee.pk).status == "paid"
    assert "payment recorded" in _text(client.get("/console/fees/"))
    assert fee.reference not in _text(client.get("/console/fees/"))
    assert fee.reference in _text(client.get("/console/fees/?show=all"))


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1200"), "GBP", "£1,200.00"),
        (Decimal("950.5"), "EUR", "€950.50"),
        (Decimal("1234567.891"), "CHF", "1,234,567.89 CHF"),
        (Decimal("-12.00"), "USD", "-$12.00"),
    ],
)
def test_amounts_read_as_money_with_the_currency_sign_and_thousands(amount, currency, shown):
    assert money(amount, currency) == shown
