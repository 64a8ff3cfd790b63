"""Reporting an incident: the rule in force when it occurred, the review deadline, who may report, the hook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted
from franchise import services as franchise_services
from franchise.models import Role
from supervision.incidents import signals
from supervision.models import BoundaryIncident, IncidentAccess
from tests.factories import user_with_role
from tests.franchise.factories import BoundaryRuleFactory, PolicyVersionFactory
from tests.supervision.factories import MatchFactory


def test_a_report_takes_its_partner_from_the_mentor_and_its_reporter_from_the_caller(report, partner, coordinator):
    incident = report()
    assert (incident.partner, incident.reporter, incident.status) == (partner, coordinator, "reported")


def test_the_category_defaults_to_the_rules_and_may_be_set(report, rule):
    assert report().category == rule.category
    assert report(category="safeguarding").category == "safeguarding"


@pytest.mark.parametrize(("severity", "hours"), [("low", 168), ("medium", 168), ("high", 48), ("critical", 24)])
def test_the_review_is_due_within_the_policys_hours_for_the_severity(report, severity, hours):
    now = timezone.now()
    assert report(severity=severity, now=now).review_due_at == now + timedelta(hours=hours)


def test_a_partner_that_lowered_its_review_hours_gets_the_earlier_deadline(report, partner, coordinator):
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"incident_review_hours_low": 72, "incident_review_hours_medium": 96}
    )
    now = timezone.now()
    assert report(severity="low", now=now).review_due_at == now + timedelta(hours=72)
    assert report(severity="medium", now=now).review_due_at == now + timedelta(hours=96)


def test_the_rule_must_belong_to_the_policy_in_force_when_the_incident_occurred(report, partner, mentor):
    now = timezone.now()
    old_rule = BoundaryRuleFactory(partner=partner, code="OLD-1")
    new_rule = BoundaryRuleFactory(partner=partner, code="NEW-1")
    PolicyVersionFactory(partner=partner, effective_from=now - timedelta(days=10), boundary_rules=[old_rule.snapshot()])
    second = PolicyVersionFactory(
        partner=partner, effective_from=now - timedelta(days=3), boundary_rules=[new_rule.snapshot()]
    )

    with pytest.raises(Invalid) as refused:
        report(rule=new_rule, occurred_at=now - timedelta(days=5))
    assert (refused.value.field, refused.value.code) == ("rule", "rule_not_in_policy")
    assert not BoundaryIncident.objects.exists()

    incident = report(rule=new_rule, occurred_at=now - timedelta(days=1))
    assert incident.policy_version == second
    assert report(rule=old_rule, occurred_at=now - timedelta(days=5)).policy_version.number == 1


def test_a_rule_of_another_partner_is_refused(report, other_partner):
    with pytest.raises(Invalid) as refused:
        report(rule=BoundaryRuleFactory(partner=other_partner))
    assert refused.value.code == "rule_not_in_policy"


def test_a_baseline_rule_is_in_every_partners_policy(report):
    baseline = BoundaryRuleFactory(baseline=True, code="BL-9")
    assert report(rule=baseline).rule == baseline


def test_an_incident_cannot_have_occurred_in_the_future(report):
    with pytest.raises(Invalid) as refused:
        report(occurred_at=timezone.now() + timedelta(minutes=5))
    assert (refused.value.field, refused.value.code) == ("occurred_at", "occurred_in_future")
    assert not BoundaryIncident.objects.exists()


def test_a_description_is_required(report):
    with pytest.raises(Invalid) as refused:
        report(description="   ")
    assert refused.value.field == "description"


def test_the_match_must_be_one_of_the_mentors(report, partner, mentor):
    assert report(match=MatchFactory(partner=partner, mentor=mentor)).match.mentor == mentor
    with pytest.raises(Invalid) as refused:
        report(match=MatchFactory(partner=partner))
    assert refused.value.field == "match"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_anyone_working_with_the_partner_may_report(report, partner, role):
    reporter = user_with_role(role, partner)
    assert report(by=reporter).reporter == reporter


def test_the_licensor_does_not_report_a_partners_incident(report, licensor):
    with pytest.raises(NotPermitted):
        report(by=licensor)


def test_a_user_of_another_partner_cannot_report_about_this_partners_mentor(report, other_coordinator):
    with pytest.raises(NotFound):
        report(by=other_coordinator)
    assert not BoundaryIncident.objects.exists()


def test_the_report_is_the_first_entry_of_the_access_log(report, coordinator):
    incident = report()
    assert list(IncidentAccess.objects.values_list("incident", "user", "action")) == [
        (incident.pk, coordinator.pk, "create")
    ]


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    signals.incident_reported.connect(receiver, dispatch_uid="test-incidents")
    yield calls
    signals.incident_reported.disconnect(dispatch_uid="test-incidents")


def test_a_report_sends_incident_reported_once_committed(report, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = report(severity="critical")
    assert received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(received) == 1
    assert received[0]["incident_id"] == incident.pk
    assert received[0]["severity"] == "critical"
    assert received[0]["partner_id"] == incident.partner_id
    assert "description" not in received[0]


def test_a_refused_report_sends_nothing(report, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Invalid):
        report(occurred_at=timezone.now() + timedelta(days=1))
    assert received == []
