"""The main journeys of issue #13 as a person walks them in Chromium: by the labels, roles and words on the pages.

Every page a journey visits is checked with axe-core; phone journeys also check nothing scrolls sideways. Each
journey builds its world with the factories and the domain's services, committed where the live server reads it.
"""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from franchise import services as franchise_services
from franchise.models import BoundaryRule, PolicyAcknowledgement
from supervision.incidents import services as incident_services
from supervision.models import BoundaryIncident, IncidentAccess, MentorStatus, Person, SessionAttendance
from supervision.models import SupervisionSession as Session
from tests.browser.conftest import check_accessibility, fits_width, screenshot
from tests.factories import UserFactory
from tests.franchise.factories import LicenceFactory
from tests.supervision.factories import BoundaryIncidentFactory, PersonFactory, SupervisionGroupFactory

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory's

THREE_VOLUNTEERS = """Name,Email,Mentor status,Date prior learning was recognised,Background check date
Ada Volunteer,ada@example.org,Applicant,,
Ben Trainee,ben@example.org,In training,01/03/2024,2024-02-15
Cara Shadow,cara@example.org,Shadowing,2024-01-10,
"""


def look(tab, name=None, *, phone=False):
    """What every visited page must pass: axe-core, and at phone width no sideways scrolling."""
    check_accessibility(tab)
    if phone:
        assert fits_width(tab), f"{tab.url} scrolls sideways at 360 px"
    if name:
        screenshot(tab, name)


def sign_in(tab, email, password=PASSWORD, *, phone=False, home=None):
    """Sign in from the sign-in page and land on the partner's home (`home`: its screenshot's name)."""
    tab.goto("/login/")
    look(tab, phone=phone)
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text(re.compile("^Today at "))
    look(tab, home, phone=phone)


