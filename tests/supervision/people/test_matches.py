"""Matches: an active mentor, a mentee known by reference only, and the policy's cap on active matches."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotFound, NotPermitted, RuleNotMet
from franchise import services as franchise_services
from franchise.models import Role
from supervision.models import Match, MentorStatus
from supervision.people import services
from tests.factories import user_with_role
from tests.supervision.factories import MatchFactory, PersonFactory


@pytest.fixture
def mentor(partner):
    return PersonFactory(partner=partner, active_mentor=True)


def match(by, mentor, ref="NS-0001", **kwargs):
    return services.create_match(by=by, mentor=mentor, mentee_ref=ref, **kwargs)


def unmet_codes(call):
    with pytest.raises(RuleNotMet) as refused:
        call()
    return [item.code for item in refused.value.unmet]


def test_a_coordinator_proposes_matching_an_active_mentor(coordinator, mentor):
    made = match(coordinator, mentor, "NS-M-0142")

    assert (made.partner, made.mentor, made.mentee_ref, made.status, made.started_on, made.created_by) == (
        mentor.partner,
        mentor,
        "NS-M-0142",
        Match.Status.PROPOSED,
        timezone.localdate(),
        coordinator,
    )


@pytest.mark.parametrize(
    "status", [None, MentorStatus.APPLICANT, MentorStatus.IN_TRAINING, MentorStatus.SHADOWING, MentorStatus.EXITED]
)
def test_only_an_active_mentor_is_matched(partner, coordinator, status):
    person = PersonFactory(partner=partner, mentor_status=status)
    assert unmet_codes(lambda: match(coordinator, person)) == ["mentor_not_active"]
    assert not Match.objects.exists()


def test_a_paused_mentor_is_not_matched(partner, coordinator):
    assert unmet_codes(lambda: match(coordinator, PersonFactory(partner=partner, paused=True))) == ["mentor_not_active"]


def test_the_baseline_caps_a_mentor_at_three_active_matches(coordinator, mentor):
    for n in range(3):
        match(coordinator, mentor, f"M-{n}")

    assert unmet_codes(lambda: match(coordinator, mentor, "M-3")) == ["match_limit_reached"]
    assert Match.objects.count() == 3


def test_ended_matches_do_not_count_towards_the_cap(partner, coordinator, mentor):
    for _ in range(3):
        MatchFactory(partner=partner, mentor=mentor, ended=True)
    MatchFactory(partner=partner, mentor=mentor)
    MatchFactory(partner=partner, mentor=mentor)

    assert match(coordinator, mentor, "M-new").status == Match.Status.PROPOSED


def test_a_partner_may_lower_the_cap(partner, coordinator, mentor):
    franchise_services.update_policy_overrides(by=coordinator, partner=partner, changes={"max_active_matches": 1})
    match(coordinator, mentor, "M-1")

    with pytest.raises(RuleNotMet) as refused:
        match(coordinator, mentor, "M-2")

    [unmet] = refused.value.unmet
    assert unmet.code == "match_limit_reached"
    assert "allows 1" in unmet.message


def test_the_cap_of_one_partner_does_not_bind_another(partner, other_partner, coordinator, licensor):
    franchise_services.update_policy_overrides(by=coordinator, partner=partner, changes={"max_active_matches": 1})
    elsewhere = PersonFactory(partner=other_partner, active_mentor=True)
    MatchFactory(partner=other_partner, mentor=elsewhere)

    assert match(licensor, elsewhere, "H-2").status == Match.Status.PROPOSED


def test_a_paused_mentor_at_the_cap_hears_of_both_problems(partner, coordinator):
    person = PersonFactory(partner=partner, paused=True)
    for _ in range(3):
        MatchFactory(partner=partner, mentor=person)

    assert unmet_codes(lambda: match(coordinator, person)) == ["mentor_not_active", "match_limit_reached"]


@pytest.mark.parametrize("ref", ["Jane Smith", "jane@example.org", "", "x", "a" * 41, "M 1"])
def test_the_mentee_is_a_reference_never_a_name(coordinator, mentor, ref):
    with pytest.raises(Invalid) as refused:
        match(coordinator, mentor, ref)
    assert refused.value.field == "mentee_ref"
    assert not Match.objects.exists()


def test_a_mentee_has_one_active_match_at_a_time(partner, coordinator, mentor):
    match(coordinator, mentor, "M-1")
    other_mentor = PersonFactory(partner=partner, active_mentor=True)

    with pytest.raises(Invalid) as refused:
        match(coordinator, other_mentor, "M-1")

    assert refused.value.field == "mentee_ref"
    assert Match.objects.count() == 1


def test_a_mentee_can_be_matched_again_once_the_match_ended(partner, coordinator, mentor):
    MatchFactory(partner=partner, mentor=mentor, mentee_ref="M-1", ended=True)
    assert match(coordinator, mentor, "M-1").status == Match.Status.PROPOSED


def test_the_same_reference_in_another_partner_is_another_mentee(partner, other_partner, licensor, mentor):
    MatchFactory(partner=other_partner, mentee_ref="M-1")
    assert match(licensor, mentor, "M-1").partner == partner


def test_a_match_does_not_start_in_the_future(coordinator, mentor):
    with pytest.raises(Invalid) as refused:
        match(coordinator, mentor, started_on=timezone.localdate() + timedelta(days=1))
    assert refused.value.field == "started_on"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TRAINER, Role.MENTOR])
def test_only_coordinators_make_matches(partner, mentor, role):
    with pytest.raises(NotPermitted):
        match(user_with_role(role, partner), mentor)
    assert not Match.objects.exists()


def test_a_coordinator_of_another_partner_cannot_match_this_partners_mentor(other_coordinator, mentor):
    with pytest.raises(NotFound):
        match(other_coordinator, mentor)


# --- ending ---------------------------------------------------------------------------


def test_ending_a_match_records_the_day_the_outcome_and_its_note(partner, coordinator):
    made = MatchFactory(partner=partner)

    services.end_match(by=coordinator, match=made, outcome=Match.Outcome.GOALS_MET, note="  Goals met.  ")

    made.refresh_from_db()
    assert (made.status, made.ended_on, made.outcome, made.outcome_note) == (
        "ended",
        timezone.localdate(),
        "goals_met",
        "Goals met.",
    )


def test_a_match_ends_only_with_a_known_outcome(partner, coordinator):
    made = MatchFactory(partner=partner)
    for outcome in ("", "went_well", None):
        with pytest.raises(Invalid) as refused:
            services.end_match(by=coordinator, match=made, outcome=outcome)
        assert refused.value.field == "outcome"
    made.refresh_from_db()
    assert (made.status, made.outcome) == (Match.Status.ACTIVE, "")


def test_a_mentor_who_exits_ends_their_matches_with_the_reason(partner, coordinator):
    made = MatchFactory(partner=partner)

    services.transition_person(by=coordinator, person=made.mentor, to=MentorStatus.EXITED)

    made.refresh_from_db()
    assert (made.status, made.outcome, made.outcome_note) == ("ended", "other", "The mentor left the programme.")


def test_an_ended_match_cannot_end_again(partner, coordinator):
    made = MatchFactory(partner=partner, ended=True)
    with pytest.raises(IllegalTransition) as refused:
        services.end_match(by=coordinator, match=made, outcome="partly")
    assert refused.value.allowed == []


def test_a_match_cannot_end_before_it_started_or_in_the_future(partner, coordinator):
    made = MatchFactory(partner=partner)
    for ended_on in (made.started_on - timedelta(days=1), timezone.localdate() + timedelta(days=1)):
        with pytest.raises(Invalid):
            services.end_match(by=coordinator, match=made, outcome="partly", ended_on=ended_on)
    made.refresh_from_db()
    assert made.status == Match.Status.ACTIVE


def test_a_supervisor_cannot_end_a_match(partner, supervisor):
    made = MatchFactory(partner=partner)
    with pytest.raises(NotPermitted):
        services.end_match(by=supervisor, match=made, outcome="partly")


# --- who sees matches -----------------------------------------------------------------


def test_coordinators_and_supervisors_see_the_partners_matches_trainers_none(partner, coordinator, supervisor):
    made = MatchFactory(partner=partner)
    trainer = user_with_role(Role.TRAINER, partner)

    assert list(Match.objects.visible_to(coordinator)) == [made]
    assert list(Match.objects.visible_to(supervisor)) == [made]
    assert list(Match.objects.visible_to(trainer)) == []


def test_a_mentor_sees_only_their_own_matches(partner, mentor_user):
    own = MatchFactory(partner=partner, mentor=PersonFactory(partner=partner, user=mentor_user, active_mentor=True))
    MatchFactory(partner=partner)
    assert list(Match.objects.visible_to(mentor_user)) == [own]


# --- concurrency (PostgreSQL: SQLite serialises writers anyway) -----------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_matches_made_at_once_cannot_both_take_the_last_place(partner, coordinator):
    mentor = PersonFactory(partner=partner, active_mentor=True)
    MatchFactory(partner=partner, mentor=mentor)
    MatchFactory(partner=partner, mentor=mentor)
    start = threading.Barrier(2)
    outcomes = []

    def attempt(ref):
        try:
            start.wait()
            services.create_match(by=coordinator, mentor=mentor, mentee_ref=ref)
            outcomes.append("made")
        except RuleNotMet:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(ref,)) for ref in ("RACE-1", "RACE-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["made", "refused"]
    # The winner is a proposal, which holds its place under the cap as an active match does.
    assert Match.objects.filter(mentor=mentor, status__in=("proposed", "active")).count() == 3
