"""Invitations over HTTP: who may invite whom, the emailed link, and accepting it once."""

import re
import uuid
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from franchise.models import Invitation, Membership, Role, User
from tests.factories import InvitationFactory

STRONG_PASSWORD = "a-long-and-unusual-passphrase"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST an invitation as `client`, running the on-commit email like a real request would."""

    def post(client, **body):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/api/v1/invitations/", body)

    return post


def _token_from_email():
    (message,) = mail.outbox
    link = re.search(r"https?://\S+", message.body).group(0)
    path = urlparse(link).path
    match = re.fullmatch(r"/invite/([^/]+)/", path)
    assert match, f"the link path {path!r} does not end /invite/<token>/"
    return match.group(1)


def _accept(token, password=STRONG_PASSWORD, name="Nia New"):
    return APIClient().post("/api/v1/invitations/accept/", {"token": token, "name": name, "password": password})


def _login(email, password=STRONG_PASSWORD):
    return APIClient().post("/api/v1/auth/token/", {"username": email, "password": password})


def test_a_coordinator_invites_a_mentor_and_the_email_carries_the_link(send, client_for, coordinator, partner):
    response = send(client_for(coordinator), partner=str(partner.pk), email="Nia@Example.org", role="mentor")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "partner", "email", "role", "person", "created_at", "expires_at", "accepted_at"}
    assert (body["partner"], body["email"], body["role"]) == (str(partner.pk), "nia@example.org", "mentor")
    assert mail.outbox[0].to == ["nia@example.org"]
    assert partner.name in mail.outbox[0].body
    token = _token_from_email()
    assert mail.outbox[0].body.count(f"https://tandem.test/invite/{token}/") == 1


def test_the_token_is_never_in_an_api_response(send, client_for, coordinator, partner):
    client = client_for(coordinator)
    created = send(client, partner=str(partner.pk), email="nia@example.org", role="mentor")
    token = _token_from_email()
    listed = client.get("/api/v1/invitations/")
    detail = client.get(f"/api/v1/invitations/{created.json()['id']}/")
    for response in (created, listed, detail):
        assert token not in response.content.decode()
    assert Invitation.objects.get().token_hash != token


def test_an_invitation_expires_after_seven_days(send, client_for, coordinator, partner):
    before = timezone.now()
    send(client_for(coordinator), partner=str(partner.pk), email="nia@example.org", role="mentor")
    expires_at = Invitation.objects.get().expires_at
    assert before + timedelta(days=7) <= expires_at <= timezone.now() + timedelta(days=7)


def test_accepting_creates_the_user_who_can_then_get_a_token(send, client_for, coordinator, partner):
    send(client_for(coordinator), partner=str(partner.pk), email="nia@example.org", role="mentor")

    response = _accept(_token_from_email())

    assert response.status_code == 201
    assert response.json()["memberships"] == [
        {"partner": str(partner.pk), "partner_name": partner.name, "role": "mentor"}
    ]
    user = User.objects.get(email="nia@example.org")
    assert user.name == "Nia New"
    assert _login("nia@example.org").status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user and invitation.accepted_at is not None


def test_accepting_works_for_a_browser_that_is_signed_in_without_a_csrf_token(coordinator, partner):
    invitation_token = "session-holder-token"
    InvitationFactory(partner=partner, email="coord@example.org", role=Role.TRAINER, token=invitation_token)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="coord@example.org", password="correct-horse-battery")
    response = client.post(
        "/api/v1/invitations/accept/", {"token": invitation_token, "password": "correct-horse-battery"}
    )
    assert response.status_code == 201
    assert Membership.objects.filter(user=coordinator, partner=partner, role=Role.TRAINER).exists()


def test_an_expired_invitation_is_refused_and_nothing_is_written(partner):
    InvitationFactory(partner=partner, email="late@example.org", token="late", expired=True)
    response = _accept("late")
    assert response.status_code == 400
    assert "expired" in response.json()["token"][0]
    assert not User.objects.filter(email="late@example.org").exists()


def test_an_invitation_is_single_use(partner):
    InvitationFactory(partner=partner, email="once@example.org", token="once")
    assert _accept("once").status_code == 201

    again = _accept("once", name="Someone Else")
    assert again.status_code == 400
    assert "already been used" in again.json()["token"][0]
    assert Membership.objects.filter(user__email="once@example.org").count() == 1


def test_an_unknown_token_is_400_on_token(db):
    response = _accept("made-up")
    assert response.status_code == 400
    assert list(response.json()) == ["token"]


def test_accepting_without_a_password_is_400_on_password(partner):
    InvitationFactory(partner=partner, token="t")
    response = APIClient().post("/api/v1/invitations/accept/", {"token": "t"})
    assert response.status_code == 400
    assert list(response.json()) == ["password"]


def test_a_weak_password_is_refused_and_the_invitation_stays_usable(partner):
    InvitationFactory(partner=partner, email="weak@example.org", token="weak")
    response = _accept("weak", password="123")
    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert not User.objects.filter(email="weak@example.org").exists()
    assert _accept("weak").status_code == 201


def test_a_new_user_must_give_a_name(partner):
    InvitationFactory(partner=partner, email="anon@example.org", token="anon")
    response = _accept("anon", name="  ")
    assert list(response.json()) == ["name"]
    assert not User.objects.filter(email="anon@example.org").exists()


def test_an_existing_user_must_give_their_current_password(partner, other_coordinator):
    InvitationFactory(partner=partner, email="COORD@other.example.org", role=Role.SUPERVISOR, token="existing")

    wrong = _accept("existing", password=STRONG_PASSWORD)
    assert wrong.status_code == 400
    assert list(wrong.json()) == ["password"]
    assert not Membership.objects.filter(user=other_coordinator, partner=partner).exists()
    assert Invitation.objects.get().accepted_at is None

    right = _accept("existing", password="correct-horse-battery", name="Ignored")
    assert right.status_code == 201
    assert {(m["partner_name"], m["role"]) for m in right.json()["memberships"]} == {
        ("Harbour Justice Trust", "coordinator"),
        ("Northside Women's Centre", "supervisor"),
    }
    other_coordinator.refresh_from_db()
    assert other_coordinator.name == "Otto Other"
    assert other_coordinator.check_password("correct-horse-battery")


def test_a_coordinator_inviting_to_a_partner_they_are_not_in_gets_404(send, client_for, coordinator, other_partner):
    response = send(client_for(coordinator), partner=str(other_partner.pk), email="x@example.org", role="mentor")
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("partner_id", ["6f1c2a9e-0000-4000-8000-000000000042", "not-an-id", 42])
def test_an_unknown_partner_is_404_like_a_foreign_one(send, client_for, coordinator, partner_id):
    response = send(client_for(coordinator), partner=partner_id, email="x@example.org", role="mentor")
    assert response.status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("fixture", ["mentor_user", "trainer", "supervisor"])
def test_only_a_coordinator_of_the_partner_invites_to_it(request, send, client_for, partner, fixture):
    user = request.getfixturevalue(fixture)
    response = send(client_for(user), partner=str(partner.pk), email="x@example.org", role="mentor")
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_the_licensor_invites_a_licensor_admin_with_no_partner(send, client_for, licensor):
    response = send(client_for(licensor), partner=None, email="second@licensor.example", role="licensor_admin")
    assert response.status_code == 201
    assert response.json()["partner"] is None
    assert "the licensing organisation" in mail.outbox[0].body

    accepted = _accept(_token_from_email(), name="Second Admin")
    assert accepted.status_code == 201
    assert accepted.json()["is_licensor"] is True


def test_the_licensor_invites_to_any_partner(send, client_for, licensor, other_partner):
    response = send(client_for(licensor), partner=str(other_partner.pk), email="c@example.org", role="coordinator")
    assert response.status_code == 201


def test_a_licensor_admin_invitation_names_no_partner(send, client_for, licensor, partner):
    response = send(client_for(licensor), partner=str(partner.pk), email="x@example.org", role="licensor_admin")
    assert response.status_code == 400
    assert list(response.json()) == ["partner"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("with_partner", [False, True])
def test_a_coordinator_may_not_invite_a_licensor_admin(send, client_for, coordinator, partner, with_partner):
    body = {"email": "x@example.org", "role": "licensor_admin"}
    if with_partner:
        body["partner"] = str(partner.pk)
    response = send(client_for(coordinator), **body)
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_partner_role_needs_a_partner(send, client_for, licensor):
    response = send(client_for(licensor), email="x@example.org", role="mentor")
    assert response.status_code == 400
    assert list(response.json()) == ["partner"]


@pytest.mark.parametrize(
    "body", [{"email": "not-an-email", "role": "mentor"}, {"email": "x@example.org", "role": "boss"}]
)
def test_bad_input_is_400_naming_the_field(send, client_for, coordinator, partner, body):
    response = send(client_for(coordinator), partner=str(partner.pk), **body)
    assert response.status_code == 400
    assert set(response.json()) <= {"email", "role"}
    assert not Invitation.objects.exists()


def test_someone_who_already_holds_the_role_is_not_invited_again(send, client_for, coordinator, trainer, partner):
    response = send(client_for(coordinator), partner=str(partner.pk), email="TRAINER@example.org", role="trainer")
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert not Invitation.objects.exists()


def test_inviting_again_replaces_the_pending_link(send, client_for, coordinator, partner):
    client = client_for(coordinator)
    send(client, partner=str(partner.pk), email="nia@example.org", role="mentor")
    first = _token_from_email()
    mail.outbox.clear()
    send(client, partner=str(partner.pk), email="nia@example.org", role="mentor")
    second = _token_from_email()

    assert Invitation.objects.count() == 1
    assert _accept(first).status_code == 400
    assert _accept(second).status_code == 201


def test_a_coordinator_revokes_a_pending_invitation(client_for, coordinator, partner):
    invitation = InvitationFactory(partner=partner, token="revoked")
    assert client_for(coordinator).delete(f"/api/v1/invitations/{invitation.pk}/").status_code == 204
    assert not Invitation.objects.exists()
    assert _accept("revoked").status_code == 400


def test_an_accepted_invitation_cannot_be_revoked(client_for, coordinator, partner):
    invitation = InvitationFactory(partner=partner, accepted=True)
    response = client_for(coordinator).delete(f"/api/v1/invitations/{invitation.pk}/")
    assert response.status_code == 400
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_invitations_of_another_partner_are_404(client_for, coordinator, other_partner):
    invitation = InvitationFactory(partner=other_partner)
    client = client_for(coordinator)
    assert client.get(f"/api/v1/invitations/{invitation.pk}/").status_code == 404
    assert client.delete(f"/api/v1/invitations/{invitation.pk}/").status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_only_coordinators_and_the_licensor_see_invitations(client_for, coordinator, trainer, licensor, partner):
    InvitationFactory(partner=partner)
    InvitationFactory(licensor=True)
    assert client_for(coordinator).get("/api/v1/invitations/").json()["count"] == 1
    assert client_for(trainer).get("/api/v1/invitations/").json()["count"] == 0
    assert client_for(licensor).get("/api/v1/invitations/").json()["count"] == 2


def test_the_invitation_list_runs_the_same_queries_for_3_or_30_rows(
    django_assert_num_queries, token_client_for, coordinator, partner
):
    client = token_client_for(coordinator)
    InvitationFactory.create_batch(3, partner=partner)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/invitations/").json()["count"] == 3
    InvitationFactory.create_batch(27, partner=partner)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/invitations/").json()["count"] == 30


def test_the_invited_person_logs_in_with_the_email_they_were_invited_with(send, client_for, coordinator, partner):
    send(client_for(coordinator), partner=str(partner.pk), email="Mixed.Case@Example.org", role="trainer")
    _accept(_token_from_email())
    token = _login("MIXED.case@example.org").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["email"] == "mixed.case@example.org"


def test_a_coordinator_cannot_see_or_revoke_a_licensor_admin_invitation(client_for, coordinator):
    invitation = InvitationFactory(licensor=True)
    client = client_for(coordinator)
    assert client.get(f"/api/v1/invitations/{invitation.pk}/").status_code == 404
    assert client.delete(f"/api/v1/invitations/{invitation.pk}/").status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


# --- separation of duties: a licensor admin holds no partner role, and a partner member is not made one ---


def test_a_licensor_admin_inviting_themselves_to_a_partner_is_400_naming_the_rule(send, client_for, licensor, partner):
    response = send(client_for(licensor), partner=str(partner.pk), email=licensor.email, role="coordinator")

    assert response.status_code == 400
    body = response.json()
    assert [item["code"] for item in body["unmet"]] == ["licensor_cannot_hold_partner_role"]
    assert "licensor admin" in body["detail"]
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_inviting_a_partner_member_to_be_licensor_admin_is_400_naming_the_rule(send, client_for, licensor, coordinator):
    response = send(client_for(licensor), partner=None, email=coordinator.email, role="licensor_admin")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["partner_member_cannot_be_licensor"]
    assert not Invitation.objects.exists()


def test_a_licensor_admin_accepting_a_partner_role_is_400_and_nothing_is_written(licensor, partner):
    InvitationFactory(partner=partner, email=licensor.email, role=Role.COORDINATOR, token="side-door")

    response = _accept("side-door", password="correct-horse-battery")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["licensor_cannot_hold_partner_role"]
    assert Invitation.objects.get().accepted_at is None
    assert list(Membership.objects.filter(user=licensor).values_list("role", flat=True)) == ["licensor_admin"]
    assert not Membership.objects.filter(partner=partner).exists()


def test_a_partner_member_accepting_the_licensor_role_is_400_and_nothing_is_written(coordinator, partner):
    InvitationFactory(licensor=True, email=coordinator.email, token="promoted")

    response = _accept("promoted", password="correct-horse-battery")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["partner_member_cannot_be_licensor"]
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(role=Role.LICENSOR_ADMIN).exists()


# --- an invitation for a person on file -------------------------------------------------------


def test_a_coordinator_invites_a_person_on_file_and_accepting_links_that_person(send, client_for, coordinator, partner):
    from supervision.models import Person
    from tests.supervision.factories import PersonFactory

    PersonFactory(partner=partner, email="rae@example.org", name="Rae Elder")
    person = PersonFactory(partner=partner, email="Rae@Example.org", name="Rae Younger")

    response = send(client_for(coordinator), partner=str(partner.pk), role="mentor", person=str(person.pk))

    assert response.status_code == 201
    assert (response.json()["person"], response.json()["email"]) == (str(person.pk), "rae@example.org")
    assert _accept(_token_from_email(), name="Rae Younger").status_code == 201
    person.refresh_from_db()
    assert person.user.email == "rae@example.org"
    assert Person.objects.filter(partner=partner).count() == 2


def test_inviting_a_person_of_another_partner_is_400_on_person_and_nothing_is_written(
    send, client_for, coordinator, partner, other_partner
):
    from tests.supervision.factories import PersonFactory

    foreign = PersonFactory(partner=other_partner, email="far@example.org")

    response = send(client_for(coordinator), partner=str(partner.pk), role="mentor", person=str(foreign.pk))

    assert response.status_code == 400
    assert list(response.json()) == ["person"]
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_login_whose_person_was_recorded_later_acknowledges_on_that_person(send, client_for, coordinator, partner):
    from franchise.models import PolicyAcknowledgement
    from supervision.models import Person
    from tests.franchise.factories import PolicyVersionFactory

    PolicyVersionFactory(partner=partner)
    send(client_for(coordinator), partner=str(partner.pk), email="kai@example.org", role="mentor")
    assert _accept(_token_from_email(), name="Kai").status_code == 201
    recorded = client_for(coordinator).post(
        "/api/v1/people/", {"partner": str(partner.pk), "name": "Kai Mentor", "email": "KAI@example.org"}
    )
    assert recorded.status_code == 201
    user = User.objects.get(email="kai@example.org")

    response = client_for(user).post(f"/api/v1/partners/{partner.pk}/policy/acknowledge/", {})

    assert response.status_code in (200, 201)
    person_id = uuid.UUID(recorded.json()["id"])
    assert list(Person.objects.filter(partner=partner).values_list("pk", "user")) == [(person_id, user.pk)]
    assert PolicyAcknowledgement.objects.get().person_id == person_id
