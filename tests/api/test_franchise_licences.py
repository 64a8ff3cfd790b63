"""/api/v1/licences/: the licensor issues and moves licences; a partner's coordinators read their own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Licence, LicenceEvent, Role
from tests.factories import user_with_role
from tests.franchise.factories import LicenceFactory, ProgrammeFactory

URL = "/api/v1/licences/"
FIELDS = {
    "id",
    "partner",
    "programme",
    "reference",
    "starts_on",
    "ends_on",
    "territory",
    "status",
    "one_off_fee",
    "annual_fee",
    "currency",
}


def today():
    return timezone.localdate()


def new_licence(partner, programme, **overrides):
    return {
        "partner": str(partner.pk),
        "programme": str(programme.pk),
        "reference": "NS-PTM-2027",
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=365)).isoformat(),
        "territory": "Leeds",
        **overrides,
    }


def test_the_licensor_creates_a_draft_then_activates_it(client_for, licensor, partner):
    client = client_for(licensor)
    programme = ProgrammeFactory()

    created = client.post(URL, new_licence(partner, programme))
    assert created.status_code == 201, created.content
    assert set(created.json()) == FIELDS
    assert created.json()["status"] == "draft"

    activated = client.post(f"{URL}{created.json()['id']}/activate/", {"note": "Signed"})
    assert activated.status_code == 200
    assert activated.json()["status"] == "active"


def test_status_cannot_be_set_directly(client_for, licensor, partner):
    response = client_for(licensor).post(URL, new_licence(partner, ProgrammeFactory(), status="active"))

    assert response.json()["status"] == "draft"


def test_inverted_dates_are_400_on_ends_on_and_nothing_is_written(client_for, licensor, partner):
    body = new_licence(partner, ProgrammeFactory(), ends_on=(today() - timedelta(days=1)).isoformat())

    response = client_for(licensor).post(URL, body)

    assert response.status_code == 400
    assert "ends_on" in response.json()
    assert not Licence.objects.exists()


def test_an_overlapping_activation_is_400_naming_the_clash(client_for, licensor, partner):
    current = LicenceFactory(partner=partner, reference="NS-CURRENT")
    renewal = LicenceFactory(partner=partner, programme=current.programme, draft=True)

    response = client_for(licensor).post(f"{URL}{renewal.pk}/activate/")

    assert response.status_code == 400
    assert "NS-CURRENT" in response.json()["non_field_errors"][0]
    assert Licence.objects.get(pk=renewal.pk).status == "draft"


@pytest.mark.parametrize(
    ("trait", "action", "allowed"),
    [
        ("draft", "suspend", ["activate", "terminate"]),
        ("suspended", "suspend", ["reinstate", "terminate"]),
        ("terminated", "reinstate", []),
        ("expired", "terminate", []),
    ],
)
def test_an_illegal_move_is_409_with_allowed(client_for, licensor, partner, trait, action, allowed):
    licence = LicenceFactory(partner=partner, **{trait: True})

    response = client_for(licensor).post(f"{URL}{licence.pk}/{action}/")

    assert response.status_code == 409
    assert response.json()["allowed"] == allowed
    assert not LicenceEvent.objects.exists()


def test_suspend_reinstate_terminate_and_the_history(client_for, licensor, partner):
    licence = LicenceFactory(partner=partner)
    client = client_for(licensor)

    for action, status in (("suspend", "suspended"), ("reinstate", "active"), ("terminate", "terminated")):
        response = client.post(f"{URL}{licence.pk}/{action}/", {"note": action})
        assert (response.status_code, response.json()["status"]) == (200, status)

    events = client.get(f"{URL}{licence.pk}/events/").json()
    assert [(e["from_status"], e["to_status"], e["note"]) for e in events] == [
        ("active", "suspended", "suspend"),
        ("suspended", "active", "reinstate"),
        ("active", "terminated", "terminate"),
    ]


def test_a_coordinator_reads_their_partners_licences_only(client_for, coordinator, partner, other_partner):
    own = LicenceFactory(partner=partner)
    LicenceFactory(partner=other_partner)
    client = client_for(coordinator)

    response = client.get(URL)

    assert [row["id"] for row in response.json()["results"]] == [str(own.pk)]
    assert client.get(f"{URL}{own.pk}/").status_code == 200


def test_a_coordinator_may_not_change_a_licence(client_for, coordinator, partner):
    licence = LicenceFactory(partner=partner)
    client = client_for(coordinator)

    assert client.post(URL, new_licence(partner, ProgrammeFactory())).status_code == 403
    assert client.patch(f"{URL}{licence.pk}/", {"territory": "Everywhere"}).status_code == 403
    assert client.post(f"{URL}{licence.pk}/suspend/").status_code == 403
    licence.refresh_from_db()
    assert (licence.status, licence.territory) == ("active", "Greater Manchester")


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_do_not_see_licences(client_for, partner, role):
    licence = LicenceFactory(partner=partner)
    client = client_for(user_with_role(role, partner))

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{licence.pk}/").status_code == 404
    assert client.post(f"{URL}{licence.pk}/suspend/").status_code == 404


def test_another_partners_licence_is_404_for_a_coordinator(client_for, coordinator, other_partner):
    licence = LicenceFactory(partner=other_partner)

    assert client_for(coordinator).get(f"{URL}{licence.pk}/").status_code == 404


def test_the_licensor_changes_dates_but_not_the_partner(client_for, licensor, partner, other_partner):
    licence = LicenceFactory(partner=partner)
    client = client_for(licensor)

    moved = client.patch(f"{URL}{licence.pk}/", {"ends_on": (today() + timedelta(days=30)).isoformat()})
    assert moved.status_code == 200
    refused = client.patch(f"{URL}{licence.pk}/", {"partner": str(other_partner.pk)})
    assert refused.status_code == 400
    assert "partner" in refused.json()
    assert Licence.objects.get(pk=licence.pk).partner == partner


def test_a_duplicate_reference_is_400(client_for, licensor, partner):
    LicenceFactory(partner=partner, reference="NS-PTM-2027")

    response = client_for(licensor).post(URL, new_licence(partner, ProgrammeFactory()))

    assert response.json() == {"reference": ["The reference 'NS-PTM-2027' is taken by another licence."]}


def test_licences_filter_by_status_and_partner(client_for, licensor, partner, other_partner):
    LicenceFactory(partner=partner, suspended=True)
    active = LicenceFactory(partner=partner)
    LicenceFactory(partner=other_partner)

    response = client_for(licensor).get(URL, {"status": "active", "partner": str(partner.pk)})

    assert [row["id"] for row in response.json()["results"]] == [str(active.pk)]


def test_the_licence_list_runs_a_fixed_number_of_queries(
    token_client_for, licensor, partner, django_assert_max_num_queries
):
    client = token_client_for(licensor)
    LicenceFactory.create_batch(3, partner=partner)
    with django_assert_max_num_queries(4) as few:
        client.get(URL, {"page_size": 200})
    LicenceFactory.create_batch(27, partner=partner)

    with django_assert_max_num_queries(4) as many:
        assert client.get(URL, {"page_size": 200}).json()["count"] == 30

    assert len(many.captured_queries) == len(few.captured_queries)
