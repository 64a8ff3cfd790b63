"""A proposed match becomes active once approved: by a second coordinator where the partner has one, else the
same coordinator confirms; the mentor is told once (the `match_approved` reminder)."""

import pytest
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted, RuleNotMet
from franchise.models import Role
from reminders.kinds.matches import plan_match_approved
from supervision.models import Match, MentorStatus
from supervision.people import services
from tests.factories import user_with_role
from tests.reminders.helpers import send
from tests.supervision.factories import MatchFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentor(partner):
    return PersonFactory(partner=partner, active_mentor=True, email="mo@example.org", name="Mo Mentor")


def propose(by, mentor, ref="NS-M-0300"):
    return services.create_match(by=by, mentor=mentor, mentee_ref=ref)


def codes(call):
    with pytest.raises(RuleNotMet) as refused:
        call()
    return [item.code for item in refused.value.unmet]


def test_a_partners_only_coordinator_confirms_their_own_proposal(coordinator, mentor):
    proposed = propose(coordinator, mentor)

    approved = services.approve_match(by=coordinator, match=proposed)

    assert (approved.status, approved.approved_by) == (Match.Status.ACTIVE, coordinator)
    assert approved.approved_at is not None


def test_with_two_coordinators_the_other_one_approves(partner, coordinator, mentor):
    second = user_with_role(Role.COORDINATOR, partner)
    proposed = propose(coordinator, mentor)

    assert codes(lambda: services.approve_match(by=coordinator, match=proposed)) == ["second_coordinator_needed"]
    proposed.refresh_from_db()
    assert proposed.status == Match.Status.PROPOSED
    assert services.approve_match(by=second, match=proposed).approved_by == second


def test_the_mentor_is_checked_again_at_approval(partner, coordinator, mentor):
    proposed = propose(coordinator, mentor)
    mentor.mentor_status, mentor.pause_reason, mentor.pause_review_on = (
        MentorStatus.PAUSED,
        "Unwell.",
        timezone.localdate(),
    )
    mentor.save()

    assert codes(lambda: services.approve_match(by=coordinator, match=proposed)) == ["mentor_not_active"]


def test_a_proposal_takes_a_place_under_the_cap_and_holds_the_mentee(partner, coordinator, mentor):
    for n in range(3):
        propose(coordinator, mentor, f"M-{n}")
    assert codes(lambda: propose(coordinator, mentor, "M-3")) == ["match_limit_reached"]
    other = PersonFactory(partner=partner, active_mentor=True)
    with pytest.raises(Invalid, match="already has an active match"):
        propose(coordinator, other, "M-0")


def test_only_coordinators_approve_and_only_proposals(partner, supervisor, coordinator, mentor):
    proposed = propose(coordinator, mentor)
    with pytest.raises(NotPermitted):
        services.approve_match(by=supervisor, match=proposed)
    with pytest.raises(IllegalTransition):
        services.approve_match(by=coordinator, match=MatchFactory(partner=partner))


def test_a_mentor_who_exits_has_their_proposals_ended_too(coordinator, mentor):
    proposed = propose(coordinator, mentor)
    services.transition_person(by=coordinator, person=mentor, to=MentorStatus.EXITED)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.outcome) == (Match.Status.ENDED, "other")


def test_the_mentor_is_told_once_when_the_match_is_approved(coordinator, mentor):
    proposed = propose(coordinator, mentor)
    assert plan_match_approved(timezone.now()) == 0  # a proposal is not news for the mentor yet

    services.approve_match(by=coordinator, match=proposed)
    assert plan_match_approved(timezone.now()) == 1
    assert plan_match_approved(timezone.now()) == 0

    (message,) = send()
    assert message.to == ["mo@example.org"]
    assert message.subject == "You are matched with mentee NS-M-0300"
    assert f"/{proposed.partner.slug}/matches/{proposed.pk}/" in message.body
