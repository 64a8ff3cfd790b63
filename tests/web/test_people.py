"""People pages: the list, adding a person, a person's page and each of its actions, per role."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchise import services as franchise_services
from franchise.models import Invitation, Role
from supervision.models import Match, MentorStatus, Person, PersonTransition, ShadowingLog
from tests.supervision.factories import (
    MatchFactory,
    PersonFactory,
    PersonTransitionFactory,
    ShadowingLogFactory,
    SupervisionSessionFactory,
)
from tests.supervision.people.helpers import acknowledge, licence_for, ready_to_activate

PEOPLE = "/northside/people/"


def page_of(person):
    return f"{PEOPLE}{person.pk}/"


def html(response):
    return response.content.decode()


@pytest.fixture
def staff_roles(coordinator, supervisor, trainer):
    return {"coordinator": coordinator, "supervisor": supervisor, "trainer": trainer}


@pytest.fixture
def mentor_person(partner, mentor_user):
    return PersonFactory(partner=partner, user=mentor_user, name="Mo Mentor", active_mentor=True)


@pytest.fixture
def shadowing_person(partner):
    return PersonFactory(partner=partner, name="Shona Shadow", shadowing=True)


# --- the list ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "supervisor", "trainer"])
def test_staff_open_the_people_list(page_for, staff_roles, role, partner):
    PersonFactory(partner=partner, name="Ada Applicant", applicant=True)
    response = page_for(staff_roles[role]).get(PEOPLE)
    assert response.status_code == 200
    assert "Ada Applicant" in html(response)


def test_a_mentor_is_refused_the_people_list(page_for, mentor_user, mentor_person):
    assert page_for(mentor_user).get(PEOPLE).status_code == 403


def test_another_partners_coordinator_gets_not_found(page_for, other_coordinator, partner):
    assert page_for(other_coordinator).get(PEOPLE).status_code == 404


def test_the_list_never_shows_another_partners_people(page_for, coordinator, partner, other_partner):
    PersonFactory(partner=other_partner, name="Harriet Harbour")
    assert "Harriet Harbour" not in html(page_for(coordinator).get(PEOPLE))


def test_searching_by_name_and_filtering_by_status_trained_and_pathway(page_for, coordinator, partner):
    PersonFactory(partner=partner, name="Ada Applicant", applicant=True)
    PersonFactory(partner=partner, name="Tia Trained", shadowing=True)
    PersonFactory(partner=partner, name="Stan Staff")
    client = page_for(coordinator)

    def names(query):
        return {row["person"].name for row in client.get(PEOPLE, query).context["rows"]}

    assert names({"q": "ada"}) == {"Ada Applicant"}
    assert names({"status": "shadowing"}) == {"Tia Trained"}
    assert names({"status": "none"}) == {"Stan Staff"}
    assert names({"trained": "yes"}) == {"Tia Trained"}
    assert names({"trained": "no"}) == {"Ada Applicant", "Stan Staff"}
    assert names({"on_pathway": "no"}) == {"Stan Staff"}
    assert names({"on_pathway": "yes"}) == {"Ada Applicant", "Tia Trained"}


def test_the_pipeline_counts_each_stage_and_links_to_it(page_for, coordinator, partner):
    PersonFactory.create_batch(2, partner=partner, applicant=True)
    PersonFactory(partner=partner, active_mentor=True)
    PersonFactory(partner=partner, paused=True)
    response = page_for(coordinator).get(PEOPLE)
    counts = {stage["label"]: stage["count"] for stage in response.context["pipeline"]}
    assert counts == {"Applicant": 2, "In training": 0, "Shadowing": 0, "Active": 1, "Paused": 1, "Exited": 0}
    assert f'href="{PEOPLE}?status=applicant"' in html(response)


def test_the_list_shows_fifty_a_page(page_for, coordinator, partner):
    PersonFactory.create_batch(51, partner=partner, applicant=True)
    client = page_for(coordinator)
    first = client.get(PEOPLE)
    assert len(first.context["rows"]) == 50
    assert "Page 1 of 2" in html(first)
    assert len(client.get(PEOPLE, {"page": 2}).context["rows"]) == 1


def _list_queries(client, query=None):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PEOPLE, query or {}).status_code == 200
    return len(captured)


def test_the_list_runs_the_same_queries_for_few_and_many_people(page_for, coordinator, partner):
    client = page_for(coordinator)
    PersonFactory(partner=partner, applicant=True)
    ShadowingLogFactory(partner=partner)
    few = _list_queries(client)
    for _ in range(30):
        ShadowingLogFactory(partner=partner)
    PersonFactory.create_batch(40, partner=partner, active_mentor=True, with_user=True)
    assert _list_queries(client) == few
    assert _list_queries(client, {"trained": "yes", "page": 2}) == few


# --- adding a person ----------------------------------------------------------------


def test_a_coordinator_adds_an_applicant(page_for, coordinator, partner):
    client = page_for(coordinator)
    assert client.get(f"{PEOPLE}new/").status_code == 200
    response = client.post(
        f"{PEOPLE}new/", {"name": "Nadia New", "email": "nadia@example.org", "on_pathway": "applicant"}
    )
    person = Person.objects.get(name="Nadia New")
    assert response.status_code == 302 and response["Location"] == page_of(person)
    assert person.mentor_status == MentorStatus.APPLICANT and person.partner == partner
    assert PersonTransition.objects.filter(person=person, to_status=MentorStatus.APPLICANT).exists()
    assert "Nadia New is registered." in html(client.get(response["Location"]))


def test_a_coordinator_adds_staff_off_the_pathway(page_for, coordinator):
    page_for(coordinator).post(f"{PEOPLE}new/", {"name": "Stan Staff", "on_pathway": "none"})
    assert Person.objects.get(name="Stan Staff").mentor_status is None


def test_a_future_date_is_shown_next_to_its_field_and_nothing_is_written(page_for, coordinator):
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = page_for(coordinator).post(
        f"{PEOPLE}new/", {"name": "Fay Future", "on_pathway": "applicant", "background_check_on": tomorrow}
    )
    assert response.status_code == 400
    assert "cannot be recorded for a date in the future" in response.context["form"].errors["background_check_on"][0]
    assert not Person.objects.filter(name="Fay Future").exists()


def test_a_missing_name_is_a_400(page_for, coordinator):
    response = page_for(coordinator).post(f"{PEOPLE}new/", {"name": "", "on_pathway": "applicant"})
    assert response.status_code == 400 and response.context["form"].errors["name"]
    assert not Person.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "trainer"])
def test_only_coordinators_add_people(page_for, staff_roles, role):
    client = page_for(staff_roles[role])
    assert client.get(f"{PEOPLE}new/").status_code == 403
    assert client.post(f"{PEOPLE}new/", {"name": "Nope", "on_pathway": "applicant"}).status_code == 403
    assert not Person.objects.filter(name="Nope").exists()


# --- a person's page ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "supervisor", "trainer"])
def test_staff_open_a_persons_page(page_for, staff_roles, role, shadowing_person):
    response = page_for(staff_roles[role]).get(page_of(shadowing_person))
    assert response.status_code == 200
    assert "Shona Shadow" in html(response)


def test_a_mentor_opens_their_own_page_but_not_anothers(page_for, mentor_user, mentor_person, shadowing_person):
    client = page_for(mentor_user)
    assert client.get(page_of(mentor_person)).status_code == 200
    assert client.get(page_of(shadowing_person)).status_code == 404


def test_a_person_of_another_partner_is_not_found(page_for, coordinator, other_partner):
    foreign = PersonFactory(partner=other_partner)
    assert page_for(coordinator).get(page_of(foreign)).status_code == 404
    assert page_for(coordinator).post(f"{page_of(foreign)}transition/", {"to": "exited"}).status_code == 404


def test_another_partners_coordinator_cannot_reach_the_page(page_for, other_coordinator, shadowing_person):
    assert page_for(other_coordinator).get(page_of(shadowing_person)).status_code == 404


def test_the_checklist_says_what_is_met_and_how_to_meet_the_rest(page_for, coordinator, shadowing_person):
    licence_for(shadowing_person.partner)
    ShadowingLogFactory(partner=shadowing_person.partner, mentor=shadowing_person, hours=Decimal("3"))
    page = html(page_for(coordinator).get(page_of(shadowing_person)))
    assert "Shadowing: 3 of" in page
    assert "Log the hours they spent shadowing staff" in page
    assert "Record the date of their background check." in page
    assert "checklist__item--met" in page  # trained, licence in force


def test_only_the_allowed_moves_are_offered(page_for, coordinator, shadowing_person):
    form = page_for(coordinator).get(page_of(shadowing_person)).context["transition_form"]
    assert [value for value, _ in form.fields["to"].choices] == ["active", "exited"]


def test_readers_see_no_action_forms(page_for, supervisor, shadowing_person):
    page = html(page_for(supervisor).get(page_of(shadowing_person)))
    assert "/transition/" not in page and "/invite/" not in page


# --- transitions --------------------------------------------------------------------


def test_a_coordinator_moves_a_person_on_with_a_note(page_for, coordinator, partner):
    person = PersonFactory(partner=partner, applicant=True)
    client = page_for(coordinator)
    response = client.post(f"{page_of(person)}transition/", {"to": "in_training", "reason": "Course starts Monday."})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.IN_TRAINING
    move = PersonTransition.objects.get(person=person, to_status=MentorStatus.IN_TRAINING)
    assert move.by == coordinator and move.reason == "Course starts Monday."
    page = html(client.get(response["Location"]))
    assert "is now in training" in page and "Course starts Monday." in page and "Cora Coordinator" in page


def test_a_refused_activation_lists_each_unmet_item_and_writes_nothing(page_for, coordinator, shadowing_person):
    response = page_for(coordinator).post(f"{page_of(shadowing_person)}transition/", {"to": "active"})
    assert response.status_code == 400
    errors = response.context["transition_form"].non_field_errors()
    assert any("has shadowed 0 hours" in error for error in errors)
    assert any("background check" in error for error in errors)
    assert any("licence" in error for error in errors)
    shadowing_person.refresh_from_db()
    assert shadowing_person.mentor_status == MentorStatus.SHADOWING
    assert not PersonTransition.objects.filter(person=shadowing_person).exists()


def test_a_ready_person_is_activated(page_for, coordinator, partner):
    person = ready_to_activate(partner)
    assert page_for(coordinator).post(f"{page_of(person)}transition/", {"to": "active"}).status_code == 302
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.ACTIVE


def test_a_pause_without_reason_or_review_date_shows_both_errors_next_to_the_fields(page_for, coordinator, partner):
    person = PersonFactory(partner=partner, active_mentor=True)
    response = page_for(coordinator).post(f"{page_of(person)}transition/", {"to": "paused"})
    assert response.status_code == 400
    form = response.context["transition_form"]
    assert form.errors["reason"] == ["A pause needs a reason."]
    assert form.errors["review_on"] == ["A pause needs a date on which it is reviewed."]
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.ACTIVE


def test_a_pause_with_reason_and_review_date(page_for, coordinator, partner):
    person = PersonFactory(partner=partner, active_mentor=True)
    review = (timezone.localdate() + timedelta(days=20)).isoformat()
    response = page_for(coordinator).post(
        f"{page_of(person)}transition/", {"to": "paused", "reason": "Exams.", "review_on": review}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.PAUSED and person.pause_reason == "Exams."


def test_a_move_the_table_does_not_allow_is_refused_and_writes_nothing(page_for, coordinator, partner):
    person = PersonFactory(partner=partner, applicant=True)
    response = page_for(coordinator).post(f"{page_of(person)}transition/", {"to": "active"})
    assert response.status_code == 400 and response.context["transition_form"].errors["to"]
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.APPLICANT
    assert not PersonTransition.objects.filter(person=person).exists()


@pytest.mark.parametrize("role", ["supervisor", "trainer"])
def test_only_coordinators_move_people_on(page_for, staff_roles, role, partner):
    person = PersonFactory(partner=partner, applicant=True)
    assert page_for(staff_roles[role]).post(f"{page_of(person)}transition/", {"to": "exited"}).status_code == 403
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.APPLICANT


def test_a_mentor_cannot_move_themselves(page_for, mentor_user, mentor_person):
    assert page_for(mentor_user).post(f"{page_of(mentor_person)}transition/", {"to": "exited"}).status_code == 403


# --- shadowing ----------------------------------------------------------------------


@pytest.fixture
def staff_member(partner):
    return PersonFactory(partner=partner, name="Stella Staff", staff=True)


def test_a_coordinator_logs_shadowing(page_for, coordinator, shadowing_person, staff_member):
    response = page_for(coordinator).post(
        f"{page_of(shadowing_person)}shadowing/",
        {"shadowed": staff_member.pk, "date": timezone.localdate().isoformat(), "hours": "2.5", "note": "Drop-in."},
    )
    assert response.status_code == 302 and response["Location"].endswith("#shadowing")
    log = ShadowingLog.objects.get(mentor=shadowing_person)
    assert log.hours == Decimal("2.5") and log.shadowed == staff_member


def test_too_many_hours_in_a_day_is_shown_next_to_hours(page_for, coordinator, shadowing_person, staff_member):
    response = page_for(coordinator).post(
        f"{page_of(shadowing_person)}shadowing/",
        {"shadowed": staff_member.pk, "date": timezone.localdate().isoformat(), "hours": "13"},
    )
    assert response.status_code == 400
    assert "at most 12" in response.context["shadowing_form"].errors["hours"][0]
    assert not ShadowingLog.objects.exists()


def test_the_staff_choice_offers_staff_only(page_for, coordinator, shadowing_person, staff_member, partner):
    PersonFactory(partner=partner, name="Vera Volunteer", applicant=True)
    choices = page_for(coordinator).get(page_of(shadowing_person)).context["shadowing_form"].fields["shadowed"]
    assert {person.name for person in choices.queryset} == {"Stella Staff"}


def test_a_trainer_cannot_log_shadowing(page_for, trainer, shadowing_person, staff_member):
    response = page_for(trainer).post(
        f"{page_of(shadowing_person)}shadowing/",
        {"shadowed": staff_member.pk, "date": timezone.localdate().isoformat(), "hours": "1"},
    )
    assert response.status_code == 403 and not ShadowingLog.objects.exists()


# --- matches ------------------------------------------------------------------------


def test_a_coordinator_matches_an_active_mentor_by_reference(page_for, coordinator, partner, mentor_person):
    response = page_for(coordinator).post(f"{page_of(mentor_person)}matches/", {"mentee_ref": "NS-M-0142"})
    assert response.status_code == 302
    assert Match.objects.get(mentor=mentor_person).mentee_ref == "NS-M-0142"


def test_a_name_instead_of_a_reference_is_refused_next_to_the_field(page_for, coordinator, mentor_person):
    response = page_for(coordinator).post(f"{page_of(mentor_person)}matches/", {"mentee_ref": "Jane Smith"})
    assert response.status_code == 400
    assert "pseudonymous reference" in response.context["match_form"].errors["mentee_ref"][0]
    assert not Match.objects.exists()


def test_matching_someone_not_active_lists_why(page_for, coordinator, shadowing_person):
    response = page_for(coordinator).post(f"{page_of(shadowing_person)}matches/", {"mentee_ref": "NS-M-1"})
    assert response.status_code == 400
    assert any("only active mentors are matched" in e for e in response.context["match_form"].non_field_errors())


def test_a_coordinator_ends_a_match_with_its_outcome(page_for, coordinator, partner, mentor_person):
    match = MatchFactory(partner=partner, mentor=mentor_person, mentee_ref="NS-M-7")
    response = page_for(coordinator).post(
        f"{page_of(mentor_person)}matches/{match.pk}/end/",
        {f"end-{match.pk}-outcome": "goals_met", f"end-{match.pk}-note": "Goals met."},
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.outcome, match.outcome_note) == (Match.Status.ENDED, "goals_met", "Goals met.")


def test_ending_an_ended_match_is_a_400(page_for, coordinator, partner, mentor_person):
    match = MatchFactory(partner=partner, mentor=mentor_person, ended=True)
    response = page_for(coordinator).post(f"{page_of(mentor_person)}matches/{match.pk}/end/", {})
    assert response.status_code == 400


def test_a_supervisor_reads_matches_but_cannot_make_them(page_for, supervisor, partner, mentor_person):
    MatchFactory(partner=partner, mentor=mentor_person, mentee_ref="NS-M-9")
    client = page_for(supervisor)
    assert "NS-M-9" in html(client.get(page_of(mentor_person)))
    assert client.post(f"{page_of(mentor_person)}matches/", {"mentee_ref": "NS-M-10"}).status_code == 403


def test_a_trainer_sees_no_matches(page_for, trainer, partner, mentor_person):
    MatchFactory(partner=partner, mentor=mentor_person, mentee_ref="NS-M-9")
    assert "NS-M-9" not in html(page_for(trainer).get(page_of(mentor_person)))


# --- acknowledgements and a login ----------------------------------------------------


def test_the_page_lists_acknowledged_policy_versions(page_for, coordinator, mentor_person):
    acknowledge(mentor_person)
    assert "Version 1, acknowledged" in html(page_for(coordinator).get(page_of(mentor_person)))


def test_give_a_login_is_offered_only_without_a_login_and_with_an_email(page_for, coordinator, partner):
    client = page_for(coordinator)
    with_email = PersonFactory(partner=partner, email="una@example.org", applicant=True)
    without_email = PersonFactory(partner=partner, email="", applicant=True)
    with_login = PersonFactory(partner=partner, with_user=True, applicant=True)
    assert "Give this person a login" in html(client.get(page_of(with_email)))
    assert "Give this person a login" not in html(client.get(page_of(without_email)))
    assert "Give this person a login" not in html(client.get(page_of(with_login)))


def test_an_invitation_from_the_page_links_the_login_to_the_person(
    page_for, coordinator, partner, django_capture_on_commit_callbacks
):
    person = PersonFactory(partner=partner, email="una@example.org", applicant=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = page_for(coordinator).post(f"{page_of(person)}invite/", {"role": "mentor"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="una@example.org", partner=partner, role=Role.MENTOR)
    assert invitation.invited_by == coordinator
    token = mail.outbox[-1].body.split("/invite/")[1].split("/")[0]
    user = franchise_services.accept_invitation(token=token, name="Una", password="a-long-and-unusual-passphrase")
    person.refresh_from_db()
    assert person.user == user


def test_inviting_from_the_page_names_the_person_and_links_them_even_when_another_shares_the_address(
    page_for, coordinator, partner, django_capture_on_commit_callbacks
):
    PersonFactory(partner=partner, email="una@example.org", applicant=True, name="Una Elder")
    person = PersonFactory(partner=partner, email="una@example.org", applicant=True, name="Una Younger")
    page = html(page_for(coordinator).get(page_of(person)))
    assert "Invite to Tandem" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = page_for(coordinator).post(f"{page_of(person)}invite/", {"role": "mentor"})
    assert response.status_code == 302
    assert Invitation.objects.get(partner=partner).person == person
    token = mail.outbox[-1].body.split("/invite/")[1].split("/")[0]
    user = franchise_services.accept_invitation(token=token, name="Una", password="a-long-and-unusual-passphrase")
    person.refresh_from_db()
    assert person.user == user


def test_an_invitation_is_refused_for_someone_with_a_login(page_for, coordinator, partner):
    person = PersonFactory(partner=partner, with_user=True)
    assert page_for(coordinator).post(f"{page_of(person)}invite/", {"role": "mentor"}).status_code == 400
    assert not Invitation.objects.exists()


def test_a_supervisor_cannot_invite(page_for, supervisor, partner):
    person = PersonFactory(partner=partner, email="una@example.org")
    assert page_for(supervisor).post(f"{page_of(person)}invite/", {"role": "mentor"}).status_code == 403
    assert not Invitation.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(coordinator, partner):
    person = PersonFactory(partner=partner, applicant=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(f"{page_of(person)}transition/", {"to": "exited"}).status_code == 403
    person.refresh_from_db()
    assert person.mentor_status == MentorStatus.APPLICANT


def _page_queries(client, person):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page_of(person)).status_code == 200
    return len(captured)


def test_a_persons_page_runs_the_same_queries_however_long_their_record(page_for, coordinator, partner):
    client = page_for(coordinator)
    person = PersonFactory(partner=partner, active_mentor=True)
    staff = PersonFactory(partner=partner, staff=True)
    ShadowingLogFactory(partner=partner, mentor=person, shadowed=staff)
    MatchFactory(partner=partner, mentor=person)
    PersonTransitionFactory(partner=partner, person=person)
    SupervisionSessionFactory(partner=partner, supervisee=person)
    acknowledge(person)
    few = _page_queries(client, person)
    for day in range(25):
        ShadowingLogFactory(partner=partner, mentor=person, shadowed=PersonFactory(partner=partner, staff=True))
        MatchFactory(partner=partner, mentor=person, ended=True)
        PersonTransitionFactory(partner=partner, person=person)
        SupervisionSessionFactory(
            partner=partner, supervisee=person, starts_at=timezone.now() + timedelta(days=day + 3)
        )
        SupervisionSessionFactory(
            partner=partner, supervisee=person, held=True, starts_at=timezone.now() - timedelta(days=day + 1)
        )
    assert _page_queries(client, person) == few
