"""The licensor's console areas in Chromium: the baseline policy's preview-then-save journey by its labels, and every
area's pages checked with axe-core at desktop and phone width."""

import re

from playwright.sync_api import expect

from franchise.models import BaselinePolicy, PolicyOverride, Role
from tests.browser.test_journeys import PASSWORD, look
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.franchise.factories import CriterionFactory, PolicyOverrideFactory, ProgrammeFactory, UnitFactory
from tests.supervision.factories import BoundaryIncidentFactory, PersonFactory
from tests.training.factories import TrainerAccreditationFactory


def _licensor():
    user = UserFactory(email="lena@licensor.example", name="Lena Licensor")
    MembershipFactory(user=user, partner=None, role=Role.LICENSOR_ADMIN)
    return user


def _world():
    northside = PartnerFactory(name="Northside Women's Centre", slug="northside")
    harbour = PartnerFactory(name="Harbour Justice Trust", slug="harbour")
    PolicyOverrideFactory(partner=northside, supervision_interval_days=35)
    PolicyOverrideFactory(partner=harbour, supervision_interval_days=21)
    programme = ProgrammeFactory(name="Peer Mentoring Level 3")
    unit = UnitFactory(programme=programme, code="PTM", title="Peer training and mentoring")
    CriterionFactory(unit=unit, code="P1", text="Agrees the boundaries of the relationship with the mentee.")
    trainer = PersonFactory(partner=northside, name="Tess Trainer")
    MembershipFactory(user=UserFactory(), partner=northside, role=Role.TRAINER)
    accreditation = TrainerAccreditationFactory(partner=northside, person=trainer, programme=programme)
    incident = BoundaryIncidentFactory(partner=harbour, escalated=True, critical=True)
    return {"programme": programme, "accreditation": accreditation, "incident": incident, "northside": northside}


def _sign_in(tab, *, phone=False):
    tab.goto("/login/")
    tab.get_by_label("Email").fill("lena@licensor.example")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Partners")
    look(tab, phone=phone)


def _console(tab, label):
    tab.get_by_role("navigation", name="Console").get_by_role("link", name=label).click()


def test_the_licensor_previews_who_falls_back_then_saves_the_tighter_baseline(page, transactional_db):
    _licensor()
    world = _world()
    _sign_in(page)

    _console(page, "Baseline policy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Baseline policy")
    in_force = page.get_by_role("region", name="In force")
    expect(in_force.get_by_role("row", name=re.compile("Most days between supervisions"))).to_contain_text("42 days")
    look(page, "console-policy-1-in-force")

    page.get_by_label("Most days between supervisions of an active mentor (days)", exact=True).fill("30")
    page.get_by_role("button", name="Preview the effect on partners").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Before saving the baseline")
    falling_back = page.get_by_role("region", name="Partners that fall back to the new baseline")
    row = falling_back.get_by_role("row", name=re.compile("Northside Women's Centre"))
    expect(row).to_contain_text("35 days")
    expect(row).to_contain_text("30 days")
    expect(falling_back).not_to_contain_text("Harbour Justice Trust")
    look(page, "console-policy-2-preview")
    assert BaselinePolicy.load().supervision_interval_days == 42

    page.get_by_role("button", name="Save the new baseline").click()

    expect(page.get_by_text("The new baseline is in force.")).to_be_visible()
    expect(
        page.get_by_role("region", name="In force").get_by_role(
            "row", name=re.compile("Most days between supervisions")
        )
    ).to_contain_text("30 days")
    look(page, "console-policy-3-saved")
    assert BaselinePolicy.load().supervision_interval_days == 30
    assert PolicyOverride.objects.get(partner=world["northside"]).supervision_interval_days is None

    _console(page, "Programmes")
    look(page, "console-programmes")
    page.get_by_role("link", name="Peer Mentoring Level 3").click()
    expect(page.get_by_role("heading", name="PTM Peer training and mentoring")).to_be_visible()
    look(page, "console-programme")

    _console(page, "Accreditations")
    expect(page.get_by_role("row", name=re.compile("Tess Trainer"))).to_contain_text("Missing")
    look(page, "console-accreditations")
    page.get_by_role("link", name="Tess Trainer").click()
    expect(page.get_by_role("heading", name="Standing")).to_be_visible()
    look(page, "console-accreditation")

    _console(page, "Escalated incidents")
    expect(page.get_by_role("row", name=re.compile("Harbour Justice Trust"))).to_contain_text("Critical")
    look(page, "console-incidents")
    page.get_by_role("link", name=re.compile("^Incident escalated")).click()
    expect(page.get_by_role("heading", name="Access log")).to_be_visible()
    look(page, "console-incident")


def test_every_console_area_fits_a_phone(phone, transactional_db):
    _licensor()
    world = _world()
    _sign_in(phone, phone=True)

    for url in (
        "/console/policy/",
        "/console/programmes/",
        f"/console/programmes/{world['programme'].pk}/",
        "/console/accreditations/",
        f"/console/accreditations/{world['accreditation'].pk}/",
        "/console/incidents/",
        f"/console/incidents/{world['incident'].pk}/",
    ):
        phone.goto(url)
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
        look(phone, phone=True)
    phone.goto("/console/policy/")
    phone.get_by_label("Hours of shadowing before a mentor may become active (hours)", exact=True).fill("12")
    phone.get_by_role("button", name="Preview the effect on partners").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Before saving the baseline")
    look(phone, "console-policy-preview-phone", phone=True)
