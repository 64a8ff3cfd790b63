"""The licensor's console in Chromium: a partner's score on the overview drops when one of its mentors falls
overdue for supervision, and the partner page shows why. Every page is checked with axe-core, and at phone width."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from franchise.models import Role
from supervision.models import SupervisionSession
from tests.browser.test_journeys import PASSWORD, look
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import LicenceFactory
from tests.supervision.factories import BoundaryIncidentFactory, ScoreSnapshotFactory
from tests.supervision.fidelity.test_scorecard import supervised_mentor


def _world():
    licensor = user_with_role(Role.LICENSOR_ADMIN, email="lena@licensor.example")
    northfield = PartnerFactory(name="Northfield")
    LicenceFactory(partner=northfield)
    steady = supervised_mentor(northfield)
    supervised_mentor(northfield)
    BoundaryIncidentFactory(partner=northfield, mentor=steady, severity="high")
    harbour = PartnerFactory(name="Harbour Trust")
    supervised_mentor(harbour)
    today = timezone.localdate()
    for months_ago, score in enumerate((100, 95, 90, 100, 100)):
        ScoreSnapshotFactory(partner=northfield, taken_on=today - timedelta(days=30 * months_ago), score=score)
    return licensor, northfield, steady


def _falls_overdue(mentor):
    """Their last supervision moves back 200 days, past the interval: as if the months had gone by unsupervised."""
    for session in SupervisionSession.objects.filter(supervisee=mentor):
        session.starts_at -= timedelta(days=200)
        session.ends_at -= timedelta(days=200)
        session.save()


def _sign_in(tab, email, *, phone=False):
    tab.goto("/login/")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    # The licensor's home is the console's overview of the partners.
    expect(tab.get_by_role("heading", level=1)).to_have_text("Partners")
    look(tab, phone=phone)


def _overview_score(tab, partner_name):
    link = tab.get_by_role("link", name=re.compile(rf"^{partner_name}: score \d+ out of 100$"))
    return int(re.search(r"score (\d+)", link.get_attribute("aria-label")).group(1))


def test_the_licensor_sees_a_partners_score_drop_when_a_mentor_falls_overdue(page):
    licensor, northfield, steady = _world()

    _sign_in(page, licensor.email)
    look(page, "console-partners-overview")
    before = _overview_score(page, "Northfield")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Northfield", exact=True))
    expect(row.get_by_role("link", name="Northfield: 0 mentors overdue for supervision")).to_be_visible()
    expect(row.get_by_role("img", name=re.compile("^Score: .* in .*"))).to_be_visible()
    # Every column in view on a laptop: the last one, fees overdue, is not hidden behind a sideways scroll.

    page.get_by_role("link", name=re.compile("^Supervision overdue")).click()
    expect(page.get_by_role("columnheader", name=re.compile("^Supervision overdue"))).to_have_attribute(
        "aria-sort", "descending"
    )
    look(page)

    _falls_overdue(steady)
    page.reload()
    after = _overview_score(page, "Northfield")
    assert after < before
    expect(row.get_by_role("link", name="Northfield: 1 mentors overdue for supervision")).to_be_visible()
    look(page, "console-partners-overview-after-drop")

    page.get_by_role("link", name="Northfield", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northfield")
    expect(page.get_by_text(f"Score {after} out of 100")).to_be_visible()
    scorecard = page.get_by_role("region", name="Scorecard")
    coverage = scorecard.get_by_role("row", name=re.compile("^Supervision coverage"))
    expect(coverage).to_contain_text("1 of 2")
    expect(coverage).to_contain_text("50%")
    expect(page.get_by_role("region", name="Score over the last 12 months").get_by_role("img")).to_be_visible()
    look(page, "console-partner-page")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Fidelity figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity figures")
    expect(
        page.get_by_role("img", name="All partners: incidents by severity, last 12 months", exact=True)
    ).to_be_visible()
    look(page, "console-fidelity-figures")
    page.get_by_label("Partner", exact=True).select_option(label="Northfield")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity figures: Northfield")
    look(page)


def test_the_console_pages_fit_a_phone(phone):
    licensor, northfield, _ = _world()

    _sign_in(phone, licensor.email, phone=True)
    phone.goto("/console/partners/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Partners")
    look(phone, "console-partners-overview-phone", phone=True)
    phone.get_by_role("link", name="Northfield", exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Northfield")
    look(phone, "console-partner-page-phone", phone=True)
    phone.goto("/console/figures/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Fidelity figures")
    look(phone, "console-fidelity-figures-phone", phone=True)


def test_the_demo_licensor_sees_every_column_of_the_overview_on_a_laptop(page, demo_site):
    # The demo's names and figures, as wide as real ones: the last column, fees overdue, must not hide behind
    # a sideways scroll at 1280 pixels.
    page.goto("/login/")
    page.get_by_label("Email").fill("admin@licensor.example")
    page.get_by_label("Password").fill(demo_site["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("columnheader", name=re.compile("^Fees overdue"))).to_be_visible()
    overview = page.locator(".table-wrap").first
    assert overview.evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth"), "the overview scrolls sideways"
    look(page)
