"""The coordinator's part of the partner's home: what needs them today, each item linked to where it is resolved."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.franchise.factories import LicenceFactory, PolicyVersionFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    PersonFactory,
    PersonTransitionFactory,
    SupervisionSessionFactory,
)
from tests.supervision.people.helpers import acknowledge

HOME = "/northside/"


def part_of(response):
    return next(part for part in response.context["parts"] if part["role"] == "coordinator")


def html(response):
    return response.content.decode()


def an_overdue_mentor(partner, **fields):
    """Active for longer than the supervision interval and never supervised."""
    mentor = PersonFactory(partner=partner, active_mentor=True, **fields)
    PersonTransitionFactory(
        partner=partner,
        person=mentor,
        from_status="shadowing",
        to_status="active",
        at=timezone.now() - timedelta(days=90),
    )
    return mentor


def a_busy_partner(partner, size):
    """`size` of everything the coordinator's home shows."""
    LicenceFactory(partner=partner)
    PolicyVersionFactory(partner=partner)
    for _ in range(size):
        an_overdue_mentor(partner)
        BoundaryIncidentFactory(partner=partner)
        BoundaryIncidentFactory(partner=partner, review_due_at=timezone.now() - timedelta(hours=3))
        PersonFactory(partner=partner, shadowing=True)
        PersonFactory(partner=partner, in_training=True)
        PersonFactory(partner=partner, paused=True, pause_review_on=timezone.localdate())
        SupervisionSessionFactory(partner=partner, starts_at=timezone.now() + timedelta(minutes=5))


def test_a_coordinator_sees_what_needs_them(page_for, coordinator, partner):
    a_busy_partner(partner, 1)
    response = page_for(coordinator).get(HOME)
    assert response.status_code == 200
    part = part_of(response)
    assert len(part["supervision"]["items"]) == 1  # the session's supervisee became active today: not due yet
    assert len(part["incidents"]["items"]) == 2
    assert len(part["awaiting_activation"]["items"]) == 2
    assert len(part["pause_reviews"]["items"]) == 1
    assert part["this_week"]["count"] == 1
    assert part["licence"]["in_force"]
    page = html(response)
    for heading in ("Supervision overdue or due soon", "Incidents awaiting review", "Mentors waiting for activation"):
        assert heading in page


def test_overdue_supervision_is_marked_in_words_and_links_to_the_person(page_for, coordinator, partner):
    mentor = an_overdue_mentor(partner, name="Olive Overdue")
    page = html(page_for(coordinator).get(HOME))
    assert f'href="{reverse("person-detail", args=["northside", mentor.pk])}">Olive Overdue</a>' in page
    assert 'class="overdue"' in page and "Overdue" in page


def test_an_incident_past_its_review_deadline_is_overdue_in_red_and_in_words(page_for, coordinator, partner):
    late = BoundaryIncidentFactory(partner=partner, review_due_at=timezone.now() - timedelta(hours=1))
    on_time = BoundaryIncidentFactory(partner=partner)
    response = page_for(coordinator).get(HOME)
    items = {item["due_at"]: item for item in part_of(response)["incidents"]["items"]}
    assert items[late.review_due_at]["overdue"] and not items[on_time.review_due_at]["overdue"]
    page = html(response)
    assert '<li class="overdue">' in page and "review was due" in page and "review by" in page
    assert late.description not in page  # the home never shows what happened


def test_incidents_link_to_their_page_when_it_exists(page_for, coordinator, partner):
    incident = BoundaryIncidentFactory(partner=partner)
    item = part_of(page_for(coordinator).get(HOME))["incidents"]["items"][0]
    try:
        expected = reverse("incident-detail", args=["northside", incident.pk])
    except NoReverseMatch:
        expected = None
    assert item["url"] == expected


def test_closed_and_reviewed_incidents_are_not_waiting(page_for, coordinator, partner):
    BoundaryIncidentFactory(partner=partner, under_review=True)
    BoundaryIncidentFactory(partner=partner, closed=True)
    assert part_of(page_for(coordinator).get(HOME))["incidents"]["items"] == []


def test_mentors_waiting_for_activation_show_each_unmet_requirement_in_words(page_for, coordinator, partner):
    PersonFactory(partner=partner, name="Shona Shadow", shadowing=True)
    page = html(page_for(coordinator).get(HOME))
    assert "Shona Shadow" in page
    assert "Shona Shadow has shadowed 0 hours; the policy asks for" in page
    assert "The policy asks for a background check; none is recorded for Shona Shadow." in page


