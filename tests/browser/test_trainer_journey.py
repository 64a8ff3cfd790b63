"""Issue #16's trainer journey in Chromium: a trainer plans a course, opens it, enrols two learners, starts it, adds
a session and takes its register, fills the assessment grid for both learners (a whole workbook for one, a single
cell and a whole column for the other), and a second trainer, on a phone, verifies the first and the certificate is
issued; the grid fits a phone too.

Every page is checked with axe-core; on the phone nothing may scroll sideways (the grid scrolls in its own box).
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_journeys import look, open_area, sign_in
from tests.supervision.factories import PersonFactory
from tests.training.scenario import *  # noqa: F403
from training.models import Certificate, CourseAttendance, Enrolment


def test_a_trainer_runs_a_cohort_from_planning_to_a_verified_certificate(
    page, phone, partner, programme, licence, trainer, lead, verifier_user, verifier
):
    for name in ("Abi Learner", "Ben Learner"):
        PersonFactory(partner=partner, name=name, email=f"{name.split()[0].lower()}@learners.example")
    today = timezone.localdate()

    sign_in(page, trainer.email)
    open_area(page, "Courses")
    look(page)
    page.get_by_role("link", name="Plan a course").first.click()
    # The next page first: axe run while the old one is being replaced finds no document.
    expect(page).to_have_url(re.compile(r"/courses/new/$"))
    look(page)
    page.get_by_label("Programme").select_option(value=str(programme.pk))
    page.get_by_label("Title").fill("Winter cohort")
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill((today + timedelta(days=14)).isoformat())
    page.get_by_label("Places").fill("8")
    expect(page.get_by_label("Lead trainer")).to_have_value(str(lead.pk))
    page.get_by_role("button", name="Plan the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Winter cohort")
    expect(page.get_by_text("“Winter cohort” is planned.")).to_be_visible()
    look(page, "journey-trainer-1-planned")

    page.get_by_role("button", name="Open for enrolment").click()
    expect(page.get_by_text("“Winter cohort” is now open for enrolment.")).to_be_visible()
    for name in ("Abi Learner", "Ben Learner"):
        page.get_by_label("Find a person to enrol").fill("Learner")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("button", name=f"Enrol {name}")).to_be_visible()
        look(page)
        page.get_by_role("button", name=f"Enrol {name}").click()
        expect(page.get_by_text(f"{name} is enrolled.")).to_be_visible()
    expect(page.get_by_text("2 of 8 taken (6 left)")).to_be_visible()
    # Only the moves an open course may make are offered.
    expect(page.get_by_role("button", name="Open for enrolment")).to_have_count(0)
    page.get_by_role("button", name="Start the course").click()
    expect(page.get_by_text("“Winter cohort” is now running.")).to_be_visible()
    look(page, "journey-trainer-2-running")

    page.get_by_role("link", name="Add a session").click()
    expect(page).to_have_url(re.compile(r"/sessions/new/$"))
    look(page)
    page.get_by_label("Topic").fill("Boundaries and confidentiality")
    page.get_by_label("Starts").fill("10:00")
    page.get_by_label("Ends").fill("13:00")
    page.get_by_role("button", name="Add the session").click()
    expect(page.get_by_text("“Boundaries and confidentiality” is added")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Register for Boundaries")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register: Boundaries and confidentiality")
    page.get_by_role("group", name="Ben Learner").get_by_label("Apologies").check()
    look(page, "journey-trainer-3-register")
    page.get_by_role("button", name="Save the register").click()
    expect(page.get_by_text("The register for “Boundaries and confidentiality” is saved.")).to_be_visible()
    expect(page.get_by_text("2 of 2 learners recorded, 1 present.")).to_be_visible()
    assert sorted(CourseAttendance.objects.values_list("status", flat=True)) == ["apologies", "present"]
    page.get_by_role("link", name="Printable register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance register")
    look(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print this register")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto(f"/{partner.slug}/")
    page.get_by_role("link", name="Assessment grid").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment grid")
    look(page)
    # A whole workbook for Abi, from her own page.
    page.get_by_role("link", name="Abi Learner").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abi Learner")
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_label("Evidence").fill("Workbook complete, pages 1–24; observed role play in week one.")
    look(page)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Abi Learner: P1, P2, P3, K1, K2 recorded as met.")).to_be_visible()
    # One cell for Ben, from the grid's side panel.
    page.get_by_role("link", name="Assessment grid").click()
    page.get_by_role("link", name="Ben Learner, P1: not assessed").click()
    panel = page.get_by_role("complementary", name="Ben Learner, P1")
    panel.get_by_label("Not yet").check()
    panel.get_by_label("Evidence").fill("Answer too short; add an example from practice.")
    panel.get_by_role("button", name="Save P1 for Ben Learner").click()
    expect(page.get_by_text("Ben Learner: P1 recorded as not yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Ben Learner, P1: Not yet")).to_be_visible()
    # A whole column: P2 across the cohort, Abi's left as it is.
    page.get_by_role("link", name="P2 for every learner").click()
    column = page.get_by_role("complementary", name="P2 for every learner")
    column.get_by_role("group", name="Ben Learner").get_by_label("Met").check()
    column.get_by_label("Evidence for Ben Learner").fill("Workbook p. 6")
    look(page)
    column.get_by_role("button", name="Save P2 for these learners").click()
    expect(page.get_by_text("P2 recorded for 1 learner.")).to_be_visible()
    expect(page.get_by_role("link", name="Ben Learner, P2: Met")).to_be_visible()
    expect(page.get_by_role("link", name="Ready to verify Abi Learner")).to_be_visible()
    look(page, "journey-trainer-4-grid")

    # The second trainer verifies Abi on her phone.
    sign_in(phone, verifier_user.email, phone=True)
    waiting = phone.get_by_role("region", name="As trainer")
    waiting.get_by_role("link", name="Abi Learner").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Internal verification")
    expect(phone.get_by_text("Every criterion is met.")).to_be_visible()
    look(phone, "journey-trainer-5-verify-phone", phone=True)
    phone.get_by_role("button", name="Sign off and issue the certificate").click()
    certificate = Certificate.objects.get()
    expect(phone.get_by_text(f"Abi Learner has passed; certificate {certificate.code} is issued.")).to_be_visible()
    expect(phone.get_by_text("Certificate issued")).to_be_visible()
    look(phone, phone=True)
    assert Enrolment.objects.get(learner__name="Abi Learner").verified_by == verifier
    phone.get_by_role("link", name="Back to today").click()
    expect(phone.get_by_text("Nobody is waiting for internal verification.")).to_be_visible()

    # The grid on a phone scrolls in its own box, not the page.
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    expect(page.get_by_role("link", name="Abi Learner, P1: Met")).to_be_attached()
    look(page, "journey-trainer-6-grid-phone", phone=True)
