"""The import page: upload a spreadsheet, see every row with its problems, then import all rows or none."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from supervision.models import MentorStatus, Person
from supervision.people.imports import MAX_BYTES
from tests.supervision.factories import PersonFactory
from web.partners import PartnerContext
from web.supervision.imports import sign_upload

pytestmark = pytest.mark.django_db

THREE_VOLUNTEERS = b"""Name,Email,Mentor status,Date prior learning was recognised,Background check date
Ada Volunteer,ada@example.org,Applicant,,
Ben Trainee,ben@example.org,In training,01/03/2024,2024-02-15
Cara Shadow,cara@example.org,shadowing,2024-01-10,
"""


def url(partner):
    return f"/{partner.slug}/people/import/"


def upload(content, name="people.csv"):
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv")}


def signed_upload(response):
    match = re.search(r'name="upload" value="([^"]+)"', response.content.decode())
    return unescape(match.group(1)) if match else None


def text(response):
    return unescape(response.content.decode())


def test_the_page_offers_an_upload_and_the_template(page_for, coordinator, partner):
    response = page_for(coordinator).get(url(partner))

    assert response.status_code == 200
    assert "Spreadsheet of people (CSV file)" in text(response)
    assert f'href="/{partner.slug}/people/import/template.csv"' in text(response)


def test_the_template_is_a_csv_with_the_headers(page_for, coordinator, partner):
    response = page_for(coordinator).get(f"/{partner.slug}/people/import/template.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    first_line = response.content.decode("utf-8-sig").splitlines()[0]
    assert first_line == "Name,Email,Mentor status,Date prior learning was recognised,Background check date"


def test_upload_three_volunteers_preview_then_import_them(page_for, coordinator, partner):
    page = page_for(coordinator)

    preview = page.post(url(partner), upload(THREE_VOLUNTEERS))

    assert preview.status_code == 200
    assert "Import 3 people" in text(preview)
    for words in ("Ada Volunteer", "ben@example.org", "In training", "Shadowing"):
        assert words in text(preview)
    assert not Person.objects.filter(partner=partner).exists()

    imported = page.post(url(partner), {"upload": signed_upload(preview)}, follow=True)

    assert "Imported 3 people." in text(imported)
    people = {p.name: p.mentor_status for p in Person.objects.filter(partner=partner)}
    assert people == {
        "Ada Volunteer": MentorStatus.APPLICANT,
        "Ben Trainee": MentorStatus.IN_TRAINING,
        "Cara Shadow": MentorStatus.SHADOWING,
    }


def test_success_goes_to_the_people_list_when_there_is_one(page_for, coordinator, partner):
    page = page_for(coordinator)
    preview = page.post(url(partner), upload(THREE_VOLUNTEERS))

    response = page.post(url(partner), {"upload": signed_upload(preview)})

    try:
        expected = reverse("people", args=[partner.slug])
    except NoReverseMatch:
        expected = url(partner)
    assert response.status_code == 302
    assert response["Location"] == expected


def test_preview_shows_each_rows_problem_and_offers_no_import(page_for, coordinator, partner):
    PersonFactory(partner=partner, email="known@example.org")
    content = b"""Name,Email,Status,Prior learning date
