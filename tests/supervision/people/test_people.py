"""People: registering and changing them, who sees whom, and the facts listed with them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from franchise.models import Role
from supervision.models import MentorStatus, Person, PersonTransition
from supervision.people import services
from tests.factories import UserFactory, user_with_role
from tests.supervision.factories import PersonFactory, ShadowingLogFactory
from tests.training.factories import EnrolmentFactory

# --- registering and changing ---------------------------------------------------------


def test_a_volunteer_is_registered_as_an_applicant_and_the_step_recorded(partner, coordinator):
    person = services.create_person(by=coordinator, partner=partner, name="Ann Lee", email="ANN@Example.org ")

    assert (person.mentor_status, person.email) == (MentorStatus.APPLICANT, "ann@example.org")
    move = PersonTransition.objects.get(person=person)
    assert (move.from_status, move.to_status, move.by) == (None, "applicant", coordinator)


def test_staff_are_registered_off_the_mentor_pathway(partner, coordinator):
    person = services.create_person(by=coordinator, partner=partner, name="Ruth Okafor", mentor_status=None)

    assert person.mentor_status is None
    assert not PersonTransition.objects.exists()


def test_a_person_cannot_be_registered_further_along_the_pathway(partner, coordinator):
    with pytest.raises(Invalid) as refused:
        services.create_person(by=coordinator, partner=partner, name="Ann Lee", mentor_status=MentorStatus.ACTIVE)
    assert refused.value.field == "mentor_status"
    assert not Person.objects.exists()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TRAINER, Role.MENTOR])
def test_only_coordinators_register_people(partner, role):
    with pytest.raises(NotPermitted):
        services.create_person(by=user_with_role(role, partner), partner=partner, name="Ann Lee")
    assert not Person.objects.exists()


def test_a_login_is_linked_only_when_the_user_holds_a_role_in_the_partner(partner, other_partner, coordinator):
    member = user_with_role(Role.MENTOR, partner)
    outsider = user_with_role(Role.MENTOR, other_partner)

    linked = services.create_person(by=coordinator, partner=partner, name="Mo", user=member.pk)
    assert linked.user == member
    with pytest.raises(ValidationError) as refused:
        services.create_person(by=coordinator, partner=partner, name="Otto", user=outsider.pk)
    assert "user" in refused.value.message_dict
    with pytest.raises(ValidationError) as twice:
        services.create_person(by=coordinator, partner=partner, name="Mo again", user=member)
    assert "already has a profile" in twice.value.message_dict["user"][0]


def test_dates_in_the_future_are_refused(partner, coordinator):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.create_person(
            by=coordinator, partner=partner, name="Ann", prior_learning_on=tomorrow, background_check_on=tomorrow
        )
    assert set(refused.value.message_dict) == {"prior_learning_on", "background_check_on"}


def test_updating_a_person_changes_their_details_but_never_their_status(partner, coordinator):
    person = PersonFactory(partner=partner, applicant=True)

    services.update_person(by=coordinator, person=person, name="Ann Lee", background_check_on=timezone.localdate())
    with pytest.raises(Invalid):
        services.update_person(by=coordinator, person=person, mentor_status=MentorStatus.ACTIVE)

    person.refresh_from_db()
    assert (person.name, person.background_check_on, person.mentor_status) == (
        "Ann Lee",
        timezone.localdate(),
        MentorStatus.APPLICANT,
    )


def test_the_database_refuses_a_pause_without_reason_or_review_date(partner):
    with pytest.raises(IntegrityError):
        PersonFactory(partner=partner, mentor_status=MentorStatus.PAUSED)


# --- calendar secret ------------------------------------------------------------------


def test_each_person_gets_an_unguessable_calendar_secret(partner):
    one, two = PersonFactory(partner=partner), PersonFactory(partner=partner)
    assert one.calendar_secret != two.calendar_secret
    assert len(one.calendar_secret) >= 43  # 32 random bytes, base64url
    assert one.calendar_url == f"https://tandem.test/calendar/{one.calendar_secret}.ics"


def test_regenerating_the_secret_replaces_it(partner, coordinator):
    person = PersonFactory(partner=partner)
    old = person.calendar_secret

    services.regenerate_calendar_secret(by=coordinator, person=person)

    person.refresh_from_db()
    assert person.calendar_secret != old
    assert not Person.objects.filter(calendar_secret=old).exists()


def test_a_person_regenerates_their_own_secret_but_not_someone_elses(partner):
    own = PersonFactory(partner=partner, with_user=True, active_mentor=True)
    user_with_role(Role.MENTOR, partner, email=own.email)
    other = PersonFactory(partner=partner)

    services.regenerate_calendar_secret(by=own.user, person=own)
    with pytest.raises(NotPermitted):
        services.regenerate_calendar_secret(by=own.user, person=other)


# --- who sees whom --------------------------------------------------------------------


@pytest.fixture
def people(partner, other_partner):
    mentor_user = UserFactory(email="mentor@example.org")
    user_with_role(Role.MENTOR, partner, email="mentor@example.org")
    return {
        "own": PersonFactory(partner=partner, user=mentor_user, active_mentor=True),
        "colleague": PersonFactory(partner=partner, active_mentor=True),
        "elsewhere": PersonFactory(partner=other_partner, active_mentor=True),
    }


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR, Role.TRAINER])
def test_staff_see_their_partners_people(partner, people, role):
    visible = set(Person.objects.visible_to(user_with_role(role, partner)))
    assert visible == {people["own"], people["colleague"]}


def test_a_mentor_sees_only_their_own_person(people):
    mentor = people["own"].user
    assert list(Person.objects.visible_to(mentor)) == [people["own"]]


def test_a_mentor_who_lost_their_role_sees_nothing(people):
    mentor = people["own"].user
    mentor.memberships.all().delete()
    assert list(Person.objects.visible_to(mentor)) == []


def test_the_licensor_sees_everyone(people, licensor):
    assert set(Person.objects.visible_to(licensor)) == set(people.values())


def test_a_user_without_any_role_sees_no_one(people):
    assert list(Person.objects.visible_to(UserFactory())) == []


# --- listed facts ---------------------------------------------------------------------


def test_trained_means_prior_learning_or_a_passed_enrolment(partner):
    prior = PersonFactory(partner=partner, trained=True)
    passed = PersonFactory(partner=partner)
    EnrolmentFactory(partner=partner, learner=passed, passed=True)
    enrolled = PersonFactory(partner=partner)
    EnrolmentFactory(partner=partner, learner=enrolled)
    neither = PersonFactory(partner=partner)

    mine = [prior.pk, passed.pk, enrolled.pk, neither.pk]
    trained = dict(Person.objects.with_trained().filter(pk__in=mine).values_list("pk", "trained"))

    assert trained == {prior.pk: True, passed.pk: True, enrolled.pk: False, neither.pk: False}


def test_shadowing_hours_sum_every_log_of_the_person(partner):
    person = PersonFactory(partner=partner, shadowing=True)
    ShadowingLogFactory(partner=partner, mentor=person, hours=Decimal("2.5"))
    ShadowingLogFactory(partner=partner, mentor=person, hours=Decimal("1.25"), date=timezone.localdate())
    ShadowingLogFactory(partner=partner, hours=Decimal("7"))  # someone else's
    nobody = PersonFactory(partner=partner)

    hours = dict(Person.objects.with_shadowing_hours().values_list("pk", "shadowing_hours"))

    assert hours[person.pk] == Decimal("3.75")
    assert hours[nobody.pk] == 0


def test_the_listed_facts_take_one_query_for_any_number_of_people(partner, django_assert_num_queries):
    for _ in range(5):
        person = PersonFactory(partner=partner, shadowing=True)
        ShadowingLogFactory(partner=partner, mentor=person)
        EnrolmentFactory(partner=partner, learner=person, passed=True)

    with django_assert_num_queries(1):
        rows = list(Person.objects.for_listing())

    assert len(rows) >= 5
    assert all(row.trained for row in rows if row.mentor_status == MentorStatus.SHADOWING)
