"""/api/v1/programmes/: everyone signed in reads the programme and its criteria; the licensor writes."""

import pytest

from franchise.models import Criterion, Programme, Role
from tests.factories import user_with_role
from tests.franchise.factories import CriterionFactory, ProgrammeFactory, UnitFactory

URL = "/api/v1/programmes/"

NEW = {
    "name": "Peer Training and Mentoring",
    "code": "PTM-L3",
    "level": "Level 3",
    "awarding_body": "Open Awards",
    "units": [
        {
            "code": "PTM301",
            "title": "Peer training and mentoring",
            "criteria": [
                {"code": "P1", "kind": "performance", "text": "Agree goals with the mentee."},
                {"code": "K1", "kind": "knowledge", "text": "The limits of confidentiality."},
            ],
        }
    ],
}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_every_member_reads_programmes_with_units_and_criteria(client_for, partner, role):
    programme = ProgrammeFactory(with_criteria=True)

    response = client_for(user_with_role(role, partner)).get(URL)

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert set(row) == {"id", "name", "code", "level", "awarding_body", "version", "units"}
    (unit,) = row["units"]
    assert set(unit) == {"id", "code", "title", "criteria"}
    assert [c["code"] for c in unit["criteria"]] == ["P1", "P2", "P3", "K1", "K2"]
    assert set(unit["criteria"][0]) == {"id", "code", "kind", "text"}
    assert row["id"] == str(programme.pk)


def test_the_programme_list_runs_a_fixed_number_of_queries(token_client_for, licensor, django_assert_max_num_queries):
    # token, membership, count, programmes, units, criteria
    client = token_client_for(licensor)
    ProgrammeFactory.create_batch(3, with_criteria=True)
    with django_assert_max_num_queries(6) as few:
        client.get(URL, {"page_size": 200})
    for _ in range(27):
        UnitFactory(programme=ProgrammeFactory(with_criteria=True), criteria=(15, 19))

    with django_assert_max_num_queries(6) as many:
        response = client.get(URL, {"page_size": 200})

    assert response.json()["count"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_licensor_creates_a_programme_with_its_criteria(client_for, licensor):
    response = client_for(licensor).post(URL, NEW)

    assert response.status_code == 201, response.content
    programme = Programme.objects.get(code="PTM-L3")
    assert [c.code for c in Criterion.objects.filter(unit__programme=programme)] == ["P1", "K1"]
    assert response.json()["units"][0]["criteria"][1]["kind"] == "knowledge"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.MENTOR])
def test_partner_users_cannot_write_programmes(client_for, partner, role):
    programme = ProgrammeFactory()
    client = client_for(user_with_role(role, partner))

    assert client.post(URL, NEW).status_code == 403
    assert client.patch(f"{URL}{programme.pk}/", {"name": "Renamed"}).status_code == 403
    assert not Programme.objects.filter(code="PTM-L3").exists()
    assert Programme.objects.get(pk=programme.pk).name == programme.name


def test_an_update_matches_units_and_criteria_by_code_and_keeps_the_rest(client_for, licensor):
    programme = ProgrammeFactory(with_criteria=True)
    unit = programme.units.get()
    body = {
        "units": [
            {
                "code": unit.code,
                "title": "Renamed",
                "criteria": [
                    {"code": "P1", "kind": "performance", "text": "New"},
                    {"code": "P9", "kind": "performance", "text": "Added"},
                ],
            }
        ]
    }

    response = client_for(licensor).patch(f"{URL}{programme.pk}/", body)

    assert response.status_code == 200, response.content
    criteria = response.json()["units"][0]["criteria"]
    assert [(c["code"], c["text"]) for c in criteria][:2] == [("P1", "New"), ("P9", "Added")]
    assert len(criteria) == 6
    assert response.json()["units"][0]["title"] == "Renamed"


def test_a_taken_code_and_duplicate_criteria_are_400(client_for, licensor):
    ProgrammeFactory(code="PTM-L3")
    client = client_for(licensor)

    assert client.post(URL, NEW).json() == {"code": ["The code 'PTM-L3' is taken by another programme."]}
    twice = {**NEW, "code": "OTHER", "units": [{**NEW["units"][0], "criteria": [NEW["units"][0]["criteria"][0]] * 2}]}
    response = client.post(URL, twice)
    assert response.status_code == 400
    assert "P1" in response.json()["units"][0]
    assert not Programme.objects.filter(code="OTHER").exists()


def test_a_patch_may_leave_out_what_a_unit_has_but_not_what_a_new_one_needs(client_for, licensor):
    programme = ProgrammeFactory(name="Peer mentoring")
    unit = UnitFactory(programme=programme, title="Boundaries")
    criterion = CriterionFactory(unit=unit, code="K1", kind="knowledge", text="The limits of confidentiality.")
    client = client_for(licensor)

    # A new unit with no title: a 400 that says so, and nothing of the request written (the name neither).
    response = client.patch(f"{URL}{programme.pk}/", {"name": "Renamed", "units": [{"code": "NEW1", "criteria": []}]})
    assert response.status_code == 400
    assert response.json() == {"units": ["The new unit NEW1 needs a title."]}
    programme.refresh_from_db()
    assert programme.name == "Peer mentoring" and programme.units.count() == 1

    response = client.patch(
        f"{URL}{programme.pk}/", {"units": [{"code": unit.code, "criteria": [{"code": "Z9", "text": "Added"}]}]}
    )
    assert response.status_code == 400
    assert response.json() == {"units": [f"The new criterion Z9 of unit {unit.code} needs a kind."]}

    response = client.patch(f"{URL}{programme.pk}/", {"units": [{"title": "No code"}]})
    assert response.status_code == 400
    assert response.json() == {"units": ["Every unit needs a code."]}

    # An existing unit and criterion keep what the patch leaves out.
    response = client.patch(
        f"{URL}{programme.pk}/", {"units": [{"code": unit.code, "criteria": [{"code": criterion.code}]}]}
    )
    assert response.status_code == 200, response.content
    (listed,) = response.json()["units"]
    assert listed["title"] == "Boundaries"
    assert (listed["criteria"][0]["code"], listed["criteria"][0]["text"]) == (criterion.code, criterion.text)


def test_a_bad_criterion_kind_is_400(client_for, licensor):
    body = {**NEW, "units": [{**NEW["units"][0], "criteria": [{"code": "X1", "kind": "vibes", "text": "?"}]}]}

    response = client_for(licensor).post(URL, body)

    assert response.status_code == 400
    assert not Programme.objects.exists()


def test_programmes_are_not_deleted(client_for, licensor):
    programme = ProgrammeFactory()

    assert client_for(licensor).delete(f"{URL}{programme.pk}/").status_code == 405
