"""HTTP of peer groups, supervision sessions, series, actions and compliance: status codes, field names, who may
do what, and query counts. The rules themselves are tested in tests/supervision/sessions/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from supervision.models import SessionAction, SupervisionGroup, SupervisionSeries, SupervisionSession
from tests.factories import PartnerFactory
from tests.supervision.factories import (
    PersonFactory,
    SessionActionFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import at, days_from_now, mentors, person_of, set_policy

pytestmark = pytest.mark.django_db

GROUPS = "/api/v1/supervision-groups/"
SESSIONS = "/api/v1/supervision-sessions/"
SERIES = "/api/v1/supervision-series/"
ACTIONS = "/api/v1/supervision-actions/"
COMPLIANCE = "/api/v1/compliance/supervision/"

GROUP_FIELDS = {
    "id",
    "partner",
    "name",
    "kind",
    "status",
    "rrule",
    "guest_partners",
    "members",
    "invitations",
    "calendar_url",
    "activated_at",
    "closed_at",
}
SESSION_FIELDS = {
    "id",
    "partner",
    "kind",
    "group",
    "supervisor",
    "supervisee",
    "facilitator",
    "series",
    "starts_at",
    "ends_at",
    "location",
    "status",
    "sequence",
    "attendees",
    "process",
    "toolkit_process",
    "notes",
    "recorded_at",
    "confirmed_at",
    "supervisee_comment",
    "cancelled_at",
    "cancel_reason",
    "updated_at",
}


def _ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- groups -------------------------------------------------------------------------------


def test_a_coordinator_creates_a_group(client_for, coordinator, partner):
    response = client_for(coordinator).post(
        GROUPS, {"partner": str(partner.pk), "name": "Tuesday peers", "rrule": "FREQ=MONTHLY;BYDAY=1TU"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == GROUP_FIELDS
    assert (body["kind"], body["status"], body["members"]) == ("internal", "forming", [])
    assert body["calendar_url"].startswith("https://tandem.test/calendar/group/")


def test_a_mentor_may_not_create_a_group(client_for, mentor_user, partner):
    response = client_for(mentor_user).post(GROUPS, {"partner": str(partner.pk), "name": "Ours"})

    assert response.status_code == 403
    assert not SupervisionGroup.objects.exists()


def test_a_group_of_an_unknown_partner_is_not_found(client_for, coordinator, other_partner):
    response = client_for(coordinator).post(GROUPS, {"partner": str(other_partner.pk), "name": "Theirs"})

    assert response.status_code == 404


def test_members_are_added_and_removed(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner)
    person = PersonFactory(partner=partner, active_mentor=True)
    client = client_for(coordinator)

    added = client.post(f"{GROUPS}{group.pk}/members/", {"person": str(person.pk)})

    assert added.status_code == 201, added.content
    [member] = added.json()["members"]
    assert set(member) == {"person", "name", "opted_in_at", "opt_in", "consented"}
    assert member["person"] == str(person.pk)

    removed = client.delete(f"{GROUPS}{group.pk}/members/{person.pk}/")
    assert removed.status_code == 200
    assert removed.json()["members"] == []


def test_adding_someone_outside_the_callers_people_is_refused_like_a_missing_id(
    client_for, coordinator, partner, other_partner
):
    group = SupervisionGroupFactory(partner=partner, external=True)
    group.guest_partners.add(other_partner)

    response = client_for(coordinator).post(
        f"{GROUPS}{group.pk}/members/", {"person": str(PersonFactory(partner=other_partner).pk)}
    )

    assert response.status_code == 400
    assert "person" in response.json()
    assert not group.memberships.exists()


def test_removing_a_non_member_is_not_found(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner)

    assert client_for(coordinator).delete(f"{GROUPS}{group.pk}/members/not-an-id/").status_code == 404


def test_activation_answers_unmet_rules(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner, members=mentors(partner, 1) + mentors(partner, 2, trained=False))

    response = client_for(coordinator).post(f"{GROUPS}{group.pk}/activate/")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["group_too_small", "trained_majority"]
    group.refresh_from_db()
    assert group.status == "forming"


def test_activation_then_a_second_activation_is_a_409(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner, members=mentors(partner, 4))
    client = client_for(coordinator)

    assert client.post(f"{GROUPS}{group.pk}/activate/").json()["status"] == "active"
    again = client.post(f"{GROUPS}{group.pk}/activate/")
    assert again.status_code == 409
    assert again.json()["allowed"] == ["closed"]


def test_a_member_change_breaking_an_active_groups_rule_is_a_400_with_unmet(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner, active=True, members=mentors(partner, 4))
    leaving = group.memberships.first().person

    response = client_for(coordinator).delete(f"{GROUPS}{group.pk}/members/{leaving.pk}/")

    assert response.status_code == 400
    assert response.json()["unmet"][0]["code"] == "group_too_small"
    assert group.memberships.count() == 4


def test_a_guest_partner_sees_the_external_group_and_puts_its_own_person_forward(
    client_for, partner, other_partner, other_coordinator, coordinator
):
    third = PartnerFactory()
    group = SupervisionGroupFactory(partner=partner, external=True, members=mentors(partner, 2))
    group.guest_partners.add(other_partner, third)
    guest = PersonFactory(partner=other_partner, active_mentor=True)
    client = client_for(other_coordinator)

    listed = client.get(GROUPS)
    assert _ids(listed) == {str(group.pk)}
    # The guest sees itself among the guests, not the other guest partners.
    assert listed.json()["results"][0]["guest_partners"] == [str(other_partner.pk)]

    added = client.post(f"{GROUPS}{group.pk}/members/", {"person": str(guest.pk)})
    assert added.status_code == 201, added.content
    assert {m["name"] for m in added.json()["members"]} >= {guest.name}

    owner_view = client_for(coordinator).get(f"{GROUPS}{group.pk}/").json()
    assert set(owner_view["guest_partners"]) == {str(other_partner.pk), str(third.pk)}


def test_a_partner_that_is_not_a_guest_does_not_see_an_external_group(client_for, partner, other_coordinator):
    group = SupervisionGroupFactory(partner=partner, external=True)

    assert client_for(other_coordinator).get(f"{GROUPS}{group.pk}/").status_code == 404


def test_the_group_calendar_secret_can_be_regenerated(client_for, coordinator, partner):
    group = SupervisionGroupFactory(partner=partner)
    client = client_for(coordinator)
    before = client.get(f"{GROUPS}{group.pk}/").json()["calendar_url"]

    after = client.post(f"{GROUPS}{group.pk}/calendar/regenerate/").json()["calendar_url"]

    assert after != before


@pytest.mark.parametrize("count", [3, 30])
def test_the_group_list_runs_a_constant_number_of_queries(
    token_client_for, coordinator, partner, count, django_assert_max_num_queries
):
    for _ in range(count):
        SupervisionGroupFactory(partner=partner, members=2)
    client = token_client_for(coordinator)

    # token + memberships + count + page + members + pending invitations + guest partners
    with django_assert_max_num_queries(7):
        response = client.get(GROUPS, {"page_size": 200})

    assert response.json()["count"] == count


# --- sessions -------------------------------------------------------------------------------


@pytest.fixture
def pair(partner, supervisor, mentor_user):
    return person_of(supervisor, partner), person_of(mentor_user, partner, active_mentor=True)


def _book(client, partner, pair, day=2, hour=10):
    supervisor, supervisee = pair
    return client.post(
        SESSIONS,
        {
            "partner": str(partner.pk),
            "kind": "one_to_one",
            "supervisor": str(supervisor.pk),
            "supervisee": str(supervisee.pk),
            "starts_at": days_from_now(day, hour).isoformat(),
            "ends_at": days_from_now(day, hour + 1).isoformat(),
            "location": "Room 2",
        },
    )


def test_a_coordinator_books_a_one_to_one(client_for, coordinator, partner, pair):
    response = _book(client_for(coordinator), partner, pair)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert body["status"] == "scheduled"
    assert {a["person"] for a in body["attendees"]} == {str(p.pk) for p in pair}
    assert {a["attendance"] for a in body["attendees"]} == {None}


def test_a_clash_is_a_400_naming_the_person_and_the_other_session(client_for, coordinator, partner, pair):
    client = client_for(coordinator)
    first = _book(client, partner, pair).json()

    response = _book(client, partner, pair)

    assert response.status_code == 400
    [message] = response.json()["attendees"]
    assert first["id"] in message
    assert pair[0].name in message or pair[1].name in message
    assert SupervisionSession.objects.count() == 1


def test_a_mentor_may_not_book(client_for, mentor_user, partner, pair):
    assert _book(client_for(mentor_user), partner, pair).status_code == 403
    assert not SupervisionSession.objects.exists()


def test_an_invisible_person_is_refused_like_a_missing_one(client_for, coordinator, partner, other_partner, pair):
    stranger = PersonFactory(partner=other_partner)

    response = _book(client_for(coordinator), partner, (pair[0], stranger))

    assert response.status_code == 400
    assert "supervisee" in response.json()


def test_notes_are_shown_to_attendees_and_coordinators_only(
    client_for, coordinator, licensor, mentor_user, partner, pair
):
    session = SupervisionSessionFactory(partner=partner, supervisor=pair[0], supervisee=pair[1], held=True)

    def notes(user):
        return client_for(user).get(f"{SESSIONS}{session.pk}/").json()["notes"]

    assert notes(coordinator) == session.notes
    assert notes(mentor_user) == session.notes
    assert notes(licensor) is None


def test_a_mentor_lists_only_their_own_sessions(client_for, mentor_user, partner, pair):
    own = SupervisionSessionFactory(partner=partner, supervisor=pair[0], supervisee=pair[1])
    other = SupervisionSessionFactory(partner=partner)

    assert _ids(client_for(mentor_user).get(SESSIONS)) == {str(own.pk)}
    assert client_for(mentor_user).get(f"{SESSIONS}{other.pk}/").status_code == 404


def test_the_session_list_filters_by_person_and_dates(client_for, coordinator, partner, pair):
    soon = SupervisionSessionFactory(partner=partner, supervisee=pair[1], starts_at=days_from_now(1))
    SupervisionSessionFactory(partner=partner, supervisee=pair[1], starts_at=days_from_now(20))
    SupervisionSessionFactory(partner=partner, starts_at=days_from_now(1, 14))

    response = client_for(coordinator).get(
        SESSIONS, {"person": str(pair[1].pk), "starts_before": days_from_now(5).isoformat()}
    )

    assert _ids(response) == {str(soon.pk)}


@pytest.mark.parametrize("count", [3, 30])
def test_the_session_list_runs_a_constant_number_of_queries(
    token_client_for, coordinator, partner, count, django_assert_max_num_queries
):
    group = SupervisionGroupFactory(partner=partner, active=True, members=4)
    for day in range(count):
        SupervisionSessionFactory(partner=partner, held=True, starts_at=days_from_now(-day - 1))
        SupervisionSessionFactory(partner=partner, group_session=True, group=group, starts_at=days_from_now(day + 1))
    client = token_client_for(coordinator)

    # token + memberships + count + page + attendees
    with django_assert_max_num_queries(5):
        response = client.get(SESSIONS, {"page_size": 200})

    assert response.json()["count"] == 2 * count


def test_patch_moves_a_session_and_answers_its_new_sequence(client_for, coordinator, partner, pair):
    session = SupervisionSessionFactory(partner=partner, supervisor=pair[0], supervisee=pair[1])

    response = client_for(coordinator).patch(
        f"{SESSIONS}{session.pk}/", {"starts_at": days_from_now(4, 15).isoformat()}
    )

    assert response.status_code == 200, response.content
    assert response.json()["sequence"] == 1
    assert response.json()["ends_at"].startswith(str(timezone.localdate() + timedelta(days=4)))


def test_patch_cannot_change_the_parties_of_a_session(client_for, coordinator, partner, pair):
    session = SupervisionSessionFactory(partner=partner, supervisor=pair[0], supervisee=pair[1])

    response = client_for(coordinator).patch(
        f"{SESSIONS}{session.pk}/", {"supervisee": str(PersonFactory(partner=partner).pk)}
    )

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.supervisee == pair[1]
    assert session.sequence == 0


def test_record_then_confirm(client_for, supervisor, mentor_user, partner, pair):
    session = SupervisionSessionFactory(
        partner=partner, supervisor=pair[0], supervisee=pair[1], starts_at=days_from_now(-2)
    )

    recorded = client_for(supervisor).post(
        f"{SESSIONS}{session.pk}/record/",
        {
            "status": "held",
            "attendance": [{"person": str(pair[1].pk), "attendance": "present"}],
            "notes": "Went well.",
            "toolkit_process": "Seven-eyed model",
            "actions": [{"owner": str(pair[1].pk), "description": "Book the refresher", "due_on": "2030-01-31"}],
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["status"] == "held"
    assert {a["attendance"] for a in recorded.json()["attendees"]} == {"present"}

    confirmed = client_for(mentor_user).post(f"{SESSIONS}{session.pk}/confirm/", {"comment": "Yes."})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["confirmed_at"] is not None
    assert confirmed.json()["supervisee_comment"] == "Yes."


def test_recording_with_a_status_other_than_held_or_missed_is_a_400(client_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner, starts_at=days_from_now(-1))

    response = client_for(coordinator).post(f"{SESSIONS}{session.pk}/record/", {"status": "cancelled"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_recording_a_cancelled_session_is_a_409(client_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner, cancelled=True, starts_at=days_from_now(-1))

    response = client_for(coordinator).post(f"{SESSIONS}{session.pk}/record/", {"status": "held"})

    assert response.status_code == 409
    assert response.json()["allowed"] == []


def test_only_the_supervisee_confirms(client_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner, held=True)

    response = client_for(coordinator).post(f"{SESSIONS}{session.pk}/confirm/", {})

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.confirmed_at is None


def test_cancel_answers_the_cancelled_session(client_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner)

    response = client_for(coordinator).post(f"{SESSIONS}{session.pk}/cancel/", {"reason": "Unwell"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["sequence"]) == ("cancelled", 1)


def test_a_cancelled_session_cannot_be_cancelled_again(client_for, coordinator, partner):
    session = SupervisionSessionFactory(partner=partner, cancelled=True)

    assert client_for(coordinator).post(f"{SESSIONS}{session.pk}/cancel/").status_code == 409


# --- series -----------------------------------------------------------------------------------


def _series_body(partner, pair, **changes):
    body = {
        "partner": str(partner.pk),
        "kind": "one_to_one",
        "supervisor": str(pair[0].pk),
        "supervisee": str(pair[1].pk),
        "starts_at": at("2027-03-16", 18).isoformat(),
        "ends_at": at("2027-03-16", 19).isoformat(),
        "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
    }
    body.update(changes)
    return body


def test_a_series_is_created_with_its_session_ids(client_for, coordinator, partner, pair):
    response = client_for(coordinator).post(SERIES, _series_body(partner, pair))

    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "rrule", "sessions"} <= set(body)
    assert body["rrule"] == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    assert len(body["sessions"]) == 4
    starts = SupervisionSession.objects.filter(pk__in=body["sessions"]).order_by("starts_at")
    # 18:00 London before and after the clocks change on 28 March 2027.
    assert [s.starts_at.isoformat() for s in starts] == [
        "2027-03-16T18:00:00+00:00",
        "2027-03-23T18:00:00+00:00",
        "2027-03-30T17:00:00+00:00",
        "2027-04-06T17:00:00+00:00",
    ]


def test_a_bad_rule_is_a_400_on_rrule(client_for, coordinator, partner, pair):
    response = client_for(coordinator).post(SERIES, _series_body(partner, pair, rrule="FREQ=MINUTELY"))

    assert response.status_code == 400
    assert "rrule" in response.json()
    assert not SupervisionSeries.objects.exists()


@pytest.mark.parametrize("starts_at", ["9999-12-31T10:00:00Z", "0001-01-01T10:00:00Z", "not a time"])
def test_far_or_bad_start_times_are_a_400(client_for, coordinator, partner, pair, starts_at):
    response = client_for(coordinator).post(
        SERIES, _series_body(partner, pair, starts_at=starts_at, ends_at="9999-12-31T11:00:00Z")
    )

    assert response.status_code == 400
    assert not SupervisionSeries.objects.exists()


def test_an_endless_rule_is_capped_at_104(client_for, coordinator, partner, pair):
    response = client_for(coordinator).post(SERIES, _series_body(partner, pair, rrule="FREQ=WEEKLY"))

    assert response.status_code == 201
    assert (len(response.json()["sessions"]), response.json()["capped"]) == (104, True)


def test_the_following_occurrences_are_cancelled_through_a_session(client_for, coordinator, partner, pair):
    client = client_for(coordinator)
    ids = client.post(SERIES, _series_body(partner, pair)).json()["sessions"]
    ordered = [
        str(pk)
        for pk in SupervisionSession.objects.filter(pk__in=ids).order_by("starts_at").values_list("pk", flat=True)
    ]

    response = client.post(f"{SESSIONS}{ordered[1]}/cancel/", {"scope": "following"})

    assert response.status_code == 200
    assert SupervisionSession.objects.filter(status="cancelled").count() == 3


# --- actions ------------------------------------------------------------------------------------


def test_actions_are_agreed_and_marked_done(client_for, supervisor, mentor_user, partner, pair):
    session = SupervisionSessionFactory(partner=partner, supervisor=pair[0], supervisee=pair[1], held=True)

    created = client_for(supervisor).post(
        ACTIONS,
        {
            "session": str(session.pk),
            "owner": str(pair[1].pk),
            "description": "Read the policy",
            "due_on": "2030-01-01",
        },
    )
    assert created.status_code == 201, created.content
    assert set(created.json()) == {"id", "session", "owner", "description", "due_on", "done_at"}

    done = client_for(mentor_user).post(f"{ACTIONS}{created.json()['id']}/done/")
    assert done.status_code == 200
    assert done.json()["done_at"] is not None


def test_actions_are_not_listed_to_the_licensor(client_for, licensor, partner):
    SessionActionFactory(partner=partner)

    assert client_for(licensor).get(ACTIONS).json()["count"] == 0
    assert SessionAction.objects.count() == 1


# --- compliance -----------------------------------------------------------------------------------


def _held(mentor, days_ago):
    return SupervisionSessionFactory(
        partner=mentor.partner, supervisee=mentor, held=True, starts_at=days_from_now(-days_ago)
    )


def test_compliance_lists_active_mentors_with_their_state(client_for, coordinator, partner):
    set_policy(partner, supervision_interval_days=28)
    late = PersonFactory(partner=partner, active_mentor=True)
    _held(late, 35)
    fine = PersonFactory(partner=partner, active_mentor=True)
    _held(fine, 3)

    response = client_for(coordinator).get(COMPLIANCE)

    assert response.status_code == 200
    rows = {row["person"]: row for row in response.json()["results"]}
    assert set(rows[str(late.pk)]) >= {"person", "partner", "last_supervised_on", "next_due_on", "state"}
    assert rows[str(late.pk)]["state"] == "overdue"
    assert rows[str(late.pk)]["next_due_on"] == str(timezone.localdate() - timedelta(days=7))
    assert rows[str(fine.pk)]["state"] == "ok"
    assert rows[str(fine.pk)]["unconfirmed_records"] == 0


def test_compliance_filters_by_state_and_partner(client_for, licensor, partner, other_partner):
    late = PersonFactory(partner=partner, active_mentor=True)
    _held(late, 60)
    _held(PersonFactory(partner=partner, active_mentor=True), 1)
    _held(PersonFactory(partner=other_partner, active_mentor=True), 60)
    client = client_for(licensor)

    response = client.get(COMPLIANCE, {"state": "overdue", "partner": str(partner.pk)})

    assert [row["person"] for row in response.json()["results"]] == [str(late.pk)]
    assert client.get(COMPLIANCE, {"state": "late"}).status_code == 400


def test_compliance_refuses_a_partner_filter_outside_the_callers_tenants(client_for, coordinator, other_partner):
    assert client_for(coordinator).get(COMPLIANCE, {"partner": str(other_partner.pk)}).status_code == 400


def test_a_mentor_sees_only_their_own_compliance_row(client_for, mentor_user, partner):
    own = person_of(mentor_user, partner, active_mentor=True)
    PersonFactory(partner=partner, active_mentor=True)

    response = client_for(mentor_user).get(COMPLIANCE)

    assert [row["person"] for row in response.json()["results"]] == [str(own.pk)]


@pytest.mark.parametrize("count", [3, 30])
def test_the_compliance_list_runs_a_constant_number_of_queries(
    token_client_for, coordinator, partner, count, django_assert_max_num_queries
):
    for person in mentors(partner, count):
        _held(person, 10)
    client = token_client_for(coordinator)

    # token + memberships + count + page
    with django_assert_max_num_queries(4):
        response = client.get(COMPLIANCE, {"page_size": 200})

    assert response.json()["count"] == count