Ada,ada@example.org,volunteer,
Ben,ben@example.org,applicant,32/01/2024
Cara,ada@example.org,applicant,
Dev,known@example.org,active,
"""
    response = page_for(coordinator).post(url(partner), upload(content))

    page = text(response)
    assert "'volunteer' is not a mentor status" in page
    assert "'32/01/2024' is not a date" in page
    assert "ada@example.org is also on row 2 of this file." in page
    assert "known@example.org is already on file" in page
    assert "cannot be imported as an active mentor" in page
    assert "Nothing has been imported. 4 of the 4 rows have a problem" in page
    assert signed_upload(response) is None
    assert Person.objects.filter(partner=partner).count() == 1


@pytest.mark.parametrize(
    "content, name, words",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "This is not a CSV file."),
        (b"Name\n\xff\xfe\xfaAda\n", "people.csv", "could not be read"),
        (b"PK\x03\x04", "people.xlsx", "This is a workbook, not a CSV file."),
        (b"Email\nada@example.org\n", "people.csv", "no &#x27;Name&#x27; column"),
        (b"x" * (MAX_BYTES + 1), "big.csv", "larger than 1 MB"),
    ],
)
def test_a_bad_file_is_a_400_with_the_error_next_to_the_field_and_nothing_written(
    page_for, coordinator, partner, content, name, words
):
    response = page_for(coordinator).post(url(partner), upload(content, name))

    assert response.status_code == 400
    assert re.search(r'<p class="error" id="id_file_error_1">.*' + re.escape(words), response.content.decode())
    assert not Person.objects.filter(partner=partner).exists()


def test_no_file_is_a_400(page_for, coordinator, partner):
    response = page_for(coordinator).post(url(partner), {})

    assert response.status_code == 400
    assert not Person.objects.filter(partner=partner).exists()


def test_a_changed_preview_is_refused_and_nothing_written(page_for, coordinator, partner):
    page = page_for(coordinator)
    preview = page.post(url(partner), upload(THREE_VOLUNTEERS))
    tampered = signed_upload(preview)[:-3] + "abc"

    response = page.post(url(partner), {"upload": tampered})

    assert response.status_code == 400
    assert "expired or was changed" in text(response)
    assert not Person.objects.filter(partner=partner).exists()


def test_a_preview_signed_for_another_coordinator_is_refused(page_for, coordinator, other_coordinator, partner):
    signed_for_someone_else = sign_upload(PartnerContext(partner, frozenset()), other_coordinator, "Name\nAda\n")

    response = page_for(coordinator).post(url(partner), {"upload": signed_for_someone_else})

    assert response.status_code == 400
    assert not Person.objects.filter(partner=partner).exists()


def test_import_is_all_or_none_when_the_file_went_stale(page_for, coordinator, partner):
    page = page_for(coordinator)
    preview = page.post(url(partner), upload(THREE_VOLUNTEERS))
    # Between preview and import someone registers Cara by hand.
    PersonFactory(partner=partner, name="Cara Shadow", email="cara@example.org")

    response = page.post(url(partner), {"upload": signed_upload(preview)})

    assert response.status_code == 400
    assert "Nothing was imported" in text(response)
    assert "cara@example.org is already on file" in text(response)
    assert list(Person.objects.filter(partner=partner).values_list("name", flat=True)) == ["Cara Shadow"]


def _preview_queries(page, partner, count):
    content = "Name,Email\n" + "".join(f"Person {n},p{n}@example.org\n" for n in range(count))
    with CaptureQueriesContext(connection) as queries:
        response = page.post(url(partner), upload(content.encode()))
    assert response.status_code == 200
    assert f"Import {count} people" in text(response)
    return len(queries)


def test_the_preview_runs_the_same_queries_for_a_short_and_a_long_file(page_for, coordinator, partner):
    page = page_for(coordinator)
    PersonFactory.create_batch(5, partner=partner)

    assert _preview_queries(page, partner, 3) == _preview_queries(page, partner, 1500)


@pytest.mark.parametrize("role_user", ["supervisor", "trainer", "mentor_user"])
def test_other_roles_of_the_partner_get_403_and_write_nothing(page_for, partner, role_user, request):
    page = page_for(request.getfixturevalue(role_user))

    assert page.get(url(partner)).status_code == 403
    assert page.post(url(partner), upload(THREE_VOLUNTEERS)).status_code == 403
    assert page.get(f"/{partner.slug}/people/import/template.csv").status_code == 403
    assert not Person.objects.filter(partner=partner).exists()


def test_another_partners_coordinator_gets_404(page_for, other_coordinator, partner):
    page = page_for(other_coordinator)

    assert page.get(url(partner)).status_code == 404
    assert page.post(url(partner), upload(THREE_VOLUNTEERS)).status_code == 404
    assert not Person.objects.filter(partner=partner).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, partner):
    response = client.get(url(partner))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_import_form_needs_the_csrf_token(coordinator, partner):
    from django.test import Client

    page = Client(enforce_csrf_checks=True)
    page.force_login(coordinator)

    assert page.post(url(partner), upload(THREE_VOLUNTEERS)).status_code == 403
    assert not Person.objects.filter(partner=partner).exists()
