"""A match's pages: the mentor records contacts from their home (a flagged concern leads to the incident form,
linked), coordinators and supervisors read them, goals are agreed, and the coordinator ends the match with an
outcome."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from franchise.models import Role
from supervision.models import BoundaryIncident, ContactRecord, Match, MatchGoal
from tests.factories import user_with_role
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import (
    ContactRecordFactory,
    MatchFactory,
    MatchGoalFactory,
    MatchingTagFactory,
    MentorConflictFactory,
    MentorProfileFactory,
    PersonFactory,
    SupervisionSessionFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def mentor(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, name="Mo Mentor", active_mentor=True)


@pytest.fixture
def match(partner, mentor):
    return MatchFactory(partner=partner, mentor=mentor, mentee_ref="NS-M-0142")


def url(name, match, *more):
    return reverse(name, args=[match.partner.slug, match.pk, *more])


def contact(match, **changes):
    return {
        "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "duration_minutes": "40",
        "mode": "in_person",
        "place": "The library café",
        "summary": "Filled in the housing form together.",
        **changes,
    }


def test_the_mentors_home_offers_to_record_a_contact_for_each_active_match(page_for, mentor_user, match):
    ContactRecordFactory(partner=match.partner, match=match, date=timezone.localdate() - timedelta(days=2))
    MatchFactory(partner=match.partner, mentor=match.mentor, ended=True, mentee_ref="NS-M-0001")

    response = page_for(mentor_user).get(reverse("partner-home", args=[match.partner.slug]))

    page = text(response)
    assert "Mentee NS-M-0142" in page and "1 recorded" in page
    assert "NS-M-0001" not in page
    assert url("contact-new", match) in response.content.decode()


def test_the_contact_form_reminds_the_mentor_not_to_name_the_mentee(page_for, mentor_user, match):
    MatchGoalFactory(partner=match.partner, match=match, text="Open a bank account")

    response = page_for(mentor_user).get(url("contact-new", match))

    assert response.status_code == 200
    page = text(response)
    assert "Use the mentee's reference (NS-M-0142), never their name" in page
    assert "Open a bank account" in page


def test_the_mentor_records_a_contact_and_sees_it_on_the_match(page_for, mentor_user, match):
    goal = MatchGoalFactory(partner=match.partner, match=match)
    client = page_for(mentor_user)

    response = client.post(url("contact-new", match), contact(match, goals=[str(goal.pk)]))

    assert response.status_code == 302
    assert response["Location"].startswith(url("match-detail", match))
    record = ContactRecord.objects.get()
    assert (record.duration_minutes, list(record.goals.all()), record.concern) == (40, [goal], False)
    assert "Filled in the housing form together." in text(client.get(url("match-detail", match)))


def test_a_refused_record_shows_each_error_next_to_its_field(page_for, mentor_user, match):
    response = page_for(mentor_user).post(
        url("contact-new", match),
        contact(match, duration_minutes="0", date=(timezone.localdate() + timedelta(days=2)).isoformat()),
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"duration_minutes"}
    response = page_for(mentor_user).post(
        url("contact-new", match), contact(match, date=(timezone.localdate() + timedelta(days=2)).isoformat())
    )
    assert response.status_code == 400
    assert "date" in response.context["form"].errors
    assert not ContactRecord.objects.exists()


def test_a_flagged_concern_leads_to_the_incident_form_and_the_report_is_linked(page_for, mentor_user, match):
    rule = BoundaryRuleFactory(partner=match.partner, code="NS-SAFE", category="safeguarding")
    client = page_for(mentor_user)

    response = client.post(url("contact-new", match), contact(match, concern="on"))

    record = ContactRecord.objects.get()
    offer = reverse("incident-new", args=[match.partner.slug]) + f"?contact_record={record.pk}"
    assert (response.status_code, response["Location"]) == (302, offer)
    form_page = client.get(offer)
    assert "You flagged a concern in your contact of" in text(form_page)
    form = form_page.context["form"]
    assert (form["mentor"].value(), form["match"].value()) == (match.mentor_id, match.pk)

    reported = client.post(
        offer,
        {
            "contact_record": str(record.pk),
            "rule": str(rule.pk),
            "severity": "high",
            "occurred_at": (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "description": "She told me someone at home frightens her.",
        },
    )

    incident = BoundaryIncident.objects.get()
    assert reported.status_code == 302
    record.refresh_from_db()
    assert record.incident == incident
    assert (incident.mentor, incident.match, incident.is_safeguarding) == (match.mentor, match, True)


def test_another_mentors_record_cannot_be_answered_with_an_incident(page_for, partner, mentor_user, mentor):
    theirs = ContactRecordFactory(partner=partner, concern=True)
    response = page_for(mentor_user).get(reverse("incident-new", args=[partner.slug]) + f"?contact_record={theirs.pk}")
    assert response.status_code == 404


def test_staff_read_a_matchs_contacts_but_do_not_record_them(page_for, coordinator, supervisor, match):
    ContactRecordFactory(partner=match.partner, match=match, summary="Practised the phone call.", concern=True)
    for user in (coordinator, supervisor):
        client = page_for(user)
        page = text(client.get(url("match-detail", match)))
        assert "Practised the phone call." in page and "Concern flagged" in page
        assert "Record a contact" not in page
        assert client.get(url("contact-new", match)).status_code == 403


def test_another_mentor_cannot_open_the_match(page_for, partner, match):
    other = user_with_role(Role.MENTOR, partner)
    PersonFactory(partner=partner, user=other, active_mentor=True)
    assert page_for(other).get(url("match-detail", match)).status_code == 404


def test_the_mentor_agrees_a_goal_and_marks_it_met(page_for, mentor_user, match):
    client = page_for(mentor_user)

    added = client.post(url("match-goal-add", match), {"text": "Register with a GP"})
    goal = MatchGoal.objects.get()
    moved = client.post(url("match-goal-update", match, goal.pk), {f"goal-{goal.pk}-status": "met"})
    empty = client.post(url("match-goal-add", match), {"text": ""})

    assert (added.status_code, moved.status_code, empty.status_code) == (302, 302, 400)
    assert "text" in empty.context["goal_form"].errors
    goal.refresh_from_db()
    assert goal.status == MatchGoal.Status.MET


def test_the_coordinator_ends_the_match_with_an_outcome(page_for, coordinator, match):
    client = page_for(coordinator)

    missing = client.post(url("match-end", match), {"note": "Went well."})
    ended = client.post(url("match-end", match), {"outcome": "moved_on", "note": "Moved to another city."})

    assert missing.status_code == 400
    assert "outcome" in missing.context["end_form"].errors
    assert ended.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.outcome, match.outcome_note) == (
        Match.Status.ENDED,
        "moved_on",
        "Moved to another city.",
    )
    assert "The mentee moved on: Moved to another city." in text(client.get(url("match-detail", match)))


def test_a_one_to_one_shows_the_supervisees_recent_contacts_and_concerns(page_for, partner, supervisor, match):
    me = PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")
    session = SupervisionSessionFactory(partner=partner, supervisor=me, supervisee=match.mentor)
    ContactRecordFactory(partner=partner, match=match, summary="Went to the job club together.")
    ContactRecordFactory(partner=partner, match=match, summary="She seemed frightened of going home.", concern=True)
    ContactRecordFactory(partner=partner, summary="Another mentor's contact.")

    page = text(page_for(supervisor).get(reverse("session-detail", args=[partner.slug, session.pk])))

    assert "Mo Mentor's mentoring" in page
    assert "Went to the job club together." in page
    assert "She seemed frightened of going home." in page and "no incident reported" in page
    assert "Another mentor's contact." not in page


def test_a_proposed_match_is_approved_from_its_page_by_the_other_coordinator(page_for, partner, coordinator, mentor):
    second = user_with_role(Role.COORDINATOR, partner)
    person_page = reverse("person-detail", args=[partner.slug, mentor.pk])
    proposed = page_for(coordinator).post(f"{person_page}matches/", {"mentee_ref": "NS-M-0300"})
    match = Match.objects.get(mentee_ref="NS-M-0300")
    assert proposed.status_code == 302 and match.status == Match.Status.PROPOSED

    own = page_for(coordinator).post(url("match-approve", match))
    other = page_for(second).post(url("match-approve", match))

    assert own.status_code == 400
    assert "Another coordinator of the partner approves a match you proposed." in text(own)
    assert other.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.approved_by) == (Match.Status.ACTIVE, second)


def test_the_coordinator_reads_suggestions_and_exclusions_and_proposes_one(page_for, partner, coordinator):
    housing = MatchingTagFactory(partner=partner, name="housing")
    suggested = MentorProfileFactory(partner=partner, tags=[housing], person__name="Sue Suggested").person
    MentorConflictFactory(partner=partner, mentee_ref="NS-M-0300", mentor__name="Cal Conflicted")
    client = page_for(coordinator)

    page = client.get(reverse("matching", args=[partner.slug]), {"mentee_ref": "NS-M-0300", "tags": ["housing"]})
    unknown = client.get(reverse("matching", args=[partner.slug]), {"mentee_ref": "Jane Smith"})
    proposed = client.post(
        reverse("matching-propose", args=[partner.slug]), {"mentor": str(suggested.pk), "mentee_ref": "NS-M-0300"}
    )

    words = text(page)
    assert "Sue Suggested — score 3" in words and "shared needs +3" in words
    assert "Cal Conflicted declared a conflict with this mentee." in words
    assert unknown.status_code == 400 and "mentee_ref" in unknown.context["form"].errors
    match = Match.objects.get(mentee_ref="NS-M-0300")
    assert (proposed.status_code, proposed["Location"]) == (302, url("match-detail", match))
    assert match.status == Match.Status.PROPOSED
