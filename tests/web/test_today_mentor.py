"""The mentor's part of a partner's home, made for a phone: sessions, calendar link, policy, shadowing,
incidents, records to confirm, reminders."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchise.models import Role
from franchise.services.policy import ensure_policy_version
from reminders.models import Kind
from supervision.models import Person
from tests.factories import MembershipFactory, user_with_role
from tests.franchise.factories import BoundaryRuleFactory, PolicyAcknowledgementFactory
from tests.reminders.factories import ReminderFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    PersonFactory,
    ShadowingLogFactory,
    SupervisionSessionFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    """What a person reads: the page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def home(partner):
    return reverse("partner-home", args=[partner.slug])


@pytest.fixture
def me(partner, mentor_user):
    return PersonFactory(
        partner=partner, user=mentor_user, name="Mo Mentor", email=mentor_user.email, active_mentor=True
    )


@pytest.fixture
def supervisor_person(partner):
    return PersonFactory(partner=partner, staff=True, name="Sam Supervisor")


def test_shows_the_next_sessions_with_date_time_place_and_whom(page_for, mentor_user, me, supervisor_person):
    starts = (timezone.localtime() + timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
    SupervisionSessionFactory(
        partner=me.partner,
        supervisor=supervisor_person,
        supervisee=me,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        location="Room 4, the centre",
    )

    response = page_for(mentor_user).get(home(me.partner))

    assert response.status_code == 200
    page = text(response)
    assert "As mentor" in page
    assert f"{starts:%A} {starts.day} {starts:%B}" in page
    assert "14:30–15:30" in page
    assert "1:1 supervision with Sam Supervisor" in page
    assert "Where: Room 4, the centre" in page


def test_a_mentor_sees_only_their_own_sessions(page_for, partner, mentor_user, me):
    SupervisionSessionFactory(partner=partner, location="Someone else's room")

    page = text(page_for(mentor_user).get(home(partner)))

    assert "Someone else's room" not in page
    assert "No sessions are booked for you yet" in page


def test_the_calendar_link_is_in_a_read_only_field_with_a_copy_button(page_for, mentor_user, me):
    page = page_for(mentor_user).get(home(me.partner)).content.decode()

    assert f'id="my-calendar-url" value="{me.calendar_url}" readonly' in page
    assert '<label for="my-calendar-url">Your calendar link</label>' in page
    assert 'data-copy="my-calendar-url">Copy link</button>' in page
    assert "Subscribe from web" in page
    assert "From URL" in page


def test_a_policy_not_yet_acknowledged_shows_its_boundary_rules_and_the_form(
    page_for, partner, coordinator, mentor_user, me
):
    BoundaryRuleFactory(partner=partner, title="Meet only at the centre", description="Never at home.")
    version = ensure_policy_version(partner, by=coordinator)

    page = text(page_for(mentor_user).get(home(partner)))

    assert f"Version {version.number} of the policy is in force, and you have not acknowledged it yet" in page
    assert "Meet only at the centre Never at home." in page
    if "policy-acknowledge" in _names():
        assert "I have read the policy" in page


def test_an_acknowledged_policy_says_which_version_and_when(page_for, partner, coordinator, mentor_user, me):
    version = ensure_policy_version(partner, by=coordinator)
    acknowledged = PolicyAcknowledgementFactory(partner=partner, policy_version=version, person=me)

    page = text(page_for(mentor_user).get(home(partner)))

    when = timezone.localtime(acknowledged.acknowledged_at)
    assert f"You acknowledged version {version.number} on {when.day} {when:%B %Y}" in page
    assert "I have read the policy" not in page


def test_shadowing_hours_are_shown_against_what_the_policy_asks(page_for, partner, mentor_user):
    person = PersonFactory(partner=partner, user=mentor_user, shadowing=True)
    ShadowingLogFactory(partner=partner, mentor=person, hours=Decimal("3.5"))

    page = text(page_for(mentor_user).get(home(partner)))

    assert re.search(r"Not yet You have shadowed 3.5 hours; the policy asks for \d+", page)


def test_only_their_own_incident_reports_are_counted(page_for, partner, other_partner, mentor_user, me):
    BoundaryIncidentFactory(partner=partner, reporter=mentor_user, mentor=me)
    BoundaryIncidentFactory(partner=partner, reporter=mentor_user, mentor=me)
    BoundaryIncidentFactory(partner=partner)
    MembershipFactory(user=mentor_user, partner=other_partner, role=Role.MENTOR)
    BoundaryIncidentFactory(partner=other_partner, reporter=mentor_user)

    page = text(page_for(mentor_user).get(home(partner)))

    if "incidents" in _names():
        assert "Your reports (2)" in page
    else:
        assert "You have made 2 reports." in page


def test_held_records_waiting_for_confirmation_are_listed(page_for, partner, mentor_user, me, supervisor_person):
    waiting = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=me, held=True)
    SupervisionSessionFactory(
        partner=partner,
        supervisor=supervisor_person,
        supervisee=me,
        held=True,
        starts_at=timezone.now() - timedelta(days=30),
        confirmed_at=timezone.now(),
    )

    page = text(page_for(mentor_user).get(home(partner)))

    when = timezone.localtime(waiting.starts_at)
    assert f"1:1 on {when.day} {when:%B %Y} with Sam Supervisor" in page
    assert page.count("1:1 on ") == 1


