"""Tenant scoping itself: what a user may see (visible_to) and write (require_role, can_write)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core.errors import NotFound, NotPermitted
from core.tenancy import (
    COORDINATOR,
    MENTOR,
    TRAINER,
    access_for,
    can_write,
    forget_access,
    is_licensor,
    require_role,
)
from franchise.models import Invitation, Membership, Partner, Role
from tests.factories import InvitationFactory, MembershipFactory, user_with_role


def test_access_lists_roles_per_partner(partner, other_partner):
    user = user_with_role(Role.TRAINER, partner)
    MembershipFactory(user=user, partner=partner, role=Role.SUPERVISOR)
    MembershipFactory(user=user, partner=other_partner, role=Role.MENTOR)

    access = access_for(user)

    assert access.is_licensor is False
    assert access.roles_by_partner == {
        partner.pk: frozenset({"trainer", "supervisor"}),
        other_partner.pk: frozenset({"mentor"}),
    }
    assert access.partner_ids([MENTOR]) == [other_partner.pk]


def test_access_is_computed_with_one_query_and_kept_until_forgotten(django_assert_num_queries, coordinator, partner):
    with django_assert_num_queries(1):
        access_for(coordinator)
        access_for(coordinator)
    MembershipFactory(user=coordinator, partner=partner, role=Role.TRAINER)
    assert access_for(coordinator).roles_by_partner[partner.pk] == {"coordinator"}
    forget_access(coordinator)
    assert access_for(coordinator).roles_by_partner[partner.pk] == {"coordinator", "trainer"}


@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_nobody_signed_in_has_no_access(db, user):
    assert access_for(user).roles_by_partner == {}
    assert Partner.objects.visible_to(user).count() == 0


def test_a_disabled_user_has_no_access(coordinator, partner):
    coordinator.is_active = False
    assert access_for(coordinator).roles_by_partner == {}
    assert not Partner.objects.visible_to(coordinator).exists()


def test_a_licensor_admin_is_a_membership_not_a_superuser(licensor):
    assert is_licensor(licensor)
    assert not licensor.is_superuser
    assert licensor.memberships.get().partner is None


def test_a_superuser_without_licensor_membership_sees_no_partner(partner, django_user_model):
    superuser = django_user_model.objects.create_superuser("root@example.org", "pw")
    assert not is_licensor(superuser)
    assert not Partner.objects.visible_to(superuser).exists()


def test_partners_visible_to_a_user_are_those_they_hold_a_role_in(partner, other_partner, mentor_user, licensor):
    assert list(Partner.objects.visible_to(mentor_user)) == [partner]
    assert set(Partner.objects.visible_to(licensor)) == {partner, other_partner}


def test_memberships_visible_to_a_coordinator_are_their_partners(coordinator, trainer, other_coordinator):
    visible = set(Membership.objects.visible_to(coordinator).values_list("user__email", flat=True))
    assert visible == {"coord@example.org", "trainer@example.org"}


def test_memberships_visible_to_a_trainer_are_their_own(coordinator, trainer):
    assert list(Membership.objects.visible_to(trainer).values_list("user__email", flat=True)) == ["trainer@example.org"]


def test_invitations_are_read_by_coordinators_only(partner, coordinator, trainer, licensor):
    ours = InvitationFactory(partner=partner)
    licensors = InvitationFactory(licensor=True)
    assert list(Invitation.objects.visible_to(coordinator)) == [ours]
    assert not Invitation.objects.visible_to(trainer).exists()
    assert set(Invitation.objects.visible_to(licensor)) == {ours, licensors}


def test_require_role_passes_a_coordinator_of_the_partner(coordinator, partner):
    require_role(coordinator, partner, (COORDINATOR,))
    require_role(coordinator, partner.pk, (COORDINATOR,))


def test_require_role_is_not_found_for_a_partner_the_user_is_not_in(coordinator, other_partner):
    with pytest.raises(NotFound):
        require_role(coordinator, other_partner, (COORDINATOR,))


def test_require_role_is_not_permitted_where_the_role_is_not_enough(mentor_user, partner):
    with pytest.raises(NotPermitted, match="coordinator"):
        require_role(mentor_user, partner, (COORDINATOR,))


def test_require_role_lets_a_licensor_admin_through_unless_told_not_to(licensor, partner):
    require_role(licensor, partner, (COORDINATOR,))
    with pytest.raises(NotPermitted):
        require_role(licensor, partner, (TRAINER,), licensor=False)


def test_licensor_owned_rows_are_written_by_the_licensor_only(licensor, coordinator):
    require_role(licensor, None)
    with pytest.raises(NotPermitted):
        require_role(coordinator, None)


def test_can_write(licensor, coordinator, mentor_user, partner, other_partner):
    assert can_write(coordinator, partner)
    assert not can_write(coordinator, other_partner)
    assert not can_write(mentor_user, partner)
    assert can_write(mentor_user, partner, (MENTOR,))
    assert can_write(licensor, other_partner)
    assert can_write(licensor, None)
    assert not can_write(coordinator, None)
