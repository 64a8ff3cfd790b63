"""A coordinator imports three volunteers from a spreadsheet in Chromium, on a desktop and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from supervision.models import Person
from tests.browser.conftest import check_accessibility, fits_width, screenshot

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory's

THREE_VOLUNTEERS = """Name,Email,Mentor status,Date prior learning was recognised,Background check date
Ada Volunteer,ada@example.org,Applicant,,
Ben Trainee,ben@example.org,In training,01/03/2024,2024-02-15
Cara Shadow,cara@example.org,Shadowing,2024-01-10,
"""


def sign_in(page, email):
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def spreadsheet(tmp_path):
    def write(text, name="volunteers.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_coordinator_previews_and_imports_three_volunteers(page, phone, coordinator, partner, spreadsheet, size):
    tab = page if size == "desktop" else phone
    sign_in(tab, coordinator.email)
    tab.goto(f"/{partner.slug}/people/import/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Import people")
    check_accessibility(tab)

    tab.get_by_label("Spreadsheet of people (CSV file)").set_input_files(spreadsheet(THREE_VOLUNTEERS))
    tab.get_by_role("button", name="Check the file").click()

    expect(tab.get_by_text("3 people ready to import")).to_be_visible()
    expect(tab.get_by_role("cell", name="ben@example.org")).to_be_visible()
    assert fits_width(tab), f"the preview scrolls sideways ({size})"
    check_accessibility(tab)
    screenshot(tab, f"people-import-preview-{size}")
    assert not Person.objects.filter(partner=partner).exists()

    tab.get_by_role("button", name="Import 3 people").click()

    expect(tab.get_by_text("Imported 3 people.")).to_be_visible()
    assert Person.objects.filter(partner=partner).count() == 3


def test_a_file_with_problems_names_them_next_to_each_row(page, coordinator, partner, spreadsheet):
    sign_in(page, coordinator.email)
    page.goto(f"/{partner.slug}/people/import/")
    text = THREE_VOLUNTEERS + "Dan,ada@example.org,active,31/02/2024,\n"

    page.get_by_label("Spreadsheet of people (CSV file)").set_input_files(spreadsheet(text))
    page.get_by_role("button", name="Check the file").click()

    row = page.get_by_role("row", name=re.compile("Dan"))
    expect(row).to_contain_text("ada@example.org is also on row 2 of this file.")
    expect(row).to_contain_text("cannot be imported as an active mentor")
    expect(row).to_contain_text("is not a date")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    check_accessibility(page)
    screenshot(page, "people-import-problems")
    assert not Person.objects.filter(partner=partner).exists()