def test_their_reminders_are_listed_and_no_one_elses(page_for, partner, other_partner, mentor_user, me):
    ReminderFactory(partner=partner, recipient_user=mentor_user, kind=Kind.SESSION_UPCOMING, sent=True)
    ReminderFactory(partner=partner, kind=Kind.PAUSE_REVIEW)
    MembershipFactory(user=mentor_user, partner=other_partner, role=Role.MENTOR)
    ReminderFactory(partner=other_partner, recipient_user=mentor_user, kind=Kind.SESSION_MOVED)

    page = text(page_for(mentor_user).get(home(partner)))

    assert "Supervision session coming up Sent" in page
    assert "Mentor pause review" not in page
    assert "Supervision session moved" not in page


def test_a_reminder_about_a_session_says_which_session(page_for, partner, mentor_user, me, supervisor_person):
    session = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=me)
    ReminderFactory(partner=partner, recipient_user=mentor_user, kind=Kind.SESSION_MOVED, subject=session)

    page = text(page_for(mentor_user).get(home(partner)))

    when = timezone.localtime(session.starts_at)
    assert f"Supervision session moved: the session of {when:%A} {when.day} {when:%B, %H:%M}" in page


def test_a_mentor_without_a_person_here_gets_a_plain_explanation(page_for, partner, mentor_user):
    response = page_for(mentor_user).get(home(partner))

    assert response.status_code == 200
    assert "Your sign-in is not linked to a mentor's record at Northside Women" in text(response)
    assert "my-calendar-url" not in response.content.decode()


def test_a_mentor_who_has_exited_sees_the_explanation_not_their_old_records(page_for, partner, mentor_user):
    PersonFactory(partner=partner, user=mentor_user, exited=True)

    page = text(page_for(mentor_user).get(home(partner)))

    assert "Your sign-in is not linked to a mentor's record" in page


def test_a_coordinator_sees_no_mentor_part(page_for, partner, coordinator):
    assert "As mentor" not in text(page_for(coordinator).get(home(partner)))


def test_another_partners_mentor_gets_404(page_for, partner, other_partner):
    outsider = user_with_role(Role.MENTOR, other_partner)

    assert page_for(outsider).get(home(partner)).status_code == 404


# --- a new calendar link ----------------------------------------------------------------------------


def regenerate(partner):
    return reverse("my-calendar-regenerate", args=[partner.slug])


def test_making_a_new_calendar_link_stops_the_old_one(page_for, mentor_user, me):
    old = me.calendar_url

    response = page_for(mentor_user).post(regenerate(me.partner), follow=True)

    me.refresh_from_db()
    assert me.calendar_url != old
    assert "Here is your new calendar link" in text(response)
    assert me.calendar_url in response.content.decode()