def test_pause_reviews_due_are_listed_and_later_ones_are_not(page_for, coordinator, partner):
    PersonFactory(partner=partner, name="Paula Due", paused=True, pause_review_on=timezone.localdate())
    PersonFactory(partner=partner, name="Percy Later", paused=True)
    names = [item["name"] for item in part_of(page_for(coordinator).get(HOME))["pause_reviews"]["items"]]
    assert names == ["Paula Due"]


def test_unacknowledged_policy_is_counted(page_for, coordinator, partner):
    PolicyVersionFactory(partner=partner)
    acknowledge(PersonFactory(partner=partner, active_mentor=True))
    PersonFactory(partner=partner, active_mentor=True)
    PersonFactory(partner=partner, exited=True)
    response = page_for(coordinator).get(HOME)
    assert part_of(response)["unacknowledged"]["count"] == 1
    assert "<strong>1</strong> person has not acknowledged the policy in force" in html(response)


def test_the_home_names_the_mentors_supervisors_and_trainers_who_have_not_acknowledged(page_for, coordinator, partner):
    from franchise.models import Role
    from tests.factories import user_with_role

    PolicyVersionFactory(partner=partner)
    PersonFactory(partner=partner, active_mentor=True, name="Mo Mentor")
    supervisor = user_with_role(Role.SUPERVISOR, partner, email="sue@example.org")
    sue = PersonFactory(partner=partner, user=supervisor, name="Sue Supervisor", mentor_status=None)
    acknowledge(PersonFactory(partner=partner, active_mentor=True, name="Rea Read"))
    PersonFactory(partner=partner, mentor_status=None, name="Lee Learner")  # studies, holds no role

    response = page_for(coordinator).get(HOME)

    unacknowledged = part_of(response)["unacknowledged"]
    assert [item["name"] for item in unacknowledged["items"]] == ["Mo Mentor", "Sue Supervisor"]
    assert unacknowledged["count"] == 2
    assert f'<a href="/northside/people/{sue.pk}/">Sue Supervisor</a>' in html(response)


def test_the_unacknowledged_list_stops_at_ten_and_says_how_many_more(page_for, coordinator, partner):
    PolicyVersionFactory(partner=partner)
    for n in range(12):
        PersonFactory(partner=partner, active_mentor=True, name=f"Mentor {n:02d}")

    response = page_for(coordinator).get(HOME)

    unacknowledged = part_of(response)["unacknowledged"]
    assert (len(unacknowledged["items"]), unacknowledged["more"], unacknowledged["count"]) == (10, 2, 12)
    assert "and 2 more" in html(response)


def test_the_licence_status_and_end_date_are_shown(page_for, coordinator, partner):
    licence = LicenceFactory(partner=partner, reference="LIC-NS-1")
    page = html(page_for(coordinator).get(HOME))
    assert "Licence LIC-NS-1" in page and "Active" in page
    assert f"ends {licence.ends_on.day} " in page


def test_no_licence_is_said_in_words(page_for, coordinator):
    assert "The partner holds no licence" in html(page_for(coordinator).get(HOME))


def test_nothing_of_another_partner_shows(page_for, coordinator, partner, other_partner):
    a_busy_partner(other_partner, 1)
    part = part_of(page_for(coordinator).get(HOME))
    assert part["supervision"]["items"] == [] and part["incidents"]["items"] == []
    assert part["awaiting_activation"]["items"] == [] and part["this_week"]["count"] == 0


@pytest.mark.parametrize("role", ["supervisor", "trainer", "mentor_user"])
def test_other_roles_do_not_get_the_coordinators_part(page_for, request, role):
    response = page_for(request.getfixturevalue(role)).get(HOME)
    assert response.status_code == 200
    assert "today-coordinator" not in html(response)


def _home_queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200
    return len(captured)


def test_the_home_runs_the_same_queries_for_a_small_and_a_large_partner(page_for, coordinator, partner):
    client = page_for(coordinator)
    a_busy_partner(partner, 1)
    small = _home_queries(client)
    a_busy_partner(partner, 14)
    part = part_of(client.get(HOME))
    assert part["incidents"]["more"] > 0 and part["awaiting_activation"]["more"] > 0
    assert part["unacknowledged"]["more"] > 0
    assert _home_queries(client) == small
