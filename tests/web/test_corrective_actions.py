"""A partner's audits and corrective actions, as its coordinators use them: naming the owner, submitting the
evidence, reading the licensor's note when an action is reopened; nobody else in the partner, and no other
partner, gets in."""

import html
import re

import pytest

from franchise.models import Role
from supervision.models import CorrectiveAction
from tests.factories import user_with_role
from tests.supervision.factories import AuditFactory, CorrectiveActionFactory

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _error_next_to(response, field, words):
    return re.search(rf'id="id_{re.escape(field)}_error_1"[^>]*>.*?{words}', response.content.decode(), re.S)


def test_a_coordinator_names_herself_owner_and_submits_the_evidence(page_for, coordinator, partner):
    action = CorrectiveActionFactory(partner=partner, description="Book the missing supervision sessions.")
    client = page_for(coordinator)
    url = f"/{partner.slug}/corrective-actions/{action.pk}/"

    listing = _text(client.get(f"/{partner.slug}/corrective-actions/"))
    assert "Book the missing supervision sessions." in listing and "Not named yet" in listing

    named = client.post(url, {"owner-owner": coordinator.pk})
    assert named.status_code == 302
    submitted = client.post(url, {"evidence-evidence": "All six sessions booked; log updated."}, follow=True)

    action.refresh_from_db()
    assert (action.owner, action.status, action.evidence) == (
        coordinator,
        "submitted",
        "All six sessions booked; log updated.",
    )
    assert "Evidence submitted" in _text(submitted) and "Submit the evidence" not in _text(submitted)


def test_empty_evidence_is_refused_next_to_the_field_and_the_action_stays_open(page_for, coordinator, partner):
    action = CorrectiveActionFactory(partner=partner)

    response = page_for(coordinator).post(
        f"/{partner.slug}/corrective-actions/{action.pk}/", {"evidence-evidence": "  "}
    )

    assert response.status_code == 400 and _error_next_to(response, "evidence-evidence", "required")
    action.refresh_from_db()
    assert (action.status, action.evidence) == ("open", "")


def test_the_owner_is_one_of_the_partners_staff_never_a_mentor_or_an_outsider(
    page_for, coordinator, partner, other_coordinator, mentor_user, supervisor
):
    action = CorrectiveActionFactory(partner=partner)
    client = page_for(coordinator)
    url = f"/{partner.slug}/corrective-actions/{action.pk}/"

    page = _text(client.get(url))
    assert supervisor.name in page and mentor_user.name not in page and other_coordinator.name not in page

    for outsider in (other_coordinator, mentor_user):
        refused = client.post(url, {"owner-owner": outsider.pk})
        assert refused.status_code == 400 and _error_next_to(refused, "owner-owner", "valid choice")
    action.refresh_from_db()
    assert action.owner is None


def test_a_reopened_action_shows_the_licensors_note_and_takes_evidence_again(page_for, coordinator, partner):
    action = CorrectiveActionFactory(
        partner=partner, evidence="Sessions booked.", review_note="The log still shows two mentors overdue."
    )

    page = _text(page_for(coordinator).get(f"/{partner.slug}/corrective-actions/{action.pk}/"))

    assert "The licensor reopened it" in page and "The log still shows two mentors overdue." in page
    assert "Submit the evidence" in page


def test_the_audits_page_shows_the_partners_audits_and_scores_only(page_for, coordinator, partner, other_partner):
    AuditFactory(partner=partner, completed=True, template__name="Our fidelity audit")
    AuditFactory(partner=other_partner, completed=True, template__name="Their fidelity audit")

    page = _text(page_for(coordinator).get(f"/{partner.slug}/audits/"))

    assert "Our fidelity audit" in page and "80 / 100" in page
    assert "Their fidelity audit" not in page


def test_another_partners_corrective_action_is_a_404_and_stays_untouched(page_for, other_coordinator, partner):
    action = CorrectiveActionFactory(partner=partner)
    client = page_for(other_coordinator)
    other_slug = other_coordinator.memberships.get().partner.slug

    assert client.get(f"/{other_slug}/corrective-actions/{action.pk}/").status_code == 404
    assert client.get(f"/{partner.slug}/corrective-actions/{action.pk}/").status_code == 404
    posted = client.post(f"/{other_slug}/corrective-actions/{action.pk}/", {"evidence-evidence": "Done."})
    assert posted.status_code == 404
    assert CorrectiveAction.objects.get(pk=action.pk).status == "open"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TRAINER, Role.MENTOR])
def test_only_coordinators_open_the_partners_audit_pages(page_for, partner, role):
    action = CorrectiveActionFactory(partner=partner)
    client = page_for(user_with_role(role, partner))

    for url in (
        f"/{partner.slug}/audits/",
        f"/{partner.slug}/corrective-actions/",
        f"/{partner.slug}/corrective-actions/{action.pk}/",
    ):
        assert client.get(url).status_code == 403, url
    assert "/audits/" not in client.get(f"/{partner.slug}/").content.decode()


def test_the_coordinators_navigation_leads_to_the_audits(page_for, coordinator, partner):
    home = page_for(coordinator).get(f"/{partner.slug}/")

    assert f'href="/{partner.slug}/audits/"' in home.content.decode()
