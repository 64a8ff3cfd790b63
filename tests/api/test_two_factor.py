"""Two-factor sign-in over HTTP: enrolling a device, the token login with `otp`, and the 403 a coordinator,
supervisor or licensor admin without a device gets for an incident's detail where a second factor is
required."""

from urllib.parse import parse_qs, urlparse

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from api.throttles import FailedLoginThrottle
from franchise import services
from franchise.models import ApiToken, Role
from supervision.models import IncidentAccess
from tests.factories import user_with_role
from tests.franchise.devices import code_for, enrolled, wrong_code_for
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    PersonFactory,
    SupervisionAssignmentFactory,
    SupervisionSessionFactory,
)

TOKEN_URL = "/api/v1/auth/token/"
DEVICES = "/api/v1/auth/two-factor/devices/"
RIGHT = {"username": "coord@example.org", "password": "correct-horse-battery"}


def signed_in(body=RIGHT):
    response = APIClient().post(TOKEN_URL, body, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


# --- enrolment ------------------------------------------------------------------------------


def test_enrolment_answers_the_otpauth_uri_once_and_the_device_waits_for_a_code(coordinator):
    client = signed_in()

    response = client.post(DEVICES, {"name": "Phone"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    uri = urlparse(body["otpauth_url"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/Tandem%3Acoord%40example.org"
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    assert body["confirmed"] is False
    listed = client.get(DEVICES)
    assert listed.json()["results"] == [{k: body[k] for k in ("id", "name", "confirmed", "created_at", "last_used_at")}]
    assert body["secret"] not in listed.content.decode()


def test_a_wrong_code_is_a_400_naming_otp_and_confirms_nothing(coordinator):
    client = signed_in()
    device_id = client.post(DEVICES, {}, format="json").json()["id"]
    device = TOTPDevice.objects.get(pk=device_id)

    response = client.post(f"{DEVICES}{device_id}/confirm/", {"otp": wrong_code_for(device)}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.exists()


def test_confirming_answers_recovery_codes_once_and_signs_out_every_other_token(coordinator):
    elsewhere = signed_in()
    client = signed_in()
    device_id = client.post(DEVICES, {}, format="json").json()["id"]

    response = client.post(
        f"{DEVICES}{device_id}/confirm/", {"otp": code_for(TOTPDevice.objects.get(pk=device_id))}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["confirmed"] is True
    assert len(response.json()["recovery_codes"]) == 10
    assert "recovery_codes" not in client.get(DEVICES).json()["results"][0]
    assert elsewhere.get("/api/v1/me/").status_code == 401
    assert client.get("/api/v1/me/").status_code == 200


def test_another_users_device_is_404(coordinator, partner):
    theirs, _ = enrolled(user_with_role(Role.TRAINER, partner, email="trainer@example.org"))

    client = signed_in()

    assert client.post(f"{DEVICES}{theirs.pk}/remove/", {"password": RIGHT["password"]}).status_code == 404
    assert client.post(f"{DEVICES}{theirs.pk}/confirm/", {"otp": "123456"}).status_code == 404
    assert client.post(f"{DEVICES}not-a-number/confirm/", {"otp": "123456"}).status_code == 404
    assert TOTPDevice.objects.filter(pk=theirs.pk, confirmed=True).exists()


def test_removing_a_device_needs_a_current_code_or_the_password(coordinator):
    device, _ = enrolled(coordinator)
    client = signed_in({**RIGHT, "otp": code_for(device)})

    refused = client.post(f"{DEVICES}{device.pk}/remove/", {}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["otp"]
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    response = client.post(f"{DEVICES}{device.pk}/remove/", {"otp": code_for(device)}, format="json")

    assert response.status_code == 204
    assert not TOTPDevice.objects.exists()
    signed_in()  # the login no longer asks for a code


def test_guessing_the_password_to_remove_a_device_meets_the_sign_in_lockout(coordinator, settings):
    """A stolen token is no way round the lockout: wrong passwords at device removal count for the account."""
    settings.TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = 3
    device, _ = enrolled(coordinator)
    client = signed_in({**RIGHT, "otp": code_for(device)})

    answers = [
        client.post(f"{DEVICES}{device.pk}/remove/", {"password": f"guess-{n}"}, format="json").status_code
        for n in range(3)
    ]
    refused = client.post(f"{DEVICES}{device.pk}/remove/", {"password": RIGHT["password"]}, format="json")

    assert answers == [400, 400, 400]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    login = APIClient().post(TOKEN_URL, {**RIGHT, "otp": code_for(device)}, format="json")
    assert login.status_code == 429  # the same account and address are locked at the login too


# --- the login with a code -------------------------------------------------------------------


@pytest.mark.parametrize("otp", [None, ""])
def test_with_a_device_a_login_without_a_code_is_a_400_naming_otp(coordinator, otp):
    enrolled(coordinator)
    body = RIGHT if otp is None else {**RIGHT, "otp": otp}

    response = APIClient().post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert not ApiToken.objects.exists()


def test_a_wrong_code_is_a_400_naming_otp_and_counts_as_a_failed_login(coordinator, monkeypatch):
    device, _ = enrolled(coordinator)
    failures = []
    monkeypatch.setattr(FailedLoginThrottle, "record_failure", lambda self, request, view: failures.append(view))

    response = APIClient().post(TOKEN_URL, {**RIGHT, "otp": wrong_code_for(device)}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert len(failures) == 1
    assert not ApiToken.objects.exists()


def test_a_current_code_signs_in_and_cannot_be_used_twice(coordinator):
    device, _ = enrolled(coordinator)
    code = code_for(device)

    first = APIClient().post(TOKEN_URL, {**RIGHT, "otp": code}, format="json")
    again = APIClient().post(TOKEN_URL, {**RIGHT, "otp": code}, format="json")

    assert first.status_code == 200
    assert "token" in first.json()
    assert again.status_code == 400
    assert list(again.json()) == ["otp"]
    assert ApiToken.objects.count() == 1


def test_a_recovery_code_signs_in_once(coordinator):
    _, codes = enrolled(coordinator)

    first = APIClient().post(TOKEN_URL, {**RIGHT, "otp": codes[3]}, format="json")
    again = APIClient().post(TOKEN_URL, {**RIGHT, "otp": codes[3]}, format="json")

    assert (first.status_code, again.status_code) == (200, 400)


def test_an_overlong_code_is_a_400_naming_otp(coordinator):
    enrolled(coordinator)
    response = APIClient().post(TOKEN_URL, {**RIGHT, "otp": "1" * 5000}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["otp"]


# --- the policy over HTTP ------------------------------------------------------------------------


def test_the_policy_field_is_shown_and_tightened_over_http(licensor, coordinator, partner):
    admin = APIClient()
    admin.force_authenticate(licensor)
    coordinator_client = APIClient()
    coordinator_client.force_authenticate(coordinator)
    policy = f"/api/v1/partners/{partner.pk}/policy/"
    assert coordinator_client.get(policy).json()["requires_two_factor"] is False

    assert admin.patch("/api/v1/policy/baseline/", {"requires_two_factor": True}, format="json").status_code == 200
    refused = coordinator_client.patch(policy, {"requires_two_factor": False}, format="json")

    assert coordinator_client.get(policy).json()["requires_two_factor"] is True
    assert refused.status_code == 400
    assert list(refused.json()) == ["requires_two_factor"]


# --- reading an incident in full ---------------------------------------------------------------


@pytest.fixture
def requires_two_factor(partner, coordinator):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"requires_two_factor": True})


@pytest.fixture
def incident(partner):
    return BoundaryIncidentFactory(partner=partner)


def _reads(incident):
    return IncidentAccess.objects.filter(incident=incident, action=IncidentAccess.Action.READ).count()


def _detail(client, incident):
    return client.get(f"/api/v1/incidents/{incident.pk}/")


def test_a_coordinator_without_a_device_is_refused_the_detail_and_nothing_is_logged(
    requires_two_factor, coordinator, incident
):
    response = _detail(signed_in(), incident)

    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"
    assert "Two-factor sign-in is required" in response.json()["detail"]
    assert _reads(incident) == 0


def test_a_coordinator_with_a_device_reads_the_detail_and_the_read_is_logged(
    requires_two_factor, coordinator, incident
):
    device, _ = enrolled(coordinator)

    response = _detail(signed_in({**RIGHT, "otp": code_for(device)}), incident)

    assert response.status_code == 200
    assert response.json()["description"] == incident.description
    assert _reads(incident) == 1


def test_the_list_stays_open_without_a_device(requires_two_factor, coordinator, incident):
    # The list never carries descriptions; only the detail needs the second factor.
    assert signed_in().get("/api/v1/incidents/").json()["count"] == 1


@pytest.fixture
def supervising(partner, coordinator, incident):
    """The incident's mentor is supervised by a supervisor who may read their incidents."""
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervisors_see_incidents": True})
    supervisor = user_with_role(Role.SUPERVISOR, partner, email="sup@example.org", password="sup-horse-battery")
    person = PersonFactory(partner=partner, user=supervisor)
    SupervisionAssignmentFactory(partner=partner, supervisor=person, supervisee=incident.mentor)
    SupervisionSessionFactory(partner=partner, supervisor=person, supervisee=incident.mentor)
    return supervisor


def test_a_supervisor_needs_a_device_too(requires_two_factor, supervising, incident):
    body = {"username": "sup@example.org", "password": "sup-horse-battery"}
    assert _detail(signed_in(body), incident).status_code == 403
    assert _reads(incident) == 0

    device, _ = enrolled(supervising)

    assert _detail(signed_in({**body, "otp": code_for(device)}), incident).status_code == 200
    assert _reads(incident) == 1


def test_without_the_policy_a_supervisor_reads_without_a_device(supervising, incident):
    response = _detail(signed_in({"username": "sup@example.org", "password": "sup-horse-battery"}), incident)
    assert response.status_code == 200


def test_the_licensor_setting_asks_licensor_admins_for_a_device(settings, licensor, partner):
    escalated = BoundaryIncidentFactory(partner=partner, escalated=True)
    body = {"username": "licensor@example.org", "password": "correct-horse-battery"}
    assert _detail(signed_in(body), escalated).status_code == 200  # off by default
    settings.TANDEM_LICENSOR_REQUIRES_TWO_FACTOR = True

    refused = _detail(signed_in(body), escalated)

    assert refused.status_code == 403
    assert refused.json()["code"] == "two_factor_required"
    assert _reads(escalated) == 1
    device, _ = enrolled(licensor)
    assert _detail(signed_in({**body, "otp": code_for(device)}), escalated).status_code == 200
    assert _reads(escalated) == 2
