"""Issue #15's journeys in Chromium: a mentor on her phone records a contact with her mentee, flags a concern, and
is offered the incident form, already about that mentee, which she sends (the record links to it); a coordinator
gets suggestions for a new mentee, sees who is left out and why, proposes a match and approves it."""

import re

from playwright.sync_api import expect

from franchise.models import BoundaryRule
from supervision.models import BoundaryIncident, ContactRecord, Match
from tests.browser.test_journeys import look, sign_in
from tests.franchise.factories import BoundaryRuleFactory, LicenceFactory
from tests.supervision.factories import (
    MatchFactory,
    MatchGoalFactory,
    MatchingTagFactory,
    MentorConflictFactory,
    MentorProfileFactory,
    PersonFactory,
)


def test_a_mentor_on_a_phone_records_a_contact_flags_a_concern_and_is_offered_the_incident_form(
    phone, mentor_user, partner
):
    LicenceFactory(partner=partner)
    mentor = PersonFactory(partner=partner, active_mentor=True, user=mentor_user, name=mentor_user.name)
    match = MatchFactory(partner=partner, mentor=mentor, mentee_ref="NS-M-0142")
    MatchGoalFactory(partner=partner, match=match, text="Register with a GP near the new flat")
    BoundaryRuleFactory(
        partner=partner,
        code="NS-SAFE",
        title="Safeguarding concerns are passed on the same day",
        category=BoundaryRule.Category.SAFEGUARDING,
    )

    sign_in(phone, mentor_user.email, phone=True)
    expect(phone.get_by_text("No contact recorded yet")).to_be_visible()
    phone.get_by_role("link", name="Record a contact with mentee NS-M-0142").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Record a contact with mentee NS-M-0142")
    look(phone, phone=True)

    phone.get_by_label("How long (minutes)").fill("45")
    phone.get_by_role("radio", name="Phone").check()
    phone.get_by_label(re.compile("^What you worked on")).fill(
        "Rang the surgery together to register; she was upset about a visitor at the flat."
    )
    phone.get_by_role("checkbox", name="Register with a GP near the new flat").check()
    phone.get_by_role("checkbox", name="Something worries me about this contact").check()
    look(phone, "journey-contact-1-record-phone", phone=True)
    phone.get_by_role("button", name="Save the record").click()

    expect(
        phone.get_by_text(re.compile("You flagged a concern: does it need a boundary incident report"))
    ).to_be_visible()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Report a boundary incident")
    expect(phone.get_by_label("The mentee (by their reference)")).to_have_value(str(match.pk))
    look(phone, "journey-contact-2-offered-incident-phone", phone=True)
    phone.get_by_label("Which boundary rule was involved").select_option(
        label="NS-SAFE — Safeguarding concerns are passed on the same day"
    )
    phone.get_by_label("How serious is it").select_option(label="High")
    phone.get_by_label("What happened").fill("The mentee said a former partner has been coming to her flat.")
    phone.get_by_role("button", name="Report the incident").click()
    expect(phone.get_by_text(re.compile("It is linked to your contact record of"))).to_be_visible()
    look(phone, phone=True)

    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    phone.get_by_role("link", name="Mentee NS-M-0142", exact=True).click()
    contacts = phone.get_by_role("region", name="Contacts")
    expect(contacts.get_by_text("Concern flagged")).to_be_visible()
    expect(contacts.get_by_role("link", name="Safeguarding concerns are passed on the same day")).to_be_visible()
    look(phone, "journey-contact-3-match-phone", phone=True)

    record = ContactRecord.objects.get()
    incident = BoundaryIncident.objects.get()
    assert (record.concern, record.incident, record.duration_minutes, record.mode) == (True, incident, 45, "phone")
    assert [goal.text for goal in record.goals.all()] == ["Register with a GP near the new flat"]
    assert (incident.match, incident.mentor, incident.is_safeguarding) == (match, mentor, True)


def test_a_coordinator_gets_suggestions_sees_who_is_left_out_and_why_then_proposes_and_approves(
    page, coordinator, partner
):
    LicenceFactory(partner=partner)
    housing = MatchingTagFactory(partner=partner, name="housing")
    MentorProfileFactory(partner=partner, tags=[housing], languages=["Urdu"], person__name="Sue Suggested")
    MentorProfileFactory(partner=partner, person__name="Nia Next")
    MentorConflictFactory(partner=partner, mentee_ref="NS-M-0300", mentor__name="Cal Conflicted")
    PersonFactory(partner=partner, paused=True, name="Pat Paused")

    sign_in(page, coordinator.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Matching").click()
    look(page)
    page.get_by_label("Mentee's reference").fill("NS-M-0300")
    page.get_by_role("checkbox", name="housing").check()
    page.get_by_label("Language").fill("urdu")
    page.get_by_role("button", name="Suggest mentors").click()

    suggested = page.get_by_role("region", name="Suggested mentors for NS-M-0300")
    expect(suggested.get_by_role("listitem").first).to_contain_text("Sue Suggested — score 5")
    left_out = page.get_by_role("region", name="Mentors left out")
    expect(left_out.get_by_text("Cal Conflicted declared a conflict with this mentee.")).to_be_visible()
    expect(left_out.get_by_text(re.compile("Pat Paused is paused"))).to_be_visible()
    look(page, "journey-matching-1-suggestions")

    page.get_by_role("button", name="Propose Sue Suggested for mentee NS-M-0300").click()
    expect(page.get_by_text("The match with mentee NS-M-0300 is proposed; it starts once approved.")).to_be_visible()
    look(page)
    page.get_by_role("button", name="Approve the match").click()
    expect(page.get_by_text("The match with mentee NS-M-0300 is approved; the mentor is told.")).to_be_visible()
    look(page, "journey-matching-2-approved")

    match = Match.objects.get(mentee_ref="NS-M-0300")
    assert (match.status, match.mentor.name, match.approved_by) == (Match.Status.ACTIVE, "Sue Suggested", coordinator)
