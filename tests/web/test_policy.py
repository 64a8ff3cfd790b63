"""The policy pages: the policy beside the baseline, acknowledging it, and the coordinator's own values and rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from franchise import services
from franchise.models import BoundaryRule, PolicyAcknowledgement, PolicyOverride, PolicyVersion
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import PersonFactory

pytestmark = pytest.mark.django_db

POLICY = reverse("policy", args=["northside"])
EDIT = reverse("policy-edit", args=["northside"])
ACKNOWLEDGE = reverse("policy-acknowledge", args=["northside"])
NEW_RULE = reverse("policy-rule-new", args=["northside"])


def rule_url(rule):
    return reverse("policy-rule", args=["northside", rule.pk])


@pytest.fixture
def baseline_rule(db):
    return BoundaryRuleFactory(partner=None, code="BL-1", title="No contact outside sessions")


@pytest.fixture
def own_rule(partner):
    return BoundaryRuleFactory(partner=partner, code="NS-1", title="Meet only at the centre")


@pytest.fixture
def mentor(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, name="Mo Mentor", active_mentor=True)


# --- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["coordinator", "supervisor", "trainer", "mentor_user"])
def test_every_member_of_the_partner_reads_the_policy(page_for, member, request, baseline_rule):
    response = page_for(request.getfixturevalue(member)).get(POLICY)

    assert response.status_code == 200
    assert "No contact outside sessions" in response.content.decode()


def test_another_partners_coordinator_gets_404(page_for, other_coordinator, partner):
    assert page_for(other_coordinator).get(POLICY).status_code == 404


def test_baseline_rules_are_marked_and_only_the_partners_own_are_editable(
    page_for, coordinator, baseline_rule, own_rule
):
    page = page_for(coordinator).get(POLICY).content.decode()

    assert "Programme baseline" in page
    assert rule_url(own_rule) in page
    assert rule_url(baseline_rule) not in page


def test_a_tightened_value_is_marked_in_words_beside_the_baseline(page_for, coordinator, partner):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 28})

    page = page_for(coordinator).get(POLICY).content.decode()

    assert "Most days between supervisions of an active mentor." in page
    assert "42 days" in page and "28 days" in page
    assert "Tightened" in page
    assert "Version 1" in page
    assert "supervision_interval_days" not in page  # the version's reason says it in words


def test_the_coordinator_sees_who_has_not_acknowledged_and_the_mentor_does_not(
    page_for, coordinator, mentor_user, mentor, partner
):
    PersonFactory(partner=partner, name="Nadia Notyet", applicant=True)

    coordinator_page = page_for(coordinator).get(POLICY).content.decode()
    mentor_page = page_for(mentor_user).get(POLICY).content.decode()

    assert "Who has not acknowledged" in coordinator_page
    assert "Nadia Notyet" in coordinator_page and "Mo Mentor" in coordinator_page
    assert "Who has not acknowledged" not in mentor_page and "Nadia Notyet" not in mentor_page


def test_the_policy_page_runs_the_same_queries_for_few_and_many_people(page_for, coordinator, partner, own_rule):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 28})
    client = page_for(coordinator)
    PersonFactory(partner=partner)
    client.get(POLICY)

    with CaptureQueriesContext(connection) as few:
        assert client.get(POLICY).status_code == 200
    for _ in range(30):
        PersonFactory(partner=partner)
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 21})
    with CaptureQueriesContext(connection) as many:
        assert client.get(POLICY).status_code == 200

    assert len(many) == len(few)


# --- acknowledging ---------------------------------------------------------------------


def test_a_mentor_acknowledges_the_version_in_force_once(page_for, mentor_user, mentor, partner, own_rule):
    client = page_for(mentor_user)
    before = client.get(POLICY).content.decode()
    assert "I have read the policy" in before and "Meet only at the centre" in before

    first = client.post(ACKNOWLEDGE)
    second = client.post(ACKNOWLEDGE)

    assert (first.status_code, second.status_code) == (302, 302)
    acknowledgement = PolicyAcknowledgement.objects.get()
    assert acknowledgement.person == mentor
    after = client.get(POLICY).content.decode()
    assert "I have read the policy" not in after
    assert "You acknowledged version 1 on" in after


def test_acknowledging_a_superseded_version_is_refused(page_for, mentor_user, mentor, partner, coordinator):
    services.ensure_policy_version(partner)
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 28})

    response = page_for(mentor_user).post(ACKNOWLEDGE, {"version": "1"})

    assert response.status_code == 400
    assert "version 2 is" in response.content.decode()
    assert not PolicyAcknowledgement.objects.exists()


# --- the partner's own values ----------------------------------------------------------


@pytest.mark.parametrize("member", ["supervisor", "trainer", "mentor_user"])
def test_only_coordinators_change_the_policy(page_for, member, request):
    client = page_for(request.getfixturevalue(member))

    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, {"supervision_interval_days": "28"}).status_code == 403
    assert not PolicyOverride.objects.exists()


def test_a_coordinator_tightens_a_value_and_a_new_version_is_written(page_for, coordinator, partner):
    response = page_for(coordinator).post(EDIT, {"supervision_interval_days": "28"})

    assert response.status_code == 302
    assert PolicyOverride.objects.get(partner=partner).supervision_interval_days == 28
    assert PolicyVersion.objects.filter(partner=partner).count() == 1


def test_a_loosening_is_refused_with_the_baseline_value_next_to_the_field(page_for, coordinator, partner):
    response = page_for(coordinator).post(EDIT, {"supervision_interval_days": "60"})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "baseline of 42 days" in str(errors["supervision_interval_days"])
    assert "baseline of 42 days" in response.content.decode()
    assert not PolicyOverride.objects.filter(supervision_interval_days__isnull=False).exists()
    assert not PolicyVersion.objects.exists()


def test_a_loosened_review_deadline_is_refused_next_to_its_own_severity(page_for, coordinator):
    response = page_for(coordinator).post(EDIT, {"incident_review_hours_high": "100"})

    assert response.status_code == 400
    assert "baseline of 48 hours" in str(response.context["form"].errors["incident_review_hours_high"])
    assert not PolicyVersion.objects.exists()


def test_switching_off_a_required_check_is_refused(page_for, coordinator):
    response = page_for(coordinator).post(EDIT, {"requires_background_check": "off"})

    assert response.status_code == 400
    assert "cannot switch it off" in str(response.context["form"].errors["requires_background_check"])


# --- the partner's own boundary rules --------------------------------------------------


def test_a_coordinator_adds_a_rule_of_their_own(page_for, coordinator, partner):
    response = page_for(coordinator).post(
        NEW_RULE,
        {
            "code": "NS-9",
            "title": "No lifts in your own car",
            "description": "Mentors do not drive mentees.",
            "category": "contact",
            "mandatory": "on",
        },
    )

    assert response.status_code == 302
    rule = BoundaryRule.objects.get(code="NS-9")
    assert rule.partner == partner
    assert PolicyVersion.objects.filter(partner=partner).count() == 1


def test_a_code_taken_by_a_rule_in_force_is_refused_next_to_the_code(page_for, coordinator, baseline_rule):
    response = page_for(coordinator).post(
        NEW_RULE, {"code": "BL-1", "title": "Again", "description": "Again.", "category": "contact"}
    )

    assert response.status_code == 400
    assert "taken" in str(response.context["form"].errors["code"])
    assert BoundaryRule.objects.count() == 1


def test_a_coordinator_changes_and_retires_their_own_rule(page_for, coordinator, own_rule):
    client = page_for(coordinator)

    changed = client.post(
        rule_url(own_rule),
        {"code": "NS-1", "title": "Meet only at the centre or the library", "description": "x", "category": "contact"},
    )
    retired = client.post(rule_url(own_rule), {"retire": "1"})

    assert (changed.status_code, retired.status_code) == (302, 302)
    own_rule.refresh_from_db()
    assert own_rule.title == "Meet only at the centre or the library"
    assert own_rule.retired_at is not None


def test_a_baseline_rule_is_not_editable_here(page_for, coordinator, baseline_rule):
    client = page_for(coordinator)

    page = client.get(rule_url(baseline_rule))
    refused = client.post(rule_url(baseline_rule), {"retire": "1"})

    assert page.status_code == 200 and "cannot be changed" in page.content.decode()
    assert refused.status_code == 403
    baseline_rule.refresh_from_db()
    assert baseline_rule.retired_at is None


def test_another_partners_rule_is_404(page_for, coordinator, other_partner):
    foreign = BoundaryRuleFactory(partner=other_partner)

    assert page_for(coordinator).get(rule_url(foreign)).status_code == 404


@pytest.mark.parametrize("member", ["supervisor", "mentor_user"])
def test_only_coordinators_open_the_rule_pages(page_for, member, request, own_rule):
    client = page_for(request.getfixturevalue(member))

    assert client.get(NEW_RULE).status_code == 403
    assert client.get(rule_url(own_rule)).status_code == 403
