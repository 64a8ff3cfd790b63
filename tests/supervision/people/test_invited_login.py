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


# --- the Person recorded before or after the login, and invitations that name the person ----------


def test_a_person_recorded_after_the_login_gets_it_on_their_first_action_not_a_second_profile(partner, coordinator):
    from franchise.models import PolicyAcknowledgement
    from supervision.models import Person
    from supervision.people import services as people_services
    from tests.franchise.factories import PolicyVersionFactory

    PolicyVersionFactory(partner=partner)
    user = accept(partner, "una@example.org")
    person = people_services.create_person(by=coordinator, partner=partner, name="Una Mentor", email="Una@Example.org")

    acknowledgement, _ = franchise_services.acknowledge_policy(by=user, partner=partner)

    assert acknowledgement.person == person
    assert list(Person.objects.filter(partner=partner, email__iexact="una@example.org")) == [person]
    person.refresh_from_db()
    assert person.user == user
    assert PolicyAcknowledgement.objects.filter(partner=partner).count() == 1


def test_an_invitation_from_a_person_links_that_person_even_when_another_shares_the_address(partner, coordinator):
    PersonFactory(partner=partner, email="shared@example.org", name="Sam One")
    invited = PersonFactory(partner=partner, email="shared@example.org", name="Sam Two")

    invitation, token = franchise_services.invite(
        by=coordinator, partner=partner, email="", role=Role.MENTOR, person=invited
    )
    user = franchise_services.accept_invitation(token=token, name="Sam Two", password=PASSWORD)

    assert invitation.person == invited and invitation.email == "shared@example.org"
    invited.refresh_from_db()
    assert invited.user == user


def test_an_invitation_from_a_person_goes_to_the_address_on_their_page(partner, coordinator):
    import pytest

    from core.errors import Invalid

    person = PersonFactory(partner=partner, email="una@example.org")

    with pytest.raises(Invalid) as excinfo:
        franchise_services.invite(
            by=coordinator, partner=partner, email="someone.else@example.org", role=Role.MENTOR, person=person
        )

    assert excinfo.value.field == "email"
    from franchise.models import Invitation

    assert not Invitation.objects.exists()


def test_a_person_of_another_partner_or_with_a_login_cannot_be_invited(partner, other_partner, coordinator):
    import pytest

    from core.errors import Invalid
    from franchise.models import Invitation

    foreign = PersonFactory(partner=other_partner, email="far@example.org")
    with_login = PersonFactory(partner=partner, email="has@example.org", user=UserFactory(email="has@example.org"))

    for person in (foreign, with_login):
        with pytest.raises(Invalid) as excinfo:
            franchise_services.invite(by=coordinator, partner=partner, email="", role=Role.MENTOR, person=person)
        assert excinfo.value.field == "person"
    assert not Invitation.objects.exists()
