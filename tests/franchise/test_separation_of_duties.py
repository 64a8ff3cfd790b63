"""Separation of duties: a licensor admin holds no partner role, and a partner's member is not made one.

Without it a licensor admin invites themselves as a partner's coordinator and
reads its un-escalated incidents under their own name. Every path that gives
a role is refused with a named rule and leaves nothing written; a data check
finds accounts that already hold both.
"""

import io

import pytest
from django.core import checks, mail
from django.core.management import CommandError, call_command

from core.errors import Invalid, RuleNotMet
from franchise import services
from franchise.checks import accounts_holding_both_sides
from franchise.models import Invitation, Membership, Role, User
from tests.factories import InvitationFactory, MembershipFactory, user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _roles(user):
    return set(Membership.objects.filter(user=user).values_list("partner__slug", "role"))


def _refused_code(excinfo):
    (unmet,) = excinfo.value.unmet
    return unmet.code


def test_a_licensor_admin_cannot_invite_themselves_as_a_coordinator(
    licensor, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuleNotMet) as refused:
        services.invite(by=licensor, partner=partner, email=licensor.email, role=Role.COORDINATOR)

    assert _refused_code(refused) == "licensor_cannot_hold_partner_role"
    assert licensor.email in refused.value.unmet[0].message
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_a_coordinator_cannot_invite_a_licensor_admin_to_a_partner_role(coordinator, licensor, partner):
    with pytest.raises(RuleNotMet) as refused:
        services.invite(by=coordinator, partner=partner, email=licensor.email.upper(), role=Role.MENTOR)

    assert _refused_code(refused) == "licensor_cannot_hold_partner_role"
    assert not Invitation.objects.exists()


def test_a_partner_member_is_not_invited_to_be_a_licensor_admin(licensor, coordinator):
    with pytest.raises(RuleNotMet) as refused:
        services.invite(by=licensor, partner=None, email=coordinator.email, role=Role.LICENSOR_ADMIN)

    assert _refused_code(refused) == "partner_member_cannot_be_licensor"
    assert not Invitation.objects.exists()


def test_a_licensor_admin_cannot_accept_a_partner_role(licensor, partner):
    # Sent before they became a licensor admin, say: the rule holds at acceptance too.
    InvitationFactory(partner=partner, email=licensor.email, role=Role.COORDINATOR, token="partner-role")

    with pytest.raises(RuleNotMet) as refused:
        services.accept_invitation(token="partner-role", name="", password=PASSWORD)

    assert _refused_code(refused) == "licensor_cannot_hold_partner_role"
    assert Invitation.objects.get().accepted_at is None
    assert Invitation.objects.get().accepted_by is None
    assert _roles(licensor) == {(None, Role.LICENSOR_ADMIN)}


def test_a_partner_member_cannot_accept_the_licensor_admin_role(coordinator, partner):
    InvitationFactory(licensor=True, email=coordinator.email, token="licensor-role")

    with pytest.raises(RuleNotMet) as refused:
        services.accept_invitation(token="licensor-role", name="", password=PASSWORD)

    assert _refused_code(refused) == "partner_member_cannot_be_licensor"
    assert Invitation.objects.get().accepted_at is None
    assert _roles(coordinator) == {(partner.slug, Role.COORDINATOR)}


def test_a_wrong_password_is_refused_before_the_rule_is_named(licensor, partner):
    # The rule would tell a stranger holding the link that the account is a licensor admin's.
    InvitationFactory(partner=partner, email=licensor.email, role=Role.COORDINATOR, token="guess")

    with pytest.raises(Invalid) as refused:
        services.accept_invitation(token="guess", name="", password="not-the-password")

    assert refused.value.code == "password_mismatch"


def test_a_partner_member_is_not_made_licensor_admin_by_the_bootstrap_command_path(coordinator, partner):
    with pytest.raises(RuleNotMet) as refused:
        services.make_licensor_admin(email=coordinator.email)

    assert _refused_code(refused) == "partner_member_cannot_be_licensor"
    assert _roles(coordinator) == {(partner.slug, Role.COORDINATOR)}


def test_someone_who_holds_neither_side_takes_either(licensor, partner):
    services.invite(by=licensor, partner=partner, email="new@example.org", role=Role.COORDINATOR)
    services.invite(by=licensor, partner=None, email="other@example.org", role=Role.LICENSOR_ADMIN)
    assert Invitation.objects.count() == 2


def test_the_data_check_lists_accounts_that_hold_both(licensor, coordinator, partner):
    MembershipFactory(user=licensor, partner=partner, role=Role.COORDINATOR)  # written round the services

    assert list(accounts_holding_both_sides()) == [licensor]
    errors = checks.run_checks(tags=["tandem"], databases=["default"])
    assert [(e.id, e.obj) for e in errors if e.id == "tandem.E001"] == [("tandem.E001", licensor.email)]
    # Without --database the check does not touch the database (and finds nothing).
    assert not [e for e in checks.run_checks(tags=["tandem"]) if e.id == "tandem.E001"]


def test_the_command_names_each_account_holding_both_and_fails(licensor, partner):
    MembershipFactory(user=licensor, partner=partner, role=Role.SUPERVISOR)
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("check_separation_of_duties", stdout=out)

    assert failed.value.returncode == 1
    assert f"{licensor.email}: licensor admin, and Supervisor at {partner.name}" in out.getvalue()


def test_the_command_passes_and_clears_the_staff_flag_of_licensor_admins(licensor):
    User.objects.filter(pk=licensor.pk).update(is_staff=True)
    operator = user_with_role(Role.LICENSOR_ADMIN, is_staff=True, is_superuser=True)
    out = io.StringIO()

    call_command("check_separation_of_duties", "--clear-staff", stdout=out)

    assert f"Cleared the staff flag of licensor admin {licensor.email}" in out.getvalue()
    assert "No account holds both" in out.getvalue()
    assert User.objects.get(pk=licensor.pk).is_staff is False
    assert User.objects.get(pk=operator.pk).is_staff is True  # a superuser stays an operator


def test_the_demo_keeps_the_rule(demo):
    assert not accounts_holding_both_sides().exists()
    call_command("check_separation_of_duties", stdout=io.StringIO())
