"""A fidelity audit from the licensor's console to the partner and back, in Chromium, by the labels and roles on
the pages: the licensor writes a template, schedules and runs an audit with one shortfall; the partner's
coordinator, on her phone, names herself owner of the corrective action it raised and submits the evidence; the
licensor accepts it, and the partner's score recovers: the accepted action counts as met.

Every page visited is checked with axe-core, and at phone width for sideways scrolling.
"""

import re

from django.utils import timezone
from playwright.sync_api import expect

from supervision.models import CorrectiveAction
from tests.browser.test_journeys import PASSWORD, look, open_area, sign_in

PROGRAMME_FIDELITY = """# Supervision
SUP-1 | 3 | Every active mentor is supervised within the interval. | supervision_interval_days
# Peer groups
GRP-1 | 1 | Every peer group keeps a trained majority.
"""


def open_console_area(tab, label):
    tab.get_by_role("navigation", name="Console").get_by_role("link", name=label).click()


def partner_scorecard(tab, partner):
    """The partner's score and its audit component as the licensor reads them on the partner's console page."""
    open_console_area(tab, "Partners")
    tab.get_by_role("link", name=partner.name, exact=True).click()
    expect(tab.get_by_role("heading", level=1)).to_have_text(partner.name)
    score = int(re.search(r"Score (\d+)", tab.locator(".score-big").inner_text()).group(1))
    audit_row = tab.get_by_role("region", name="Scorecard").get_by_role(
        "row", name=re.compile("^Latest fidelity audit")
    )
    audit_value = audit_row.get_by_role("cell").last.inner_text()
    return score, audit_value


def test_an_audit_raises_a_corrective_action_the_coordinator_answers_and_the_licensor_accepts(
    page, phone, licensor, coordinator, partner
):
    today = timezone.localdate()

    # The licensor writes the template, schedules an audit against it and runs it.
    page.goto("/login/")
    page.get_by_label("Email").fill(licensor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partners")
    open_console_area(page, "Audits")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity audits")
    look(page)
    page.get_by_role("navigation", name="Audit pages").get_by_role("link", name="Templates").click()
    look(page)
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name").fill("Programme fidelity")
    page.get_by_label("Sections and questions").fill(PROGRAMME_FIDELITY)
    look(page)
    page.get_by_role("button", name="Create the template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme fidelity")
    expect(page.get_by_role("cell", name="Every peer group keeps a trained majority.")).to_be_visible()
    look(page, "journey-audit-0-template")
    open_console_area(page, "Audits")
    page.get_by_role("link", name="Schedule an audit").click()
    look(page)
    page.get_by_label("Partner").select_option(label=partner.name)
    page.get_by_label("Template").select_option(label="Programme fidelity")
    page.get_by_label("Date of the audit").fill(today.isoformat())
    page.get_by_label("Remote").check()
    page.get_by_role("button", name="Schedule the audit").click()
    expect(page.get_by_text(f"The audit of {partner.name} is scheduled")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of {partner.name}")
    look(page, "journey-audit-1-answers")

    supervised = page.get_by_role("group", name=re.compile("^SUP-1"))
    supervised.get_by_label("Met", exact=True).check()
    page.get_by_label("Evidence for SUP-1").fill("Supervision log for the last quarter seen.")
    groups = page.get_by_role("group", name=re.compile("^GRP-1"))
    groups.get_by_label("Not met", exact=True).check()
    page.get_by_label("Evidence for GRP-1").fill("Two of the five members of the Tuesday group are trained.")
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_text("2 answers are saved.")).to_be_visible()
    expect(page.get_by_role("group", name=re.compile("^GRP-1")).get_by_label("Not met", exact=True)).to_be_checked()
    look(page)

    page.get_by_role("button", name="Complete the audit").click()
    expect(page.get_by_text("it scores 75 out of 100 and raised 1 corrective action")).to_be_visible()
    raised = page.get_by_role("region", name="Corrective actions raised")
    expect(raised.get_by_role("link", name=re.compile("^GRP-1"))).to_be_visible()
    look(page, "journey-audit-2-completed")
    score_with_shortfall, audit_component = partner_scorecard(page, partner)
    assert audit_component == "75%"
    look(page)

    # The coordinator, on her phone, takes the corrective action on and submits what she did.
    sign_in(phone, coordinator.email, phone=True)
    open_area(phone, "Audits")
    expect(phone.get_by_role("cell", name="75 / 100")).to_be_visible()
    look(phone, phone=True)
    phone.get_by_role("link", name="Corrective actions (1 to do)").click()
    look(phone, "journey-audit-3-corrective-actions-phone", phone=True)
    phone.get_by_role("link", name=re.compile("^GRP-1 not met")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Corrective action GRP-1")
    look(phone, phone=True)
    phone.get_by_label("Owner").select_option(label=coordinator.name)
    phone.get_by_role("button", name="Name the owner").click()
    expect(phone.get_by_text(f"{coordinator.name} owns this corrective action.")).to_be_visible()
    look(phone, phone=True)
    phone.get_by_label("Evidence that it is put right").fill(
        "Three more members trained on 20 November; the group register shows four of five trained."
    )
    phone.get_by_role("button", name="Submit the evidence").click()
    expect(phone.get_by_text("The evidence is submitted")).to_be_visible()
    look(phone, "journey-audit-4-evidence-submitted-phone", phone=True)

    # The licensor reads the evidence and accepts it.
    open_console_area(page, "Audits")
    page.get_by_role("navigation", name="Audit pages").get_by_role("link", name="Corrective actions").click()
    row = page.get_by_role("row", name=re.compile(partner.name))
    expect(row.get_by_text("Evidence submitted")).to_be_visible()
    look(page)
    row.get_by_role("link").click()
    expect(page.get_by_text("the group register shows four of five trained")).to_be_visible()
    look(page, "journey-audit-5-review")
    page.get_by_role("button", name="Accept the action").click()
    expect(page.get_by_text(f"The corrective action of {partner.name} is accepted.")).to_be_visible()
    look(page)
    assert CorrectiveAction.objects.get().status == "accepted"

    # The partner page shows the score recovered: the accepted action now counts as met.
    score_after_acceptance, audit_component = partner_scorecard(page, partner)
    assert audit_component == "100%"
    assert score_after_acceptance > score_with_shortfall
    look(page, "journey-audit-6-score-recovered")