def test_a_new_calendar_link_is_a_post_only(page_for, mentor_user, me):
    old = me.calendar_secret

    assert page_for(mentor_user).get(regenerate(me.partner)).status_code == 405
    me.refresh_from_db()
    assert me.calendar_secret == old


def test_no_new_calendar_link_without_a_person_here(page_for, partner, mentor_user):
    assert page_for(mentor_user).post(regenerate(partner)).status_code == 404


def test_no_new_calendar_link_in_another_partner(page_for, partner, other_partner, me):
    outsider = user_with_role(Role.MENTOR, other_partner)
    PersonFactory(partner=other_partner, user=outsider)
    old = me.calendar_secret

    assert page_for(outsider).post(regenerate(partner)).status_code == 404
    me.refresh_from_db()
    assert me.calendar_secret == old


def test_the_form_needs_its_csrf_token(partner, mentor_user, me):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(mentor_user)

    assert client.post(regenerate(partner)).status_code == 403


# --- cost ---------------------------------------------------------------------------------------------


def _names():
    from django.urls import get_resolver

    return {name for name in get_resolver().reverse_dict if isinstance(name, str)}


def _rows(me, supervisor_person, count):
    partner = me.partner
    for n in range(count):
        upcoming = SupervisionSessionFactory(
            partner=partner,
            supervisor=supervisor_person,
            supervisee=me,
            starts_at=timezone.now() + timedelta(days=2 + n, hours=1),
        )
        SupervisionSessionFactory(
            partner=partner,
            supervisor=supervisor_person,
            supervisee=me,
            held=True,
            starts_at=timezone.now() - timedelta(days=7 + n),
        )
        ReminderFactory(
            partner=partner, recipient_user=me.user, kind=Kind.SESSION_UPCOMING, subject=upcoming, sent=True
        )
        BoundaryIncidentFactory(partner=partner, reporter=me.user, mentor=me)
        ShadowingLogFactory(partner=partner, mentor=me, shadowed=supervisor_person, hours=Decimal("1"))


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_mentors_records(page_for, partner, coordinator, mentor_user, me):
    supervisor_person = PersonFactory(partner=partner, staff=True)
    ensure_policy_version(partner, by=coordinator)
    client = page_for(mentor_user)
    _rows(me, supervisor_person, 1)
    few = _queries(client, home(partner))
    _rows(me, supervisor_person, 20)
    many = _queries(client, home(partner))

    assert Person.objects.get(pk=me.pk).session_attendances.count() == 42
    assert many == few


def test_the_demo_mentor_sees_real_items(demo, page_for):
    mentor = demo["mentor_users"]["northside"]
    assert mentor.email == "mentor@northside.example"

    page = text(page_for(mentor).get(home(demo["northside"])))

    assert "1:1 supervision with" in page
    assert "Peer supervision: Tuesday evening peer group" in page
    assert "Supervision session moved" in page
    assert "You acknowledged version" in page
    assert "1:1 on " in page
    assert "Your reports (1)" in page or "You have made 1 report" in page
    assert "No sessions are booked for you yet" not in page


def test_the_acknowledge_form_posts_the_version_to_the_policy_page(page_for, partner, coordinator, mentor_user, me):
    version = ensure_policy_version(partner, by=coordinator)
    if "policy-acknowledge" not in _names():
        pytest.skip("The policy pages are not there yet.")

    page = page_for(mentor_user).get(home(partner)).content.decode()

    assert f'action="{reverse("policy-acknowledge", args=[partner.slug])}"' in page
    assert f'name="version" value="{version.number}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_report_an_incident_and_a_record_to_confirm_are_links(page_for, partner, mentor_user, me, supervisor_person):
    waiting = SupervisionSessionFactory(partner=partner, supervisor=supervisor_person, supervisee=me, held=True)
    if not {"incident-new", "session-detail"} <= _names():
        pytest.skip("The incident and session pages are not there yet.")

    page = page_for(mentor_user).get(home(partner)).content.decode()

    assert f'href="{reverse("incident-new", args=[partner.slug])}">Report a boundary incident' in page
    assert f'href="{reverse("session-detail", args=[partner.slug, waiting.pk])}">1:1 on' in page
