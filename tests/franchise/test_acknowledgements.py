import pytest

from core.errors import Invalid, NotFound, NotPermitted
from franchise import rules, services
from franchise.models import PolicyAcknowledgement, PolicyVersion
from franchise.querysets import (
    own_acknowledgement,
    people_acknowledged_current_version,
    people_not_acknowledged_current_version,
    with_current_acknowledgement,
)
from supervision.models import Person
from tests.franchise.factories import PolicyAcknowledgementFactory, PolicyVersionFactory
from tests.supervision.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_mentor_acknowledges_for_themselves_and_gets_a_person(mentor_user, partner):
    version = PolicyVersionFactory(partner=partner)

    acknowledgement, created = services.acknowledge_policy(by=mentor_user, partner=partner)

    assert created
    assert acknowledgement.policy_version == version
    assert acknowledgement.method == "self"
    assert acknowledgement.recorded_by == mentor_user
    person = acknowledgement.person
    assert (person.partner, person.user, person.name, person.email) == (
        partner,
        mentor_user,
        "Mo Mentor",
        "mentor@example.org",
    )


def test_the_callers_existing_person_is_used(supervisor, partner):
    person = PersonFactory(partner=partner, user=supervisor)

    acknowledgement, _ = services.acknowledge_policy(by=supervisor, partner=partner)

    assert acknowledgement.person == person
    assert Person.objects.count() == 1


def test_acknowledging_twice_changes_nothing(trainer, partner):
    PolicyVersionFactory(partner=partner)
    first, _ = services.acknowledge_policy(by=trainer, partner=partner)

    again, created = services.acknowledge_policy(by=trainer, partner=partner)

    assert not created
    assert again == first
    assert PolicyAcknowledgement.objects.count() == 1


def test_a_coordinator_records_a_signed_paper_acknowledgement(coordinator, partner):
    PolicyVersionFactory(partner=partner)
    volunteer = PersonFactory(partner=partner)

    acknowledgement, _ = services.acknowledge_policy(by=coordinator, partner=partner, person=volunteer)

    assert (acknowledgement.person, acknowledgement.method, acknowledgement.recorded_by) == (
        volunteer,
        "paper",
        coordinator,
    )


def test_a_mentor_cannot_acknowledge_for_someone_else(mentor_user, partner):
    PolicyVersionFactory(partner=partner)

    with pytest.raises(NotPermitted):
        services.acknowledge_policy(by=mentor_user, partner=partner, person=PersonFactory(partner=partner))
    assert not PolicyAcknowledgement.objects.exists()


def test_a_person_of_another_partner_is_refused(coordinator, partner, other_partner):
    with pytest.raises(Invalid) as refused:
        services.acknowledge_policy(by=coordinator, partner=partner, person=PersonFactory(partner=other_partner))

    assert refused.value.field == "person"


def test_a_stranger_to_the_partner_gets_not_found(other_coordinator, partner):
    with pytest.raises(NotFound):
        services.acknowledge_policy(by=other_coordinator, partner=partner)


def test_a_licensor_admin_names_the_person(licensor, partner):
    with pytest.raises(Invalid) as refused:
        services.acknowledge_policy(by=licensor, partner=partner)

    assert refused.value.code == "person_required"


def test_the_first_acknowledgement_writes_the_first_version(mentor_user, partner):
    acknowledgement, _ = services.acknowledge_policy(by=mentor_user, partner=partner)

    assert acknowledgement.policy_version == PolicyVersion.objects.get(partner=partner, number=1)


def test_acknowledging_a_superseded_version_is_refused(mentor_user, partner):
    PolicyVersionFactory(partner=partner)
    PolicyVersionFactory(partner=partner)

    with pytest.raises(Invalid) as refused:
        services.acknowledge_policy(by=mentor_user, partner=partner, version_number=1)

    assert refused.value.code == "version_superseded"
    assert not PolicyAcknowledgement.objects.exists()


def test_a_new_version_needs_a_new_acknowledgement(coordinator, mentor_user, partner):
    services.acknowledge_policy(by=mentor_user, partner=partner)
    person = Person.objects.get(user=mentor_user)
    assert rules.policy_acknowledged(person) == []

    services.update_policy_overrides(by=coordinator, partner=partner, changes={"supervision_interval_days": 28})

    unmet = rules.policy_acknowledged(person)
    assert [item.code for item in unmet] == ["policy_not_acknowledged"]
    assert "version 2" in unmet[0].message


def test_acknowledgement_querysets_are_set_based_across_partners(partner, other_partner, django_assert_num_queries):
    current = PolicyVersionFactory(partner=partner)
    done = PolicyAcknowledgementFactory(partner=partner, policy_version=current).person
    old = PolicyVersionFactory(partner=other_partner)
    stale = PolicyAcknowledgementFactory(partner=other_partner, policy_version=old).person
    PolicyVersionFactory(partner=other_partner)
    pending = PersonFactory(partner=partner, applicant=True)

    with django_assert_num_queries(1):
        flags = {p.pk: p.acknowledged_current_policy for p in with_current_acknowledgement(Person.objects.all())}

    assert flags == {done.pk: True, stale.pk: False, pending.pk: False}
    assert list(people_acknowledged_current_version(partner)) == [done]
    assert list(people_not_acknowledged_current_version(partner)) == [pending]


def test_a_person_is_shown_their_own_acknowledgement_of_a_version_and_no_other(partner):
    old, current = PolicyVersionFactory(partner=partner), PolicyVersionFactory(partner=partner)
    person, other = PersonFactory(partner=partner), PersonFactory(partner=partner)
    mine = PolicyAcknowledgementFactory(partner=partner, person=person, policy_version=old)
    PolicyAcknowledgementFactory(partner=partner, person=other, policy_version=current)

    assert own_acknowledgement(person, old) == mine
    assert own_acknowledgement(person, current) is None
    assert own_acknowledgement(None, current) is None and own_acknowledgement(person, None) is None
