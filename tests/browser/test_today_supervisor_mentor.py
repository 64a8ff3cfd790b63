"""The supervisor's and the mentor's homes in Chromium, with the demo's data: readable, accessible, phone-sized."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, fits_width, screenshot
from tests.conftest import build_demo


@pytest.fixture
def demo_site():
    return build_demo()


def sign_in(page, email, password):
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/northside/$"))


def test_the_demo_mentor_on_a_phone_sees_sessions_and_copies_the_calendar_link(phone, demo_site):
    sign_in(phone, "mentor@northside.example", demo_site["password"])

    expect(phone.get_by_role("heading", name="As mentor")).to_be_visible()
    expect(phone.get_by_role("heading", name="Your next sessions")).to_be_visible()
    link = phone.get_by_label("Your calendar link")
    expect(link).to_have_value(re.compile(r"/calendar/[\w-]+\.ics$"))
    expect(link).not_to_be_editable()
    phone.get_by_role("button", name="Copy link").click()
    expect(phone.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    expect(phone.get_by_role("link", name="Report a boundary incident")).to_be_visible()
    assert fits_width(phone), "the mentor's home scrolls sideways at 360 px"
    check_accessibility(phone)
    screenshot(phone, "mentor-today-phone")


def test_the_demo_supervisor_sees_supervisees_on_a_desktop_and_a_phone(page, phone, demo_site):
    for tab, size in ((page, "desktop"), (phone, "phone")):
        sign_in(tab, "supervisor@northside.example", demo_site["password"])

        expect(tab.get_by_role("heading", name="Your supervisees")).to_be_visible()
        expect(tab.get_by_text("Supervision overdue").first).to_be_visible()
        assert fits_width(tab), f"the supervisor's home scrolls sideways ({size})"
        check_accessibility(tab)
        screenshot(tab, f"supervisor-today-{size}")
