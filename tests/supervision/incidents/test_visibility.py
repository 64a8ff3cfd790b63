"""Who sees an incident: BoundaryIncident.objects.visible_to, the strictest rule in Tandem."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.tenancy import forget_access
from franchise.models import Membership, Role
from supervision.models import BoundaryIncident, IncidentAccess, IncidentAction
from tests.factories import user_with_role
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    IncidentAccessFactory,
    IncidentActionFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionSessionFactory,
)


def visible(user):
    return set(BoundaryIncident.objects.visible_to(user))


@pytest.fixture
def about_mentor(partner, mentor):
    return BoundaryIncidentFactory(partner=partner, mentor=mentor)


def test_the_partners_coordinators_see_every_incident_of_the_partner(partner, other_partner, coordinator):
    ours = {BoundaryIncidentFactory(partner=partner), BoundaryIncidentFactory(partner=partner, closed=True)}
    BoundaryIncidentFactory(partner=other_partner)
    assert visible(coordinator) == ours


def test_a_mentor_who_reported_sees_their_own_report_only(partner, mentor_user):
    own = BoundaryIncidentFactory(partner=partner, reporter=mentor_user)
    BoundaryIncidentFactory(partner=partner)
    assert visible(mentor_user) == {own}


def test_a_mentor_does_not_see_an_incident_about_them_that_someone_else_reported(about_mentor, mentor_user):
    assert about_mentor.mentor.user == mentor_user
    assert visible(mentor_user) == set()


def test_a_reporter_who_has_left_the_partner_no_longer_sees_their_report(partner, mentor_user):
    BoundaryIncidentFactory(partner=partner, reporter=mentor_user)
    Membership.objects.filter(user=mentor_user).delete()
    forget_access(mentor_user)
    assert visible(mentor_user) == set()


def test_a_trainer_of_the_partner_sees_nothing(partner, trainer):
    BoundaryIncidentFactory(partner=partner)
    assert visible(trainer) == set()


def test_a_coordinator_of_another_partner_sees_nothing(partner, other_coordinator):
    BoundaryIncidentFactory(partner=partner, escalated=True)
    assert visible(other_coordinator) == set()


def test_an_anonymous_caller_sees_nothing(partner):
    from django.contrib.auth.models import AnonymousUser

    BoundaryIncidentFactory(partner=partner)
    assert visible(AnonymousUser()) == set()


# --- supervisors ----------------------------------------------------------------------


def test_supervisors_see_no_incident_unless_the_partners_policy_allows_it(about_mentor, one_to_one, supervisor):
    assert visible(supervisor) == set()


def test_with_the_policy_on_a_supervisor_sees_incidents_about_the_mentors_they_supervise(
    supervisors_see_incidents, about_mentor, one_to_one, supervisor, partner
):
    BoundaryIncidentFactory(partner=partner)  # about a mentor they do not supervise
    assert visible(supervisor) == {about_mentor}


def test_a_one_to_one_a_supervisor_booked_without_an_assignment_shows_them_no_incident(
    supervisors_see_incidents, about_mentor, partner, supervisor_person, mentor, supervisor
):
    # The way round the rule: a 1:1 with any mentor, the supervisor its supervisor, and no coordinator's say.
    SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor, held=True)
    assert visible(supervisor) == set()


def test_a_supervisor_sees_the_incidents_of_a_current_assignment_without_any_session(
    supervisors_see_incidents, about_mentor, assignment, supervisor
):
    assert visible(supervisor) == {about_mentor}


@pytest.mark.parametrize(
    "dates",
    [
        {"ended": True},
        {"starts_on": timezone.localdate() + timedelta(days=3)},
        {"starts_on": timezone.localdate() - timedelta(days=9), "ends_on": timezone.localdate()},
    ],
    ids=["ended", "not_yet_begun", "ends_today"],
)
def test_an_assignment_not_in_force_today_shows_no_incident(
    dates, supervisors_see_incidents, about_mentor, partner, supervisor_person, mentor, supervisor
):
    SupervisionAssignmentFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor, **dates)
    SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=mentor)
    assert visible(supervisor) == set()


def test_ending_the_assignment_ends_the_supervisors_sight_of_the_incidents(
    supervisors_see_incidents, about_mentor, assignment, one_to_one, supervisor, coordinator
):
    from supervision.sessions.assignments import end_assignment

    end_assignment(by=coordinator, assignment=assignment)
    assert visible(supervisor) == set()


def test_a_group_session_does_not_make_a_supervisor(supervisors_see_incidents, about_mentor, partner, supervisor):
    SupervisionSessionFactory(partner=partner, group_session=True)
    assert visible(supervisor) == set()


def test_the_supervisor_of_another_mentor_does_not_see_the_incident(supervisors_see_incidents, about_mentor, partner):
    other_supervisor = user_with_role(Role.SUPERVISOR, partner)
    SupervisionSessionFactory(partner=partner, supervisor=PersonFactory(partner=partner, user=other_supervisor))
    assert visible(other_supervisor) == set()


# --- the licensor ---------------------------------------------------------------------


@pytest.mark.parametrize("traits", [{}, {"under_review": True}, {"action_agreed": True}, {"closed": True}])
def test_the_licensor_does_not_see_an_incident_that_was_never_escalated(traits, partner, licensor):
    BoundaryIncidentFactory(partner=partner, **traits)
    assert visible(licensor) == set()


@pytest.mark.parametrize("status", ["escalated", "action_agreed", "closed"])
def test_the_licensor_sees_an_incident_once_escalated_and_from_then_on(status, partner, licensor):
    incident = BoundaryIncidentFactory(partner=partner, escalated=True)
    BoundaryIncident.objects.filter(pk=incident.pk).update(
        status=status, closed_at=incident.escalated_at if status == "closed" else None
    )
    assert visible(licensor) == {incident}


# --- rows of an incident --------------------------------------------------------------


def test_actions_and_the_access_log_are_seen_with_their_incident(partner, mentor_user, coordinator):
    own = BoundaryIncidentFactory(partner=partner, reporter=mentor_user)
    other = BoundaryIncidentFactory(partner=partner)
    for incident in (own, other):
        IncidentActionFactory(partner=partner, incident=incident)
        IncidentAccessFactory(partner=partner, incident=incident)
    assert {a.incident for a in IncidentAction.objects.visible_to(mentor_user)} == {own}
    assert {a.incident for a in IncidentAccess.objects.visible_to(mentor_user)} == {own}
    assert IncidentAction.objects.visible_to(coordinator).count() == 2
