"""A learner's certificate in Chromium: found on her home, printed on one A4 sheet with its QR code, and checked by
someone without an account at the address the QR code holds."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, fits_width, screenshot
from tests.browser.test_sign_in import PASSWORD, sign_in
from tests.training.factories import CertificateFactory, CourseFactory, EnrolmentFactory
from tests.training.scenario import *  # noqa: F403


def _pdf_pages(pdf):
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_a_learner_prints_her_certificate_on_one_a4_page_and_a_stranger_checks_it(
    page, phone, partner, lead, learner, chromium, live_server
):
    course = CourseFactory(partner=partner, lead_trainer=lead, completed=True)
    enrolment = EnrolmentFactory(partner=partner, course=course, learner=learner, passed=True)
    certificate = CertificateFactory(partner=partner, enrolment=enrolment)
    programme = course.programme.name

    sign_in(page, "learner@example.org", PASSWORD)
    page.get_by_role("link", name=programme).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of achievement")
    qr_address = f"https://tandem.test/verify/{certificate.code}/"
    expect(page.get_by_role("img", name=f"QR code of {qr_address}")).to_be_visible()
    expect(page.get_by_role("button", name="Print this certificate")).to_be_visible()
    expect(page.get_by_role("link", name="Download as an Open Badge")).to_have_attribute(
        "href", f"https://tandem.test/api/v1/certificates/verify/{certificate.code}/badge/"
    )
    check_accessibility(page)
    screenshot(page, "certificate-desktop")
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    assert _pdf_pages(pdf) == 1, "the certificate does not print on one A4 page"

    # Whoever holds the printed sheet opens the address in its QR code, signed in to nothing.
    phone.goto(qr_address.replace("https://tandem.test", ""))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Certificate check")
    expect(phone.get_by_role("status")).to_contain_text("Valid.")
    expect(phone.get_by_text(certificate.holder_name)).to_be_visible()
    expect(phone.get_by_role("button", name="Sign out")).to_have_count(0)
    assert fits_width(phone), "the verification page scrolls sideways on a phone"
    check_accessibility(phone)
    screenshot(phone, "verify-phone")

    phone.goto("/verify/no-such-code/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("No certificate has this code")
    check_accessibility(phone)
