"""Matching suggestions: mentors ranked by a score whose parts are shown, and every mentor left out with reasons."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Invalid, NotPermitted
from supervision.mentoring import services
from supervision.mentoring.suggestions import suggest_mentors
from supervision.models import MentorConflict
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    MatchFactory,
    MatchingTagFactory,
    MentorConflictFactory,
    MentorProfileFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def suggest(by, partner, **needs):
    return suggest_mentors(by=by, partner=partner, mentee_ref=needs.pop("mentee_ref", "NS-M-0300"), **needs)


def test_mentors_are_ranked_by_a_score_whose_parts_add_up(partner, coordinator):
    housing, benefits = (
        MatchingTagFactory(partner=partner, name="housing"),
        MatchingTagFactory(partner=partner, name="benefits"),
    )
    close = MentorProfileFactory(partner=partner, tags=[housing, benefits], languages=["Polish", "English"]).person
    busy = MentorProfileFactory(partner=partner, tags=[housing, benefits], languages=["Polish"]).person
    MatchFactory(partner=partner, mentor=busy)
    far = MentorProfileFactory(partner=partner, area="Harbourside", availability=["weekends"]).person

    found = suggest(
        coordinator,
        partner,
        tags=["Housing", "benefits"],
        language="polish",
        area="town centre",
        availability=["weekday_evenings"],
    )

    assert [item.mentor for item in found.suggestions] == [close, busy, far]
    first = found.suggestions[0]
    assert first.parts == {"shared_tags": 6, "language": 2, "area": 2, "availability": 1, "load": 0}
    assert first.score == sum(first.parts.values()) == 11
    assert found.suggestions[1].parts["load"] == -1
    assert found.excluded == []


def test_every_mentor_left_out_is_listed_with_every_reason(partner, coordinator):
    paused = PersonFactory(partner=partner, paused=True)
    full = PersonFactory(partner=partner, active_mentor=True)
    for _ in range(3):  # the baseline's max_active_matches
        MatchFactory(partner=partner, mentor=full)
    conflicted = MentorConflictFactory(partner=partner, mentee_ref="NS-M-0300").mentor
    BoundaryIncidentFactory(partner=partner, mentor=conflicted, severity="high")
    BoundaryIncidentFactory(partner=partner, severity="medium")  # open, but not serious: no exclusion
    PersonFactory(partner=partner, in_training=True)  # not a candidate at all

    found = suggest(coordinator, partner)

    reasons = {item.mentor: [reason.code for reason in item.reasons] for item in found.excluded}
    assert reasons == {
        paused: ["paused"],
        full: ["at_capacity"],
        conflicted: ["conflict", "open_incident"],
    }
    assert len(found.suggestions) == 1  # the mentor of the medium incident


def test_a_stated_gender_preference_leaves_out_the_others(partner, coordinator):
    woman = MentorProfileFactory(partner=partner, gender="Woman").person
    man = MentorProfileFactory(partner=partner, gender="Man").person
    unknown = PersonFactory(partner=partner, active_mentor=True)

    found = suggest(coordinator, partner, preferred_gender="woman")

    assert [item.mentor for item in found.suggestions] == [woman]
    assert {item.mentor: item.reasons[0].code for item in found.excluded} == {
        man: "gender_preference",
        unknown: "gender_preference",
    }


def test_a_conflict_described_in_words_goes_with_the_suggestion_for_the_coordinator_to_check(partner, coordinator):
    conflict = MentorConflictFactory(partner=partner, mentee_ref="", description="My cousin's ex-partner, Dee.")

    (item,) = suggest(coordinator, partner).suggestions

    assert item.mentor == conflict.mentor
    assert [(check.code, check.message) for check in item.to_check] == [
        ("conflict_to_check", "My cousin's ex-partner, Dee.")
    ]


def test_tags_come_from_the_partners_list_and_the_mentee_is_a_reference(partner, other_partner, coordinator):
    MatchingTagFactory(partner=other_partner, name="housing")
    with pytest.raises(Invalid) as refused:
        suggest(coordinator, partner, tags=["housing"])
    assert refused.value.field == "tags"
    with pytest.raises(Invalid) as refused:
        suggest(coordinator, partner, mentee_ref="Jane Smith")
    assert refused.value.field == "mentee_ref"


def test_only_coordinators_ask_for_suggestions(partner, supervisor):
    with pytest.raises(NotPermitted):
        suggest(supervisor, partner)


def test_suggestions_read_the_mentors_in_a_fixed_number_of_queries(partner, coordinator, django_assert_num_queries):
    tag = MatchingTagFactory(partner=partner, name="housing")
    MentorProfileFactory(partner=partner, tags=[tag])
    suggest(coordinator, partner, tags=["housing"])
    with CaptureQueriesContext(connection) as few:
        suggest(coordinator, partner, tags=["housing"])
    for _ in range(5):
        MentorProfileFactory(partner=partner, tags=[tag])
        MentorConflictFactory(partner=partner, mentee_ref="", description="Someone.")
    with django_assert_num_queries(len(few)):
        found = suggest(coordinator, partner, tags=["housing"])
    assert len(found.suggestions) == 11


# --- conflicts and profiles --------------------------------------------------------------


def test_a_mentor_declares_their_own_conflict_and_no_one_else_can_for_them(partner, mentor_user, supervisor):
    me = PersonFactory(partner=partner, active_mentor=True, user=mentor_user)

    declared = services.declare_conflict(by=mentor_user, mentor=me, description="My own probation officer.")
    with pytest.raises(NotPermitted):
        services.declare_conflict(by=supervisor, mentor=me, mentee_ref="NS-M-0001")
    with pytest.raises(Invalid):
        services.declare_conflict(by=mentor_user, mentor=me)

    assert list(MentorConflict.objects.all()) == [declared]
    assert declared.declared_by == mentor_user


def test_a_profiles_tags_are_the_partners_and_its_availability_known_slots(partner, other_partner, coordinator):
    mentor = PersonFactory(partner=partner, active_mentor=True)
    with pytest.raises(ValidationError) as refused:
        services.save_mentor_profile(
            by=coordinator,
            person=mentor,
            tags=[MatchingTagFactory(partner=other_partner)],
            availability=["midnight"],
        )
    assert set(refused.value.message_dict) == {"tags", "availability"}

    profile = services.save_mentor_profile(by=coordinator, person=mentor, languages=[" Urdu "], area="North")
    assert (profile.languages, profile.area) == (["Urdu"], "North")
