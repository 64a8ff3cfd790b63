"""The incident pages: who sees which incident, reporting one, and the detail that is logged like the API's."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchise import services
from supervision.models import BoundaryIncident, IncidentAccess, IncidentAction, IncidentTransition
from tests.franchise.devices import enrolled
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    IncidentActionFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
)

pytestmark = pytest.mark.django_db

DESCRIPTION = "Texted the mentee from a personal phone late in the evening."


@pytest.fixture
def mentor(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, name="Mo Mentor", active_mentor=True)


@pytest.fixture
def rule(partner):
    return BoundaryRuleFactory(partner=partner, code="NS-1", title="Meet only in agreed places")


def list_url(slug="northside", **query):
    url = reverse("incidents", args=[slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def detail_url(incident):
    return reverse("incident-detail", args=[incident.partner.slug, incident.pk])


def incident_of(partner, **fields):
    fields.setdefault("description", DESCRIPTION)
    return BoundaryIncidentFactory(partner=partner, **fields)


# --- the list --------------------------------------------------------------------------


def test_coordinator_lists_every_incident_of_the_partner_without_descriptions(page_for, coordinator, partner):
    incident_of(partner, mentor__name="Alice Ahmed")
    incident_of(partner, mentor__name="Bea Brown")

    response = page_for(coordinator).get(list_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Ahmed" in page and "Bea Brown" in page
    assert DESCRIPTION not in page


def test_a_mentor_sees_only_the_incidents_they_reported(page_for, partner, mentor_user, mentor):
    incident_of(partner, reporter=mentor_user, mentor=mentor, rule__title="Own report")
    incident_of(partner, mentor__name="Somebody Else", rule__title="Someone else's report")

    response = page_for(mentor_user).get(list_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Own report" in page
    assert "Someone else&#x27;s report" not in page and "Somebody Else" not in page


def test_a_supervisor_sees_their_own_reports_only_when_the_policy_keeps_incidents_from_supervisors(
    page_for, partner, supervisor
):
    incident_of(partner, reporter=supervisor, rule__title="Reported by the supervisor")
    incident_of(partner, rule__title="Reported by another")

    page = page_for(supervisor).get(list_url()).content.decode()

    assert "Reported by the supervisor" in page
    assert "Reported by another" not in page


def test_where_the_policy_allows_it_a_supervisor_sees_the_incidents_of_their_supervisees(
    page_for, partner, supervisor, coordinator
):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervisors_see_incidents": True})
    me = PersonFactory(partner=partner, user=supervisor, name="Sam Supervisor")
    supervisee = SupervisionAssignmentFactory(partner=partner, supervisor=me).supervisee
    theirs = incident_of(partner, mentor=supervisee, rule__title="About my supervisee")
    incident_of(partner, rule__title="About someone else")
    client = page_for(supervisor)

    page = client.get(list_url()).content.decode()

    assert "About my supervisee" in page and "About someone else" not in page
    assert client.get(detail_url(theirs)).status_code == 200
    assert IncidentAccess.objects.filter(incident=theirs, user=supervisor, action="read").count() == 1


def test_another_partners_coordinator_gets_404(page_for, other_coordinator, partner):
    incident = incident_of(partner)
    client = page_for(other_coordinator)

    assert client.get(list_url()).status_code == 404
    assert client.get(detail_url(incident)).status_code == 404
    transition = reverse("incident-transition", args=["northside", incident.pk])
    assert client.post(transition, {"to": "under_review", "note": "x"}).status_code == 404


def test_a_foreign_incident_is_404_on_the_forms_routes_too(page_for, coordinator, other_partner, partner):
    foreign = incident_of(other_partner)
    client = page_for(coordinator)

    for name in ("incident-detail", "incident-transition", "incident-action-add", "incident-action-done"):
        assert client.get(reverse(name, args=["northside", foreign.pk])).status_code == 404, name
    assert client.get(reverse("incident-transition", args=["northside", incident_of(partner).pk])).status_code == 405


def test_an_overdue_review_is_marked_in_red_and_in_words(page_for, coordinator, partner):
    incident_of(partner, review_due_at=timezone.now() - timedelta(hours=3))

    page = page_for(coordinator).get(list_url()).content.decode()

    assert 'class="overdue"' in page
    assert "overdue" in page


def test_the_list_filters_by_status_and_severity(page_for, coordinator, partner):
    incident_of(partner, closed=True, rule__title="Closed one")
    incident_of(partner, critical=True, rule__title="Critical one")

    by_status = page_for(coordinator).get(list_url(status="closed")).content.decode()
    by_severity = page_for(coordinator).get(list_url(severity="critical")).content.decode()

    assert "Closed one" in by_status and "Critical one" not in by_status
    assert "Critical one" in by_severity and "Closed one" not in by_severity


def test_the_list_runs_the_same_queries_for_few_and_many_incidents(page_for, coordinator, partner):
    client = page_for(coordinator)
    incident_of(partner)
    client.get(list_url())  # session and caches warm

    with CaptureQueriesContext(connection) as few:
        assert client.get(list_url()).status_code == 200
    for _ in range(24):
        incident_of(partner)
    with CaptureQueriesContext(connection) as many:
        assert client.get(list_url()).status_code == 200

    assert len(many) == len(few)


# --- reporting -------------------------------------------------------------------------


def test_the_report_form_groups_the_policys_rules_by_category(page_for, mentor_user, mentor, rule):
    response = page_for(mentor_user).get(reverse("incident-new", args=["northside"]))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<optgroup label="Contact">' in page
    assert "NS-1 — Meet only in agreed places" in page


def test_a_mentor_reports_an_incident_and_lands_on_it(page_for, mentor_user, mentor, rule, partner):
    client = page_for(mentor_user)
    occurred = timezone.localtime() - timedelta(days=1)

    response = client.post(
        reverse("incident-new", args=["northside"]),
        {
            "rule": str(rule.pk),
            "mentor": str(mentor.pk),
            "severity": "low",
            "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
            "description": "I nearly texted my mentee on a Sunday.",
            "immediate_action": "",
        },
    )

    incident = BoundaryIncident.objects.get()
    assert incident.reporter == mentor_user and incident.mentor == mentor and incident.rule == rule
    assert response.status_code == 302
    assert response["Location"] == detail_url(incident)
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "I nearly texted my mentee on a Sunday." in detail.content.decode()


def test_a_report_without_a_description_is_refused_next_to_the_field_and_nothing_is_written(
    page_for, mentor_user, mentor, rule
):
    response = page_for(mentor_user).post(
        reverse("incident-new", args=["northside"]),
        {
            "rule": str(rule.pk),
            "mentor": str(mentor.pk),
            "severity": "low",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "description": "",
        },
    )

    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert not BoundaryIncident.objects.exists()


def test_a_report_dated_in_the_future_is_refused_by_the_domain(page_for, coordinator, partner, rule):
    mentor = PersonFactory(partner=partner, active_mentor=True)

    response = page_for(coordinator).post(
        reverse("incident-new", args=["northside"]),
        {
            "rule": str(rule.pk),
            "mentor": str(mentor.pk),
            "severity": "low",
            "occurred_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "description": "Something.",
        },
    )

    assert response.status_code == 400
    assert "cannot have occurred in the future" in str(response.context["form"].errors["occurred_at"])
    assert not BoundaryIncident.objects.exists()


# --- one incident ----------------------------------------------------------------------


def test_each_view_of_the_detail_writes_one_read_to_the_access_log(page_for, coordinator, partner):
    incident = incident_of(partner)
    client = page_for(coordinator)

    response = client.get(detail_url(incident))

    assert response.status_code == 200
    assert DESCRIPTION in response.content.decode()
    reads = IncidentAccess.objects.filter(incident=incident, action=IncidentAccess.Action.READ)
    assert [(row.user, row.action) for row in reads] == [(coordinator, "read")]
    client.get(detail_url(incident))
    assert reads.all().count() == 2


def test_the_coordinator_sees_the_access_log_and_the_mentor_does_not(
    page_for, coordinator, partner, mentor_user, mentor
):
    incident = incident_of(partner, reporter=mentor_user, mentor=mentor)

    coordinator_page = page_for(coordinator).get(detail_url(incident)).content.decode()
    mentor_page = page_for(mentor_user).get(detail_url(incident)).content.decode()

    assert "Access log" in coordinator_page
    assert "Access log" not in mentor_page
    assert DESCRIPTION in mentor_page


def test_a_mentor_gets_404_for_an_incident_they_did_not_report(page_for, partner, mentor_user, mentor):
    incident = incident_of(partner)

    assert page_for(mentor_user).get(detail_url(incident)).status_code == 404
    assert not IncidentAccess.objects.filter(incident=incident, action="read").exists()


def test_without_two_factor_where_the_policy_asks_for_it_the_detail_is_refused_and_nothing_logged(
    page_for, coordinator, partner
):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"requires_two_factor": True})
    incident = incident_of(partner)

    response = page_for(coordinator).get(detail_url(incident))

    assert response.status_code == 403
    page = response.content.decode()
    assert "two-factor sign-in" in page
    assert DESCRIPTION not in page
    assert not IncidentAccess.objects.filter(incident=incident, action="read").exists()


def test_with_a_confirmed_device_the_two_factor_policy_lets_the_coordinator_read(page_for, coordinator, partner):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"requires_two_factor": True})
    enrolled(coordinator)
    incident = incident_of(partner)

    assert page_for(coordinator).get(detail_url(incident)).status_code == 200
    assert IncidentAccess.objects.filter(incident=incident, action="read").count() == 1


def test_only_the_allowed_moves_are_offered(page_for, coordinator, partner):
    incident = incident_of(partner)

    page = page_for(coordinator).get(detail_url(incident)).content.decode()

    assert 'value="under_review"' in page and 'value="escalated"' in page
    assert 'value="closed"' not in page and 'value="action_agreed"' not in page


def test_an_illegal_move_posted_anyway_is_refused_naming_the_allowed_ones(page_for, coordinator, partner):
    incident = incident_of(partner)

    response = page_for(coordinator).post(
        reverse("incident-transition", args=["northside", incident.pk]), {"to": "closed", "note": "Done."}
    )

    assert response.status_code == 409
    message = str(response.context["transition_form"].errors["to"])
    assert "cannot move to closed" in message
    assert "under review" in message and "escalated" in message
    incident.refresh_from_db()
    assert incident.status == "reported"
    assert not IncidentTransition.objects.exists()


def test_a_coordinator_moves_the_incident_on_with_a_note(page_for, coordinator, partner):
    incident = incident_of(partner)

    response = page_for(coordinator).post(
        reverse("incident-transition", args=["northside", incident.pk]),
        {"to": "under_review", "note": "Spoke to the mentor."},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "under_review"
    move = IncidentTransition.objects.get()
    assert (move.by, move.note) == (coordinator, "Spoke to the mentor.")
    page = page_for(coordinator).get(detail_url(incident)).content.decode()
    assert "Spoke to the mentor." in page


def test_a_mentor_may_not_move_their_own_report_on(page_for, partner, mentor_user, mentor):
    incident = incident_of(partner, reporter=mentor_user, mentor=mentor)

    response = page_for(mentor_user).post(
        reverse("incident-transition", args=["northside", incident.pk]), {"to": "under_review", "note": "x"}
    )

    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_a_coordinator_adds_an_action_and_marks_it_done(page_for, coordinator, partner):
    incident = incident_of(partner, under_review=True)
    client = page_for(coordinator)
    due = timezone.localdate() + timedelta(days=7)

    added = client.post(
        reverse("incident-action-add", args=["northside", incident.pk]),
        {"description": "Refresher on contact rules.", "owner": str(incident.mentor.pk), "due_on": due.isoformat()},
    )
    action = IncidentAction.objects.get()
    done = client.post(reverse("incident-action-done", args=["northside", incident.pk]), {"action": str(action.pk)})

    assert (added.status_code, done.status_code) == (302, 302)
    action.refresh_from_db()
    assert action.owner == incident.mentor and action.due_on == due and action.done_at is not None


def test_an_action_of_another_incident_is_not_found(page_for, coordinator, partner):
    incident = incident_of(partner, under_review=True)
    elsewhere = IncidentActionFactory(partner=partner)

    response = page_for(coordinator).post(
        reverse("incident-action-done", args=["northside", incident.pk]), {"action": str(elsewhere.pk)}
    )

    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.done_at is None


def test_marking_done_without_saying_which_action_is_a_400_that_says_so(page_for, coordinator, partner):
    incident = incident_of(partner, under_review=True)

    response = page_for(coordinator).post(reverse("incident-action-done", args=["northside", incident.pk]), {})

    assert response.status_code == 400
    assert "Say which action is done." in response.content.decode()
