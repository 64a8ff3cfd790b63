"""Accepting an invitation sent from a person's page links the new login to that person."""

from franchise import services as franchise_services
from franchise.models import Role
from supervision.people.services import link_invited_login
from tests.factories import InvitationFactory, UserFactory
from tests.supervision.factories import PersonFactory

PASSWORD = "a-long-and-unusual-passphrase"


def accept(partner, email, role=Role.MENTOR):
    InvitationFactory(partner=partner, email=email, role=role, token=f"token-{email}")
    return franchise_services.accept_invitation(token=f"token-{email}", name="Una", password=PASSWORD)


def test_the_person_with_the_invited_address_gets_the_login(partner):
    person = PersonFactory(partner=partner, email="una@example.org", applicant=True)
    user = accept(partner, "una@example.org")
    person.refresh_from_db()
    assert person.user == user


def test_a_person_of_another_partner_with_the_same_address_is_left_alone(partner, other_partner):
    elsewhere = PersonFactory(partner=other_partner, email="una@example.org")
    accept(partner, "una@example.org")
    elsewhere.refresh_from_db()
    assert elsewhere.user is None


def test_nobody_is_linked_when_several_people_share_the_address(partner):
    first = PersonFactory(partner=partner, email="shared@example.org")
    second = PersonFactory(partner=partner, email="shared@example.org")
    accept(partner, "shared@example.org")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.user is None and second.user is None


def test_a_user_who_already_has_a_profile_in_the_partner_keeps_it(partner):
    user = UserFactory(email="una@example.org")
    profile = PersonFactory(partner=partner, user=user, email="una@example.org")
    other = PersonFactory(partner=partner, email="una@example.org")
    assert link_invited_login(partner=partner, user=user) is None
    other.refresh_from_db()
    assert other.user is None and profile.user == user
