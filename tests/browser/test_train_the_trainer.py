"""Train-the-trainer in Chromium: a co-trainer logs two co-taught sessions on her phone, the lead trainer signs
them off, and the coordinator promotes her to accredited trainer."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, fits_width, screenshot
from tests.browser.test_sign_in import PASSWORD, sign_in
from tests.training.factories import (
    CourseFactory,
    CourseSessionFactory,
    TeachingRecordFactory,
    TrainerAccreditationFactory,
)
from tests.training.scenario import *  # noqa: F403
from training.models import TeachingRecord, TrainerAccreditation


def test_a_co_trainer_logs_co_teaching_it_is_signed_off_and_the_coordinator_promotes_her(
    page, phone, partner, programme, licence, lead, co, coordinator, chromium
):
    course = CourseFactory(
        partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], running=True, title="Spring cohort"
    )
    today = timezone.localdate()
    for days, topic in ((6, "Listening"), (3, "Boundaries")):
        CourseSessionFactory(partner=partner, course=course, date=today - timedelta(days=days), topic=topic)
    # Her observed delivery, watched and signed off by a trainer of trainers last month.
    senior = TrainerAccreditationFactory(partner=partner, programme=programme, trainer_of_trainers=True).person
    watched = CourseSessionFactory(partner=partner, course=course, date=today - timedelta(days=7), topic="Welcome")
    TeachingRecordFactory(
        partner=partner,
        session=watched,
        person=co,
        role=TeachingRecord.Role.CO,
        observed=True,
        signed_off_by=senior,
        signed_off_at=timezone.now(),
    )

    sign_in(phone, "co@example.org", PASSWORD)
    phone.get_by_role("link", name="Accreditation").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your accreditation")
    expect(
        phone.get_by_text("0 of the 2 co-taught sessions signed off by an accredited trainer.").first
    ).to_be_visible()
    for topic in ("Listening", "Boundaries"):
        phone.get_by_label("Session", exact=True).select_option(label=f"Spring cohort: {_day(today, topic)} — {topic}")
        phone.get_by_role("button", name="Log the session").click()
        expect(phone.get_by_text("The session is logged")).to_be_visible()
    assert fits_width(phone), "the accreditation page scrolls sideways on a phone"
    check_accessibility(phone)
    screenshot(phone, "accreditation-phone")

    sign_in(page, "trainer@example.org", PASSWORD)
    page.goto(f"/{partner.slug}/teaching/sign-off/")
    for _ in range(2):
        page.get_by_role("button", name="Sign off Cleo Cotrainer").first.click()
        expect(page.get_by_text("Signed off: Cleo Cotrainer")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for your sign-off.")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "coord@example.org", PASSWORD)
    page.get_by_role("link", name="Trainers").click()
    page.get_by_role("link", name="Cleo Cotrainer").click()
    expect(page.get_by_text("The evidence is all there: a coordinator can promote.")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Promote to accredited trainer").click()
    expect(page.get_by_text("Cleo Cotrainer is now accredited trainer.")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Accredited trainer").first).to_contain_text("Reached")
    screenshot(page, "trainer-path-desktop")
    assert TrainerAccreditation.objects.get(person=co).stage == TrainerAccreditation.Stage.ACCREDITED_TRAINER


def _day(today, topic):
    days = {"Listening": 6, "Boundaries": 3}[topic]
    return f"{today - timedelta(days=days):%-d %B %Y}"
