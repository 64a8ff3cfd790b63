"""Signing in and out, and accepting an invitation, in Chromium: by the labels and buttons a person sees."""

import re

from playwright.sync_api import expect

from franchise.models import Membership, Role, User
from tests.browser.conftest import check_accessibility, fits_width, screenshot
from tests.factories import InvitationFactory


def sign_in(page, email, password):
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory's


def test_a_coordinator_signs_in_lands_on_today_and_signs_out(page, coordinator):
    page.goto("/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Tandem")
    check_accessibility(page)

    sign_in(page, "coord@example.org", PASSWORD)

    expect(page).to_have_url(re.compile(r"/northside/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today at Northside Women's Centre")
    check_accessibility(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/northside/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/northside/$"))  # signed out for real


def test_a_wrong_password_says_so_and_signs_nobody_in(page, coordinator):
    sign_in(page, "coord@example.org", "not-the-password")

    expect(page.get_by_text("That email and password do not match an account")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Tandem")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_accessibility(page)


def test_the_demo_coordinators_sign_in_and_home_work_on_a_desktop_and_fit_a_phone(page, phone, demo_site):
    # The demo's data, so the home has real rows to lay out (and the README's pictures show them).
    for tab, size in ((page, "desktop"), (phone, "phone")):
        tab.goto("/login/")
        assert fits_width(tab), f"the sign-in page scrolls sideways ({size})"
        check_accessibility(tab)
        screenshot(tab, f"sign-in-{size}")

        sign_in(tab, "coordinator@northside.example", demo_site["password"])

        expect(tab.get_by_role("heading", level=1)).to_have_text("Today at Northside Women's Centre")
        assert fits_width(tab), f"the coordinator's home scrolls sideways ({size})"
        check_accessibility(tab)
        screenshot(tab, f"coordinator-today-{size}")


def test_accepting_an_invitation_ends_signed_in_at_home(phone, partner):
    InvitationFactory(partner=partner, email="nia@example.org", role=Role.MENTOR, token="browser-token")

    phone.goto("/invite/browser-token/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Join Tandem")
    expect(phone.get_by_text("nia@example.org")).to_be_visible()
    assert fits_width(phone), "the invitation page scrolls sideways at 360 px"
    check_accessibility(phone)

    phone.get_by_label("Your name").fill("Nia New")
    phone.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    phone.get_by_role("button", name="Accept invitation").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Today at Northside Women's Centre")
    expect(phone.get_by_text("Welcome, Nia New. You are signed in.")).to_be_visible()
    check_accessibility(phone)
    user = User.objects.get(email="nia@example.org")
    assert Membership.objects.filter(user=user, partner=partner, role=Role.MENTOR).exists()


def test_the_password_reset_page_is_usable(page):
    page.goto("/password-reset/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_label("Email")).to_be_visible()
    check_accessibility(page)
