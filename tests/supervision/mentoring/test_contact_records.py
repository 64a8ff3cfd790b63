"""Contact records: the match's mentor records their own contacts; what a record may say and link to."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted
from franchise.models import Role
from supervision.mentoring import services
from supervision.models import BoundaryIncident, ContactRecord, Match
from supervision.people import services as people
from tests.factories import user_with_role
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    ContactRecordFactory,
    MatchFactory,
    MatchGoalFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def match(partner, mentor_user):
    mentor = PersonFactory(partner=partner, active_mentor=True, user=mentor_user)
    return MatchFactory(partner=partner, mentor=mentor, mentee_ref="NS-M-0142")


def record(by, match, **changes):
    fields = {
        "date": timezone.localdate() - timedelta(days=1),
        "duration_minutes": 45,
        "mode": ContactRecord.Mode.IN_PERSON,
        "place": "The library café",
        "summary": "Practised the call to the housing office.",
        **changes,
    }
    return services.record_contact(by=by, match=match, **fields)


def errors_of(call):
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_the_mentor_records_a_contact_touching_the_matchs_goals(match, mentor_user):
    goal = MatchGoalFactory(partner=match.partner, match=match)

    made = record(mentor_user, match, goals=[goal], place="  The library café ")

    assert (made.partner, made.match, made.recorded_by, made.place, made.concern, made.incident) == (
        match.partner,
        match,
        mentor_user,
        "The library café",
        False,
        None,
    )
    assert list(made.goals.all()) == [goal]


def test_only_the_matchs_own_mentor_records_its_contacts(partner, match, coordinator, supervisor):
    other_mentor = user_with_role(Role.MENTOR, partner)
    PersonFactory(partner=partner, active_mentor=True, user=other_mentor)
    for user in (coordinator, supervisor, other_mentor):
        with pytest.raises(NotPermitted):
            record(user, match)
    assert not ContactRecord.objects.exists()


def test_someone_of_another_partner_is_told_nothing(match, other_coordinator):
    with pytest.raises(NotFound):
        record(other_coordinator, match)


def test_every_problem_of_a_record_is_named_at_once(match, mentor_user):
    problems = errors_of(
        lambda: record(
            mentor_user,
            match,
            date=timezone.localdate() + timedelta(days=1),
            duration_minutes=0,
            mode="carrier_pigeon",
            summary="   ",
            place="x" * 201,
        )
    )
    assert set(problems) == {"date", "duration_minutes", "mode", "summary", "place"}
    assert not ContactRecord.objects.exists()


def test_a_contact_falls_within_the_match(match, mentor_user):
    before = match.started_on - timedelta(days=1)
    assert "date" in errors_of(lambda: record(mentor_user, match, date=before))

    Match.objects.filter(pk=match.pk).update(
        status="ended", ended_on=timezone.localdate() - timedelta(days=3), outcome="partly"
    )
    match.refresh_from_db()
    assert "date" in errors_of(lambda: record(mentor_user, match, date=timezone.localdate()))
    # A contact from before the end can still be written up afterwards.
    assert record(mentor_user, match, date=match.ended_on).match == match


def test_goals_touched_are_the_same_matchs(partner, match, mentor_user):
    elsewhere = MatchGoalFactory(partner=partner)
    assert errors_of(lambda: record(mentor_user, match, goals=[elsewhere])) == {
        "goals": ["Choose goals of this match only."]
    }


def test_an_incident_links_only_to_a_concern_and_only_one_the_mentor_reported(partner, match, mentor_user):
    hers = BoundaryIncidentFactory(partner=partner, mentor=match.mentor, reporter=mentor_user)
    someone_elses = BoundaryIncidentFactory(partner=partner, mentor=match.mentor)

    assert "incident" in errors_of(lambda: record(mentor_user, match, incident=hers))
    assert "incident" in errors_of(lambda: record(mentor_user, match, concern=True, incident=someone_elses))
    assert record(mentor_user, match, concern=True, incident=hers).incident == hers


def test_a_flagged_concern_is_reported_and_linked_in_one_step(partner, match, mentor_user):
    flagged = record(mentor_user, match, concern=True)
    rule = BoundaryRuleFactory(partner=partner, category="safeguarding")

    incident = services.report_concern(
        by=mentor_user,
        record=flagged,
        rule=rule,
        severity="high",
        occurred_at=timezone.now() - timedelta(hours=20),
        description="The mentee said someone is threatening her at home.",
    )

    flagged.refresh_from_db()
    assert flagged.incident == incident
    assert (incident.mentor, incident.match, incident.reporter, incident.is_safeguarding) == (
        match.mentor,
        match,
        mentor_user,
        True,
    )


def test_a_report_that_fails_links_nothing(partner, match, mentor_user):
    flagged = record(mentor_user, match, concern=True)
    with pytest.raises(Invalid):
        services.report_concern(
            by=mentor_user,
            record=flagged,
            rule=BoundaryRuleFactory(partner=partner),
            severity="high",
            occurred_at=timezone.now() + timedelta(days=1),
            description="In the future.",
        )
    flagged.refresh_from_db()
    assert flagged.incident is None
    assert not BoundaryIncident.objects.exists()


def test_the_mentor_corrects_their_record_but_a_coordinator_cannot(match, mentor_user, coordinator):
    made = record(mentor_user, match)

    services.update_contact(by=mentor_user, record=made, duration_minutes=90, concern=True)
    with pytest.raises(NotPermitted):
        services.update_contact(by=coordinator, record=made, summary="Rewritten by someone else.")

    made.refresh_from_db()
    assert (made.duration_minutes, made.concern, made.summary) == (
        90,
        True,
        "Practised the call to the housing office.",
    )


def test_a_match_cannot_end_before_its_last_recorded_contact(match, mentor_user, coordinator):
    record(mentor_user, match, date=timezone.localdate() - timedelta(days=1))
    with pytest.raises(Invalid) as refused:
        people.end_match(
            by=coordinator, match=match, outcome="partly", ended_on=timezone.localdate() - timedelta(days=2)
        )
    assert refused.value.field == "ended_on"


# --- who reads them --------------------------------------------------------------------


def test_the_partners_supervisors_coordinators_and_the_mentor_read_records_the_licensor_none(
    partner, match, mentor_user, coordinator, supervisor, trainer, licensor, other_coordinator
):
    made = ContactRecordFactory(partner=partner, match=match)
    ContactRecordFactory(partner=partner)  # another mentor's

    def seen(user):
        return set(ContactRecord.objects.visible_to(user))

    assert seen(mentor_user) == {made}
    assert made in seen(coordinator) and made in seen(supervisor)
    assert seen(trainer) == seen(licensor) == seen(other_coordinator) == set()


def test_the_licensor_reads_the_counts_on_matches(partner, match, licensor):
    ContactRecordFactory(partner=partner, match=match)
    ContactRecordFactory(partner=partner, match=match, concern=True)

    counted = Match.objects.visible_to(licensor).with_contact_counts().get(pk=match.pk)

    assert (counted.contact_count, counted.concern_count) == (2, 1)
