"""Two-factor sign-in in the domain: enrolment, the login's second step, and who must have a device before
reading an incident in full (the `requires_two_factor` policy field, the licensor's setting)."""

import pytest
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import Invalid
from franchise import services, tokens, two_factor
from franchise.models import ApiToken, PolicyOverride, Role
from franchise.policy import effective_policy
from supervision.incidents import services as incidents
from supervision.models import IncidentAccess
from tests.factories import user_with_role
from tests.franchise.devices import code_for, enrolled, wrong_code_for
from tests.supervision.factories import BoundaryIncidentFactory

# --- enrolment ------------------------------------------------------------------------


def test_a_device_is_unconfirmed_until_a_code_from_it_is_given(coordinator):
    device = two_factor.start_enrolment(user=coordinator, name="Phone")

    assert not device.confirmed
    assert not two_factor.has_two_factor(coordinator)
    two_factor.check_sign_in(coordinator, "")  # an unconfirmed device asks nothing at login


def test_a_wrong_code_does_not_confirm_the_device_nor_issue_recovery_codes(coordinator):
    device = two_factor.start_enrolment(user=coordinator)

    with pytest.raises(Invalid) as refused:
        two_factor.confirm_device(user=coordinator, device=device, otp=wrong_code_for(device))

    assert (refused.value.field, refused.value.code) == ("otp", "otp_invalid")
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.exists()


def test_confirming_issues_ten_recovery_codes_and_signs_out_every_other_token(coordinator):
    kept, _ = tokens.issue_token(coordinator)
    tokens.issue_token(coordinator)
    device = two_factor.start_enrolment(user=coordinator)

    codes = two_factor.confirm_device(user=coordinator, device=device, otp=code_for(device), keep_token=kept)

    assert len(set(codes)) == 10
    assert two_factor.has_two_factor(coordinator)
    assert list(ApiToken.objects.filter(user=coordinator)) == [kept]


def test_starting_again_drops_an_enrolment_never_confirmed(coordinator):
    first = two_factor.start_enrolment(user=coordinator)
    second = two_factor.start_enrolment(user=coordinator)

    assert list(TOTPDevice.objects.filter(user=coordinator)) == [second]
    assert first.pk != second.pk


# --- the login's second step --------------------------------------------------------------


def test_with_a_confirmed_device_the_login_asks_for_a_code(coordinator):
    enrolled(coordinator)

    with pytest.raises(Invalid) as missing:
        two_factor.check_sign_in(coordinator, "")
    assert (missing.value.field, missing.value.code) == ("otp", "otp_required")


def test_a_current_code_passes_once_and_a_wrong_one_never(coordinator):
    device, _ = enrolled(coordinator)
    code = code_for(device)

    two_factor.check_sign_in(coordinator, code)
    with pytest.raises(Invalid) as replayed:
        two_factor.check_sign_in(coordinator, code)
    with pytest.raises(Invalid) as wrong:
        two_factor.check_sign_in(coordinator, wrong_code_for(device))

    assert replayed.value.code == wrong.value.code == "otp_invalid"


def test_a_recovery_code_signs_in_once(coordinator):
    _, codes = enrolled(coordinator)

    two_factor.check_sign_in(coordinator, codes[0].upper())
    with pytest.raises(Invalid):
        two_factor.check_sign_in(coordinator, codes[0])
    assert StaticToken.objects.filter(device__user=coordinator).count() == 9


def test_removing_needs_a_code_or_the_password_and_takes_the_recovery_codes_with_the_last_device(coordinator):
    device, _ = enrolled(coordinator)

    with pytest.raises(Invalid) as refused:
        two_factor.remove_device(user=coordinator, device=device, password="not-it")
    assert refused.value.field == "otp"
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    two_factor.remove_device(user=coordinator, device=device, password="correct-horse-battery")

    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticToken.objects.filter(device__user=coordinator).exists()
    two_factor.check_sign_in(coordinator, "")


# --- the policy field ---------------------------------------------------------------------


