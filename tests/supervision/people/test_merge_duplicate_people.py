"""merge_duplicate_people: the people a login's first action recorded a second time, listed, and merged only
when asked and only when unambiguous."""

import io

import pytest
from django.core.management import call_command

from franchise.models import PolicyAcknowledgement
from supervision.models import Person
from supervision.people.duplicates import duplicate_people
from tests.factories import UserFactory
from tests.franchise.factories import PolicyAcknowledgementFactory
from tests.supervision.factories import PersonFactory, ShadowingLogFactory

pytestmark = pytest.mark.django_db


def _run(*args):
    out = io.StringIO()
    call_command("merge_duplicate_people", *args, stdout=out)
    return out.getvalue()


def _recorded_twice(partner, email="una@example.org"):
    """A person on file without a login, and the Person a login with the same address made on its first
    action: it holds the login and the acknowledgement."""
    on_file = PersonFactory(partner=partner, email=email.title(), name="Una Mentor", applicant=True)
    user = UserFactory(email=email)
    made = PersonFactory(partner=partner, email=email, user=user, name="Una", mentor_status=None)
    acknowledgement = PolicyAcknowledgementFactory(partner=partner, person=made)
    return on_file, made, acknowledgement


def test_the_dry_run_lists_the_pair_and_changes_nothing(partner):
    on_file, made, _ = _recorded_twice(partner)

    output = _run()

    assert (
        f"Would merge {partner.slug}, una@example.org: {made.pk} (login, acknowledgements) into {on_file.pk}" in output
    )
    assert "Dry run: 1 of 1 would be merged" in output
    on_file.refresh_from_db()
    assert on_file.user is None and Person.objects.filter(pk=made.pk).exists()


def test_apply_moves_the_login_and_the_acknowledgements_to_the_person_on_file(partner):
    on_file, made, acknowledgement = _recorded_twice(partner)
    user_id = made.user_id

    output = _run("--apply")

    assert "Merged 1 of 1." in output
    on_file.refresh_from_db()
    assert on_file.user_id == user_id
    assert not Person.objects.filter(pk=made.pk).exists()
    assert list(PolicyAcknowledgement.objects.values_list("pk", "person")) == [(acknowledgement.pk, on_file.pk)]
    assert _run() == "No person is recorded twice.\n"


def test_a_version_the_person_on_file_acknowledged_already_is_not_counted_twice(partner):
    on_file, _, acknowledgement = _recorded_twice(partner)
    paper = PolicyAcknowledgementFactory(partner=partner, person=on_file, policy_version=acknowledgement.policy_version)

    _run("--apply")

    assert list(PolicyAcknowledgement.objects.values_list("pk", flat=True)) == [paper.pk]


def test_an_ambiguous_pair_is_listed_with_its_reason_and_left_alone(partner, other_partner):
    # Two people on file share the address: which one the login is is a coordinator's call.
    _recorded_twice(partner)
    PersonFactory(partner=partner, email="una@example.org", name="Una Other")
    # The login's Person holds shadowing of its own: a merge would move more than acknowledgements.
    _, busy, _ = _recorded_twice(other_partner, "bo@example.org")
    ShadowingLogFactory(partner=other_partner, mentor=busy)
    before = sorted(Person.objects.values_list("pk", "user_id"))

    output = _run("--apply")

    assert "Leaving northside, una@example.org: 2 people without a login are on file with this address." in output
    assert "Leaving harbour, bo@example.org: Una (with the login) holds records of their own" in output
    assert "Merged 0 of 2." in output
    assert sorted(Person.objects.values_list("pk", "user_id")) == before


def test_people_of_different_partners_are_not_duplicates(partner, other_partner):
    PersonFactory(partner=partner, email="una@example.org")
    PersonFactory(partner=other_partner, email="una@example.org", user=UserFactory(email="una@example.org"))

    assert duplicate_people() == []


def test_listing_runs_the_same_queries_for_one_pair_or_many(partner, django_assert_num_queries):
    _recorded_twice(partner)
    with django_assert_num_queries(2):
        duplicate_people()
    for n in range(5):
        _recorded_twice(partner, f"u{n}@example.org")
    with django_assert_num_queries(2):
        assert len(duplicate_people()) == 6
