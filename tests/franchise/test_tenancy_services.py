"""Invitations, memberships and the first licensor admin, as services (no HTTP)."""

import hashlib
import threading

import pytest
from django.core import mail
from django.db import connection

from core.errors import Invalid, NotPermitted
from franchise import services
from franchise.models import Invitation, Membership, Role, User
from franchise.services import accounts
from tests.factories import InvitationFactory, PartnerFactory, UserFactory, user_with_role

PASSWORD = "a-long-and-unusual-passphrase"


def test_only_a_hash_of_the_token_is_stored(django_capture_on_commit_callbacks, coordinator, partner):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invite(by=coordinator, partner=partner, email="n@example.org", role=Role.MENTOR)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token in mail.outbox[0].body
    assert not Invitation.objects.filter(token_hash=token).exists()


def test_the_email_is_sent_only_once_the_invitation_is_committed(
    django_capture_on_commit_callbacks, coordinator, partner
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invite(by=coordinator, partner=partner, email="n@example.org", role=Role.MENTOR)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_a_mail_server_that_fails_does_not_lose_the_invitation(
    django_capture_on_commit_callbacks, monkeypatch, coordinator, partner
):
    def refuse(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(accounts, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(by=coordinator, partner=partner, email="n@example.org", role=Role.MENTOR)
    assert Invitation.objects.filter(email="n@example.org").exists()


def test_an_accept_that_loses_the_claim_is_refused_and_writes_nothing(monkeypatch, partner):
    InvitationFactory(partner=partner, email="race@example.org", token="race")
    stale = accounts._usable_invitation("race", accounts.timezone.now())
    # Someone else accepts between our read and our claim.
    Invitation.objects.filter(pk=stale.pk).update(accepted_at=accounts.timezone.now())
    monkeypatch.setattr(accounts, "_usable_invitation", lambda token, now: stale)

    with pytest.raises(Invalid) as refused:
        services.accept_invitation(token="race", name="Second", password=PASSWORD)

    assert refused.value.code == "invitation_used"
    assert not User.objects.filter(email="race@example.org").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_of_one_invitation_make_one_membership(monkeypatch):
    partner = PartnerFactory()
    InvitationFactory(partner=partner, email="twice@example.org", token="twice")
    both_read = threading.Barrier(2, timeout=10)
    read = accounts._usable_invitation

    def read_then_wait(token, now):
        invitation = read(token, now)
        both_read.wait()
        return invitation

    monkeypatch.setattr(accounts, "_usable_invitation", read_then_wait)
    outcomes = []

    def accept(name):
        try:
            services.accept_invitation(token="twice", name=name, password=PASSWORD)
            outcomes.append("accepted")
        except Invalid as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["accepted", "invitation_used"]
    assert User.objects.filter(email="twice@example.org").count() == 1
    assert Membership.objects.filter(user__email="twice@example.org").count() == 1


def test_a_disabled_account_cannot_accept(partner, other_coordinator):
    other_coordinator.is_active = False
    other_coordinator.save()
    InvitationFactory(partner=partner, email=other_coordinator.email, token="off")
    with pytest.raises(Invalid):
        services.accept_invitation(token="off", name="", password="correct-horse-battery")
    assert not Membership.objects.filter(user=other_coordinator, partner=partner).exists()


def test_a_non_licensor_may_not_remove_a_licensor_admin(coordinator, licensor):
    with pytest.raises(NotPermitted):
        services.remove_membership(by=coordinator, membership=licensor.memberships.get())
    assert Membership.objects.filter(user=licensor).exists()


def test_the_last_licensor_admin_stays(licensor):
    with pytest.raises(Invalid) as refused:
        services.remove_membership(by=licensor, membership=licensor.memberships.get())
    assert refused.value.code == "last_licensor_admin"
    assert Membership.objects.filter(user=licensor).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_licensor_admins_removing_each_other_at_once_leave_one(monkeypatch):
    first, second = user_with_role(Role.LICENSOR_ADMIN), user_with_role(Role.LICENSOR_ADMIN)
    # Both requests get as far as the delete before either commits, unless the lock makes one wait.
    at_delete = threading.Barrier(2, timeout=2)
    delete = Membership.delete

    def delete_after_the_other_checked(self, *args, **kwargs):
        try:
            at_delete.wait()
        except threading.BrokenBarrierError:
            pass
        return delete(self, *args, **kwargs)

    monkeypatch.setattr(Membership, "delete", delete_after_the_other_checked)
    outcomes = []

    def remove(by, whom):
        try:
            services.remove_membership(by=by, membership=Membership.objects.get(user=whom))
            outcomes.append("removed")
        except Invalid as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["last_licensor_admin", "removed"]
    assert Membership.objects.filter(role=Role.LICENSOR_ADMIN).count() == 1


def test_a_licensor_admin_may_step_down_while_another_remains(licensor):
    user_with_role(Role.LICENSOR_ADMIN)
    services.remove_membership(by=licensor, membership=licensor.memberships.get())
    assert not Membership.objects.filter(user=licensor).exists()


def test_only_the_licensor_adds_partners(coordinator, licensor):
    with pytest.raises(NotPermitted):
        services.create_partner(by=coordinator, name="X", slug="x")
    assert services.create_partner(by=licensor, name="X", slug="x").slug == "x"


@pytest.mark.parametrize("slug", ["verify", "Login", "api"])
def test_a_partner_may_not_take_an_address_of_tandems_own(licensor, partner, slug):
    with pytest.raises(Invalid) as refused:
        services.create_partner(by=licensor, name="Verify Trust", slug=slug)
    assert (refused.value.field, refused.value.code) == ("slug", "slug_reserved")
    with pytest.raises(Invalid):
        services.update_partner(by=licensor, partner=partner, slug=slug)
    partner.refresh_from_db()
    assert partner.slug != slug


def test_making_the_first_licensor_admin_creates_a_user_who_is_not_staff(db):
    user, created, added = services.make_licensor_admin(email=" First@Licensor.example ", password=PASSWORD, name="Fay")
    assert (created, added) == (True, True)
    assert (user.email, user.name, user.is_staff, user.is_superuser) == ("first@licensor.example", "Fay", False, False)
    assert user.check_password(PASSWORD)
    assert user.memberships.get().role == Role.LICENSOR_ADMIN


def test_making_an_existing_user_licensor_admin_keeps_their_password(db):
    UserFactory(email="former@example.org", name="Fern Former")
    user, created, added = services.make_licensor_admin(email="former@example.org", password="ignored", name="New")
    assert (created, added) == (False, True)
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")
    assert user.name == "Fern Former"
    assert not user.is_staff
    assert set(user.memberships.values_list("role", flat=True)) == {"licensor_admin"}


def test_making_a_licensor_admin_twice_changes_nothing(licensor):
    _, created, added = services.make_licensor_admin(email=licensor.email)
    assert (created, added) == (False, False)
    assert licensor.memberships.count() == 1


@pytest.mark.parametrize(
    ("email", "password", "field"), [("not-an-email", PASSWORD, "email"), ("a@b.example", "123", "password")]
)
def test_a_bad_licensor_admin_is_refused_and_nothing_is_written(db, email, password, field):
    with pytest.raises(Invalid) as refused:
        services.make_licensor_admin(email=email, password=password)
    assert refused.value.field == field
    assert not User.objects.exists()
