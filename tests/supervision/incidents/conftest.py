"""The incident tests' world: a mentor with a login, a rule of the partner's, and a way to report."""

from datetime import timedelta

import pytest
from django.utils import timezone

from franchise import services as franchise_services
from supervision.incidents import services as incidents
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import PersonFactory, SupervisionAssignmentFactory, SupervisionSessionFactory


@pytest.fixture
def mentor(partner, mentor_user):
    """The mentor the incidents are about; a login with the mentor role (mentor_user)."""
    return PersonFactory(partner=partner, user=mentor_user, active_mentor=True, name="Mo Mentor")


@pytest.fixture
def supervisor_person(partner, supervisor):
    return PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")


@pytest.fixture
def assignment(partner, supervisor_person, mentor):
    """A coordinator's decision: the supervisor supervises the mentor (since a month ago)."""
    return SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)


@pytest.fixture
def one_to_one(partner, supervisor_person, mentor, assignment):
    """The mentor's next 1:1 with their supervisor, in two days."""
    return SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)


@pytest.fixture
def held_one_to_one(partner, supervisor_person, mentor, assignment):
    """A 1:1 of the mentor with their supervisor that started an hour ago."""
    starts_at = timezone.now() - timedelta(hours=1)
    return SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=mentor,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        status="held",
    )


@pytest.fixture
def rule(partner):
    return BoundaryRuleFactory(partner=partner, code="NS-1", category="contact")


@pytest.fixture
def supervisors_see_incidents(partner, coordinator):
    franchise_services.update_policy_overrides(
        by=coordinator, partner=partner, changes={"supervisors_see_incidents": True}
    )


@pytest.fixture
def report(coordinator, mentor, rule):
    """report(**fields): an incident reported through the service, by the coordinator unless `by=` says otherwise."""

    def make(**fields):
        values = {
            "by": coordinator,
            "mentor": mentor,
            "rule": rule,
            "severity": "medium",
            "occurred_at": timezone.now() - timedelta(days=1),
            "description": "Gave the mentee a lift home in the mentor's own car.",
            "immediate_action": "Reminded of the travel policy.",
        }
        values.update(fields)
        return incidents.report_incident(**values)

    return make
