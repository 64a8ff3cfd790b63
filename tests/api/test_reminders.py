"""/api/v1/reminders/: the reminders addressed to the caller (coordinators: also their partner's),
and /api/v1/reminders/preferences/ for switching kinds off."""

import pytest

from reminders.models import Kind, ReminderPreference
from tests.reminders.factories import ReminderFactory

URL = "/api/v1/reminders/"
PREFERENCES = "/api/v1/reminders/preferences/"


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_reminder_has_the_fields_of_api_md(client_for, partner, coordinator):
    reminder = ReminderFactory(partner=partner, recipient_user=coordinator, sent=True)
    row = client_for(coordinator).get(URL).json()["results"][0]
    assert set(row) == {"id", "kind", "subject", "recipient", "due_at", "status", "sent_at"}
    assert row["id"] == str(reminder.pk)
    assert row["kind"] == "licence_expiring"
    assert row["subject"] == {"type": "franchise.licence", "id": str(reminder.subject_id)}
    assert row["recipient"] == "coord@example.org"
    assert row["status"] == "sent"
    assert row["sent_at"] is not None


def test_a_mentor_lists_only_their_own_reminders(client_for, partner, mentor_user, coordinator):
    own = ReminderFactory(partner=partner, recipient_user=mentor_user)
    ReminderFactory(partner=partner, recipient_user=coordinator)
    assert _ids(client_for(mentor_user).get(URL)) == {str(own.pk)}


def test_a_coordinator_lists_their_partners_reminders_and_no_other(client_for, partner, other_partner, coordinator):
    mentors = ReminderFactory(partner=partner)
    own = ReminderFactory(partner=partner, recipient_user=coordinator)
    ReminderFactory(partner=other_partner)
    ReminderFactory(licensor_wide=True)
    assert _ids(client_for(coordinator).get(URL)) == {str(mentors.pk), str(own.pk)}


def test_a_licensor_admin_lists_the_licensor_wide_reminders(client_for, partner, licensor):
    licensor_wide = ReminderFactory(licensor_wide=True)
    ReminderFactory(partner=partner)
    assert _ids(client_for(licensor).get(URL)) == {str(licensor_wide.pk)}


def test_another_partners_reminder_is_404(client_for, other_partner, coordinator):
    foreign = ReminderFactory(partner=other_partner)
    assert client_for(coordinator).get(f"{URL}{foreign.pk}/").status_code == 404


def test_a_reminder_of_ones_own_is_retrieved(client_for, partner, mentor_user):
    own = ReminderFactory(partner=partner, recipient_user=mentor_user)
    response = client_for(mentor_user).get(f"{URL}{own.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == str(own.pk)


def test_the_list_filters_by_status_and_kind(client_for, partner, coordinator):
    sent = ReminderFactory(partner=partner, recipient_user=coordinator, sent=True)
    pending = ReminderFactory(partner=partner, recipient_user=coordinator)
    certificate = ReminderFactory(partner=partner, recipient_user=coordinator, kind=Kind.CERTIFICATE_ISSUED)
    client = client_for(coordinator)
    assert _ids(client.get(URL, {"status": "sent"})) == {str(sent.pk)}
    assert _ids(client.get(URL, {"status": "pending", "kind": "licence_expiring"})) == {str(pending.pk)}
    assert _ids(client.get(URL, {"kind": "certificate_issued"})) == {str(certificate.pk)}


def test_an_unknown_filter_value_is_a_400_naming_it(client_for, coordinator):
    response = client_for(coordinator).get(URL, {"status": "lost"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_reminders_are_read_only(client_for, partner, coordinator):
    own = ReminderFactory(partner=partner, recipient_user=coordinator)
    client = client_for(coordinator)
    assert client.post(URL, {"kind": "licence_expiring"}).status_code == 405
    assert client.patch(f"{URL}{own.pk}/", {"status": "sent"}).status_code == 405
    assert client.delete(f"{URL}{own.pk}/").status_code == 405


def test_the_list_runs_the_same_queries_for_3_or_30_reminders(
    token_client_for, partner, coordinator, django_assert_max_num_queries
):
    client = token_client_for(coordinator)
    counts = []
    for total in (3, 30):
        ReminderFactory.create_batch(total, partner=partner)
        ReminderFactory(partner=partner, recipient_user=None, by_email=True)
        ReminderFactory(partner=partner, recipient_user=coordinator)
        with django_assert_max_num_queries(5) as captured:
            response = client.get(URL, {"page_size": 200})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- preferences --------------------------------------------------------------------


def test_the_preferences_list_every_kind_and_say_which_are_essential(client_for, mentor_user):
    response = client_for(mentor_user).get(PREFERENCES)
    assert response.status_code == 200
    body = response.json()
    assert [item["kind"] for item in body] == Kind.values
    assert set(body[0]) == {"kind", "label", "essential", "enabled"}
    critical = next(item for item in body if item["kind"] == "incident_critical")
    assert critical == {
        "kind": "incident_critical",
        "label": "Critical boundary incident reported",
        "essential": True,
        "enabled": True,
    }


def test_a_user_switches_off_a_non_essential_kind_for_themselves(client_for, mentor_user, coordinator):
    response = client_for(mentor_user).patch(PREFERENCES, {"kind": "session_upcoming", "enabled": False})
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is False
    assert ReminderPreference.objects.get().user == mentor_user
    # Only the caller's own settings change.
    coordinators = {item["kind"]: item["enabled"] for item in client_for(coordinator).get(PREFERENCES).json()}
    assert coordinators["session_upcoming"] is True


def test_an_essential_kind_cannot_be_switched_off(client_for, mentor_user):
    response = client_for(mentor_user).patch(PREFERENCES, {"kind": "incident_critical", "enabled": False})
    assert response.status_code == 400
    assert "cannot be switched off" in response.json()["kind"][0]
    assert not ReminderPreference.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"kind": "birthday", "enabled": False}, "kind"), ({"kind": "session_upcoming"}, "enabled"), ({}, "kind")],
)
def test_a_malformed_preference_is_a_400_naming_the_field(client_for, mentor_user, body, field):
    response = client_for(mentor_user).patch(PREFERENCES, body)
    assert response.status_code == 400
    assert field in response.json()
    assert not ReminderPreference.objects.exists()


def test_the_preferences_need_credentials(api, db):
    assert api.get(PREFERENCES).status_code == 401
    assert api.patch(PREFERENCES, {"kind": "session_upcoming", "enabled": False}).status_code == 401