def test_requires_two_factor_is_off_in_the_baseline_and_a_partner_may_switch_it_on(coordinator, partner):
    assert effective_policy(partner).requires_two_factor is False

    services.update_policy_overrides(by=coordinator, partner=partner, changes={"requires_two_factor": True})

    assert effective_policy(partner).requires_two_factor is True


def test_while_the_licensor_has_it_on_a_partner_cannot_switch_it_off(licensor, coordinator, partner):
    services.update_baseline(by=licensor, changes={"requires_two_factor": True})
    assert effective_policy(partner).requires_two_factor is True

    with pytest.raises(ValidationError) as refused:
        services.update_policy_overrides(by=coordinator, partner=partner, changes={"requires_two_factor": False})

    assert "cannot switch it off" in refused.value.message_dict["requires_two_factor"][0]
    assert not PolicyOverride.objects.filter(partner=partner).exists()
    assert effective_policy(partner).requires_two_factor is True


# --- who needs a device to read an incident in full ------------------------------------------


@pytest.fixture
def requires_two_factor(partner, coordinator):
    services.update_policy_overrides(by=coordinator, partner=partner, changes={"requires_two_factor": True})


def _reads(incident):
    return IncidentAccess.objects.filter(incident=incident, action=IncidentAccess.Action.READ).count()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR])
def test_where_the_policy_requires_it_a_reader_without_a_device_is_refused_and_nothing_is_logged(
    requires_two_factor, partner, role
):
    reader = user_with_role(role, partner, email=f"{role}.reader@example.org")
    incident = BoundaryIncidentFactory(partner=partner)

    with pytest.raises(two_factor.TwoFactorRequired) as refused:
        incidents.record_read(incident=incident, by=reader)

    assert refused.value.status == 403
    assert refused.value.code == "two_factor_required"
    assert _reads(incident) == 0


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR])
def test_with_a_confirmed_device_the_read_is_allowed_and_logged(requires_two_factor, partner, role):
    reader = user_with_role(role, partner, email=f"{role}.reader@example.org")
    enrolled(reader)
    incident = BoundaryIncidentFactory(partner=partner)

    incidents.record_read(incident=incident, by=reader)

    assert _reads(incident) == 1


def test_without_the_policy_nobody_needs_a_device(coordinator, partner):
    incident = BoundaryIncidentFactory(partner=partner)

    incidents.record_read(incident=incident, by=coordinator)

    assert _reads(incident) == 1


def test_the_policy_of_another_partner_does_not_reach_this_one(coordinator, partner, other_partner):
    other = user_with_role(Role.COORDINATOR, other_partner, email="c2@example.org")
    services.update_policy_overrides(by=other, partner=other_partner, changes={"requires_two_factor": True})

    assert two_factor.required_for_confidential_reads(coordinator, partner.pk) is False
    assert two_factor.required_for_confidential_reads(other, other_partner.pk) is True


def test_a_reporter_who_is_only_a_mentor_is_not_asked(requires_two_factor, partner, mentor_user):
    assert two_factor.required_for_confidential_reads(mentor_user, partner.pk) is False


def test_the_licensor_setting_asks_licensor_admins_for_a_device(settings, licensor, partner):
    incident = BoundaryIncidentFactory(partner=partner, escalated=True)
    incidents.record_read(incident=incident, by=licensor)  # the setting is off by default
    settings.TANDEM_LICENSOR_REQUIRES_TWO_FACTOR = True

    with pytest.raises(two_factor.TwoFactorRequired):
        incidents.record_read(incident=incident, by=licensor)
    assert _reads(incident) == 1

    enrolled(licensor)
    incidents.record_read(incident=incident, by=licensor)
    assert _reads(incident) == 2


def test_a_wrong_code_slows_the_next_attempts_down_even_where_it_was_refused(coordinator):
    device, _ = enrolled(coordinator)

    with pytest.raises(Invalid):
        two_factor.remove_device(user=coordinator, device=device, otp=wrong_code_for(device))

    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Throttled now (django-otp: a cool-off that doubles with each failure): even the right code waits.
    with pytest.raises(Invalid):
        two_factor.check_sign_in(coordinator, code_for(device))
