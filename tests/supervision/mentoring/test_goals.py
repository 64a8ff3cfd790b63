"""Goals agreed with the mentee: the mentor or a coordinator writes them, while the match is active."""

import pytest

from core.errors import Invalid, NotPermitted
from supervision.mentoring import services
from supervision.models import MatchGoal
from tests.supervision.factories import MatchFactory, MatchGoalFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def match(partner, mentor_user):
    return MatchFactory(partner=partner, mentor=PersonFactory(partner=partner, active_mentor=True, user=mentor_user))


def test_the_mentor_and_a_coordinator_agree_goals(match, mentor_user, coordinator):
    first = services.add_goal(by=mentor_user, match=match, text="  Register with a GP  ")
    second = services.add_goal(by=coordinator, match=match, text="Open a bank account")

    assert [(goal.text, goal.status) for goal in match.goals.order_by("created_at")] == [
        ("Register with a GP", "agreed"),
        ("Open a bank account", "agreed"),
    ]
    assert first.partner_id == second.partner_id == match.partner_id


def test_a_supervisor_reads_goals_but_does_not_write_them(match, supervisor):
    with pytest.raises(NotPermitted):
        services.add_goal(by=supervisor, match=match, text="Something")
    assert not MatchGoal.objects.exists()


def test_a_goal_moves_on_and_an_unknown_status_is_refused(match, mentor_user):
    goal = MatchGoalFactory(partner=match.partner, match=match)

    services.update_goal(by=mentor_user, goal=goal, status=MatchGoal.Status.MET)
    with pytest.raises(Invalid) as refused:
        services.update_goal(by=mentor_user, goal=goal, status="nearly")

    assert refused.value.field == "status"
    goal.refresh_from_db()
    assert goal.status == MatchGoal.Status.MET


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_a_goal_is_a_few_words(match, mentor_user, text):
    with pytest.raises(Invalid) as refused:
        services.add_goal(by=mentor_user, match=match, text=text)
    assert refused.value.field == "text"


def test_an_ended_matchs_goals_stay_as_they_were(partner, coordinator):
    ended = MatchFactory(partner=partner, ended=True)
    goal = MatchGoalFactory(partner=partner, match=ended)
    with pytest.raises(Invalid):
        services.add_goal(by=coordinator, match=ended, text="Late")
    with pytest.raises(Invalid):
        services.update_goal(by=coordinator, goal=goal, status=MatchGoal.Status.MET)
    goal.refresh_from_db()
    assert goal.status == MatchGoal.Status.AGREED