def open_area(tab, label):
    tab.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def local_input(moment):
    """A moment as a datetime-local field takes it, in the partner's (and the browser's) time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- 1. from a spreadsheet to an active mentor ----------------------------------------------------------------


def met_items(tab):
    readiness = tab.get_by_role("region", name="Ready to be an active mentor?")
    # Case-sensitive: "Met:" but not "Not met:".
    return readiness.get_by_role("listitem").filter(has_text=re.compile("Met:"))


def move_on(tab, button_words, now_words):
    tab.get_by_label("Move to").select_option(label=button_words)
    tab.get_by_role("button", name="Move on").click()
    expect(tab.get_by_text(f"Ada Volunteer is now {now_words}.")).to_be_visible()
    look(tab)


def test_a_coordinator_imports_volunteers_and_takes_one_from_applicant_to_active(
    page, phone, coordinator, partner, tmp_path
):
    LicenceFactory(partner=partner)
    PersonFactory(partner=partner, staff=True, name="Sam Staff")
    spreadsheet = tmp_path / "volunteers.csv"
    spreadsheet.write_text(THREE_VOLUNTEERS, encoding="utf-8")
    today = timezone.localdate()

    sign_in(page, coordinator.email)
    open_area(page, "People")
    look(page)
    page.get_by_role("link", name="Import from a spreadsheet").click()
    look(page)
    page.get_by_label("Spreadsheet of people (CSV file)").set_input_files(str(spreadsheet))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("3 people ready to import")).to_be_visible()
    look(page, "journey-pathway-1-import-preview")
    page.get_by_role("button", name="Import 3 people").click()
    expect(page.get_by_text("Imported 3 people.")).to_be_visible()
    look(page)

    open_area(page, "People")
    page.get_by_role("link", name="Ada Volunteer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Volunteer")
    look(page, "journey-pathway-2-applicant")
    expect(met_items(page)).to_have_count(1)  # only the licence, which the partner holds

    move_on(page, "Start training", "in training")
    page.get_by_label(re.compile("^Date prior learning was recognised")).fill((today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save the dates").click()
    expect(page.get_by_text("The dates for Ada Volunteer are saved.")).to_be_visible()
    expect(met_items(page)).to_have_count(2)
    look(page)

    move_on(page, "Start shadowing", "shadowing")
    for hours in ("6", "4"):
        page.get_by_label("Member of staff shadowed").select_option(label="Sam Staff")
        page.get_by_label("Hours", exact=True).fill(hours)
        page.get_by_role("button", name="Log these hours").click()
        expect(page.get_by_text(f"{hours} hours of shadowing logged for Ada Volunteer.")).to_be_visible()
        look(page)
    expect(met_items(page)).to_have_count(3)
    expect(page.get_by_text("Shadowing: 10 of 10 hours")).to_be_visible()

    page.get_by_label(re.compile("^Date of the background check")).fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save the dates").click()
    expect(met_items(page)).to_have_count(4)
    look(page, "journey-pathway-3-all-but-the-policy")

    # The acknowledgement is the mentor's own: she gets a login and acknowledges on her phone.
    page.get_by_role("button", name="Invite to Tandem").click()
    expect(page.get_by_text("An invitation is on its way to ada@example.org")).to_be_visible()
    look(page)
    (invitation,) = [message for message in mail.outbox if message.to == ["ada@example.org"]]
    phone.goto(re.search(r"https?://\S+(/invite/\S+/)", invitation.body).group(1))
    look(phone, phone=True)
    phone.get_by_label("Your name").fill("Ada Volunteer")
    phone.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    phone.get_by_role("button", name="Accept invitation").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Today at Northside Women's Centre")
    look(phone, phone=True)
    open_area(phone, "Policy")
    look(phone, phone=True)
    phone.get_by_role("button", name="I have read the policy").click()
    expect(phone.get_by_text(re.compile(r"Thank you: you have acknowledged version \d+"))).to_be_visible()
    look(phone, "journey-pathway-4-mentor-acknowledges-phone", phone=True)

    page.reload()
    expect(met_items(page)).to_have_count(5)
    look(page)
    move_on(page, "Make an active mentor", "an active mentor")
    screenshot(page, "journey-pathway-5-active")

    ada = Person.objects.get(partner=partner, email="ada@example.org")
    assert ada.mentor_status == MentorStatus.ACTIVE
    assert ada.user is not None and ada.user.email == "ada@example.org"
    assert PolicyAcknowledgement.objects.filter(person=ada).exists()
    assert [move.to_status for move in ada.transitions.order_by("at")][-3:] == [
        MentorStatus.IN_TRAINING,
        MentorStatus.SHADOWING,
        MentorStatus.ACTIVE,
    ]


# --- 2. a fortnightly peer-group series, and recording one session ---------------------------------------------


def test_a_coordinator_schedules_a_fortnightly_group_series_and_records_a_session(page, coordinator, partner):
    LicenceFactory(partner=partner)
    members = [PersonFactory(partner=partner, active_mentor=True, name=name) for name in ("Dee Mentor", "Eve Mentor")]
    SupervisionGroupFactory(partner=partner, active=True, name="Tuesday reflective group", members=members)
    # Five weeks ago, so that the first sessions are over and can be recorded.
    starts = timezone.localtime().replace(hour=18, minute=0, second=0, microsecond=0) - timedelta(days=35)

    sign_in(page, coordinator.email)
    open_area(page, "Calendar")
    look(page)
    page.get_by_role("link", name="Schedule a session").click()
    look(page)
    page.get_by_role("radio", name="Peer group session").check()
    page.get_by_role("combobox", name=re.compile("^Peer group")).select_option(label="Tuesday reflective group")
    page.get_by_label("Starts").fill(local_input(starts))
    page.get_by_label("Ends").fill(local_input(starts + timedelta(minutes=90)))
    page.get_by_label("Place or meeting link").fill("Community room")
    page.get_by_role("combobox", name=re.compile("^Repeat")).select_option(label="Every fortnight, on the same day")
    page.get_by_label("Or: number of sessions").fill("6")
    look(page, "journey-series-1-schedule")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(re.compile(r"^6 sessions booked, "))).to_be_visible()
    look(page)
    assert Session.objects.filter(partner=partner, group__name="Tuesday reflective group").count() == 6

    # Sessions fall a week before and a week after today: in the weeks either side of this one.
    title = "Peer group: Tuesday reflective group"
    open_area(page, "Calendar")
    page.get_by_role("link", name="Show the month").click()
    # This month holds today, so a week before or a week after it: at least one of the series.
    expect(page.get_by_role("link", name=re.compile(title)).first).to_be_visible()
    look(page, "journey-series-2-month")
    page.get_by_role("link", name="Show a week").click()
    look(page)
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("link", name=re.compile(title))).to_have_count(1)
    look(page, "journey-series-3-next-week")
    page.get_by_role("link", name="Previous week").click()
    look(page)
    page.get_by_role("link", name="Previous week").click()
    look(page)
    page.get_by_role("link", name=re.compile(title)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    look(page)

    page.get_by_role("link", name="Record this session").click()
    look(page)
    page.get_by_role("group", name="Eve Mentor").get_by_label("Sent apologies").check()
    page.get_by_label("Toolkit process used").fill("Reflective cycle")
    page.get_by_label("Notes").fill("Talked through ending matches well.")
    page.get_by_label("Action 1: what was agreed").fill("Share the endings checklist")
    page.get_by_label("Action 1: who does it").select_option(label="Dee Mentor")
    page.get_by_label("Action 1: due by").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    look(page, "journey-series-4-record")
    page.get_by_role("button", name="Save the record").click()
    expect(page.get_by_text("The session is recorded.")).to_be_visible()
    expect(page.get_by_text("Share the endings checklist")).to_be_visible()
    look(page, "journey-series-5-recorded")

    session = Session.objects.get(partner=partner, status=Session.Status.HELD)
    assert session.notes == "Talked through ending matches well."
    attendance = dict(session.attendances.values_list("person__name", "attendance"))
    assert attendance == {
        "Dee Mentor": SessionAttendance.Attendance.PRESENT,
        "Eve Mentor": SessionAttendance.Attendance.APOLOGIES,
    }
    assert list(session.actions.values_list("description", flat=True)) == ["Share the endings checklist"]


# --- 3. a mentor on her phone: the policy, then a boundary incident --------------------------------------------


def _incident_world(partner, coordinator, mentor_user):
    LicenceFactory(partner=partner)
    mentor = PersonFactory(partner=partner, active_mentor=True, user=mentor_user, name=mentor_user.name)
    franchise_services.create_boundary_rule(
        by=coordinator,
        partner=partner,
        code="NS-1",
        title="No contact outside agreed channels",
        description="Contact mentees only by the project phone or in sessions.",
        category=BoundaryRule.Category.CONTACT,
        mandatory=True,
    )
    # The coordinator tightens a value: a newer version is in force, which the mentor has not acknowledged.
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"shadowing_hours_required": 12}
    )
    return mentor


def test_a_mentor_on_a_phone_acknowledges_the_policy_and_reports_an_incident_she_alone_sees(
    phone, coordinator, mentor_user, partner
):
    _incident_world(partner, coordinator, mentor_user)
    BoundaryIncidentFactory(partner=partner, description="Someone else's report, not hers to read.")

    sign_in(phone, mentor_user.email, phone=True, home="journey-mentor-1-today-phone")
    open_area(phone, "Policy")
    expect(phone.get_by_text("Not yet acknowledged")).to_be_visible()
    look(phone, phone=True)
    phone.get_by_role("button", name="I have read the policy").click()
    expect(
        phone.get_by_text(re.compile(r"Thank you: you have acknowledged version \d+ of the policy."))
    ).to_be_visible()
    look(phone, "journey-mentor-2-acknowledged-phone", phone=True)

    open_area(phone, "Today")
    look(phone, phone=True)
    phone.get_by_role("link", name="Report a boundary incident").click()
    look(phone, phone=True)
    phone.get_by_label("Which boundary rule was involved").select_option(
        label="NS-1 — No contact outside agreed channels"
    )
    expect(phone.get_by_label("The mentor involved")).to_have_value(str(Person.objects.get(user=mentor_user).pk))
    phone.get_by_label("How serious is it").select_option(label="Low")
    phone.get_by_label("What happened").fill("A mentee messaged me on social media; I did not reply.")
    phone.get_by_label("What was done straight away").fill("Told my supervisor and blocked the account.")
    look(phone, "journey-mentor-3-report-phone", phone=True)
    phone.get_by_role("button", name="Report the incident").click()
    expect(phone.get_by_text("Thank you: the incident is reported")).to_be_visible()
    look(phone, phone=True)

    open_area(phone, "Incidents")
    look(phone, "journey-mentor-4-her-reports-phone", phone=True)
    reports = phone.get_by_role("table", name="Boundary incidents, newest report first")
    expect(reports.get_by_role("row")).to_have_count(2)  # the header and her one report
    expect(reports.get_by_role("row", name=re.compile("No contact outside agreed channels"))).to_have_count(1)
    expect(phone.get_by_text("Meet only in agreed public places")).to_have_count(0)  # the other incident's rule

    mine = BoundaryIncident.objects.get(reporter=mentor_user)
    assert mine.severity == BoundaryIncident.Severity.LOW
    assert PolicyAcknowledgement.objects.filter(person__user=mentor_user).count() == 1


# --- 4. the coordinator reviews it -----------------------------------------------------------------------------


def test_the_coordinator_reviews_an_incident_from_her_home_and_sees_her_view_in_the_access_log(
    page, coordinator, mentor_user, partner
):
    mentor = _incident_world(partner, coordinator, mentor_user)
    incident_services.report_incident(
        by=mentor_user,
        mentor=mentor,
        rule=BoundaryRule.objects.get(code="NS-1"),
        severity=BoundaryIncident.Severity.MEDIUM,
        occurred_at=timezone.now() - timedelta(hours=3),
        description="A mentee messaged me on social media; I did not reply.",
    )
    UserFactory()  # someone who has no business here, never in the log

    sign_in(page, coordinator.email, home="journey-review-1-today")
    awaiting = page.get_by_role("region", name="Incidents awaiting review")
    awaiting.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Boundary incident: NS-1 No contact outside agreed channels"
    )
    look(page, "journey-review-2-incident")

    page.get_by_role("radio", name="Start the review").check()
    page.get_by_label("Why (kept in the chronology)").fill("Reviewing with the mentor's supervisor.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The incident is now under review.")).to_be_visible()
    look(page)

    page.get_by_label("What will be done").fill("Talk through social media boundaries in supervision")
    page.get_by_label("Who does it").select_option(label=mentor.name)
    page.get_by_label("Due by").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("The action is added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Talk through social media boundaries in supervision")).to_be_visible()

    log = page.get_by_role("region", name="Access log")
    expect(
        log.get_by_role("row").filter(has_text=coordinator.name).filter(has_text="Read the incident")
    ).not_to_have_count(0)
    look(page, "journey-review-3-under-review")

    incident = BoundaryIncident.objects.get()
    assert incident.status == BoundaryIncident.Status.UNDER_REVIEW
    assert incident.actions.count() == 1
    assert IncidentAccess.objects.filter(incident=incident, user=coordinator, action="read").exists()
    assert set(IncidentAccess.objects.filter(incident=incident).values_list("user__email", flat=True)) <= {
        coordinator.email,
        mentor_user.email,
    }
