"""/api/v1/licence-fees/ and a licence's renewal over HTTP: who reads, who records, what a mistake answers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from franchise.models import Licence, LicenceFee
from tests.franchise.factories import LicenceFactory, LicenceFeeFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/licence-fees/"
FIELDS = {"id", "licence", "partner", "reference", "amount", "currency", "due_on", "status", "paid_on", "note"}


def test_the_licensor_issues_a_licence_with_fees_and_their_records_appear_on_activation(client_for, licensor, partner):
    client = client_for(licensor)
    today = timezone.localdate()
    created = client.post(
        "/api/v1/licences/",
        {
            "partner": str(partner.pk),
            "programme": str(ProgrammeFactory().pk),
            "reference": "LIC-API-1",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=364)).isoformat(),
            "one_off_fee": "250.00",
            "annual_fee": "1000.10",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["annual_fee"], created.json()["currency"]) == ("1000.10", "GBP")

    client.post(f"/api/v1/licences/{created.json()['id']}/activate/", {}, format="json")

    rows = client.get(URL, {"licence": created.json()["id"]}).json()["results"]
    assert set(rows[0]) == FIELDS
    assert sorted((row["reference"], row["amount"], row["status"]) for row in rows) == [
        ("LIC-API-1-F", "250.00", "due"),
        ("LIC-API-1-Y1", "1000.10", "due"),
    ]


def test_a_coordinator_reads_their_own_fees_only_and_records_nothing(client_for, coordinator, partner, other_partner):
    own = LicenceFeeFactory(partner=partner)
    LicenceFeeFactory(partner=other_partner)
    client = client_for(coordinator)

    assert [row["id"] for row in client.get(URL).json()["results"]] == [str(own.pk)]
    refused = client.post(f"{URL}{own.pk}/pay/", {"paid_on": timezone.localdate().isoformat()}, format="json")
    assert refused.status_code == 403
    assert LicenceFee.objects.get(pk=own.pk).status == "due"


def test_paying_says_what_is_wrong_and_writes_nothing(client_for, licensor, partner):
    fee = LicenceFeeFactory(partner=partner, overdue=True)
    client = client_for(licensor)

    missing = client.post(f"{URL}{fee.pk}/pay/", {}, format="json")
    assert missing.status_code == 400 and "paid_on" in str(missing.json())
    future = client.post(
        f"{URL}{fee.pk}/pay/", {"paid_on": (timezone.localdate() + timedelta(days=2)).isoformat()}, format="json"
    )
    assert future.status_code == 400 and "future" in str(future.json())
    assert LicenceFee.objects.get(pk=fee.pk).status == "overdue"

    paid = client.post(
        f"{URL}{fee.pk}/pay/", {"paid_on": timezone.localdate().isoformat(), "note": "BACS"}, format="json"
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"


def test_a_waiver_needs_a_note(client_for, licensor, partner):
    fee = LicenceFeeFactory(partner=partner)

    assert client_for(licensor).post(f"{URL}{fee.pk}/waive/", {}, format="json").status_code == 400
    done = client_for(licensor).post(f"{URL}{fee.pk}/waive/", {"note": "Hardship"}, format="json")
    assert done.json()["status"] == "waived"


def test_renewing_answers_201_with_the_next_term_and_400_the_second_time(client_for, licensor, partner):
    licence = LicenceFactory(partner=partner, annual_fee=Decimal("800.00"))
    client = client_for(licensor)

    renewed = client.post(f"/api/v1/licences/{licence.pk}/renew/", {}, format="json")

    assert renewed.status_code == 201
    body = renewed.json()
    assert (body["status"], body["starts_on"], body["annual_fee"]) == (
        "draft",
        (licence.ends_on + timedelta(days=1)).isoformat(),
        "800.00",
    )
    again = client.post(f"/api/v1/licences/{licence.pk}/renew/", {}, format="json")
    assert again.status_code == 400 and "drafted already" in str(again.json())
    assert Licence.objects.filter(renews=licence).count() == 1
