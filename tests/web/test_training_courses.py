"""Courses in the browser: the trainer's home, the list, planning a course (the licence and lead-trainer checks in
words next to their fields), a course's page with only the allowed moves, enrolling learners from a search."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from franchise.models import Role
from tests.factories import user_with_role
from tests.supervision.factories import PersonFactory
from tests.training.factories import (
    CourseFactory,
    CriterionAssessmentFactory,
    EnrolmentFactory,
    TrainerAccreditationFactory,
)
from tests.training.scenario import *  # noqa: F403
from training.models import Course, Enrolment


def _url(name, partner, *args):
    return reverse(name, args=[partner.slug, *args])


def _text(response):
    return response.content.decode()


def _plan(partner, programme, lead, **changes):
    starts = timezone.localdate() + timedelta(days=30)
    data = {
        "programme": programme.pk,
        "title": "Autumn cohort",
        "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=21)).isoformat(),
        "capacity": 10,
        "mode": "in_person",
        "venue": "Group room",
        "lead_trainer": lead.pk,
    }
    data.update(changes)
    return data


# --- the trainer's home -------------------------------------------------------------------------------------------


def test_the_trainers_home_lists_the_courses_they_lead_or_co_teach_by_where_they_are(
    page_for, partner, programme, licence, lead, co, co_user, course, running_course
):
    someone_elses = CourseFactory(partner=partner, programme=programme, title="Someone else’s cohort")

    home = _text(page_for(co_user).get(f"/{partner.slug}/"))

    upcoming, running = home.split("<h3>Upcoming</h3>")[1].split("<h3>Running</h3>")
    assert course.title in upcoming and "you co-teach" in upcoming
    assert running_course.title in running.split("<h3>Finished")[0]
    assert someone_elses.title not in home


def test_the_trainers_home_lists_learners_waiting_for_internal_verification(
    page_for, partner, verifier_user, verifier, lead, enrolment
):
    for criterion in enrolment.course.programme.units.get().criteria.all():
        CriterionAssessmentFactory(partner=partner, enrolment=enrolment, criterion=criterion, assessor=lead)

    home = _text(page_for(verifier_user).get(f"/{partner.slug}/"))

    waiting = home.split("<h3>To be verified</h3>")[1]
    assert enrolment.learner.name in waiting
    assert _url("enrolment-verify", partner, enrolment.pk) in waiting


def test_a_trainer_without_a_person_record_is_told_why_no_course_is_listed(page_for, partner, trainer):
    home = _text(page_for(trainer).get(f"/{partner.slug}/"))

    assert "no person record" in home


# --- the list -------------------------------------------------------------------------------------------------------


def test_trainers_list_the_courses_they_teach_and_coordinators_every_course(
    page_for, partner, programme, licence, lead, trainer, coordinator, course
):
    other = CourseFactory(partner=partner, programme=programme, title="Another trainer’s cohort")

    mine = _text(page_for(trainer).get(_url("courses", partner)))
    everything = _text(page_for(coordinator).get(_url("courses", partner)))

    assert course.title in mine and other.title not in mine
    assert course.title in everything and other.title in everything


def test_the_main_navigation_shows_courses_to_trainers_and_coordinators_only(page_for, partner, trainer, mentor_user):
    assert f'href="{_url("courses", partner)}"' in _text(page_for(trainer).get(f"/{partner.slug}/"))
    assert f'href="{_url("courses", partner)}"' not in _text(page_for(mentor_user).get(f"/{partner.slug}/"))
    assert page_for(mentor_user).get(_url("courses", partner)).status_code == 403


# --- planning ---------------------------------------------------------------------------------------------------------


def test_a_trainer_plans_a_course_they_lead(page_for, partner, programme, licence, lead, trainer):
    response = page_for(trainer).post(_url("course-new", partner), _plan(partner, programme, lead))

    course = Course.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("course-detail", partner, course.pk)
    assert (course.status, course.lead_trainer, course.created_by) == ("planned", lead, trainer)


def test_the_plan_form_offers_the_trainer_as_lead(page_for, partner, programme, licence, lead, trainer):
    form = _text(page_for(trainer).get(_url("course-new", partner)))

    assert f'<option value="{lead.pk}" selected>' in form


def test_planning_without_a_licence_says_so_next_to_the_programme(page_for, partner, programme, lead, trainer):
    response = page_for(trainer).post(_url("course-new", partner), _plan(partner, programme, lead))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["programme"]
    assert "holds no active licence" in errors["programme"][0]
    assert not Course.objects.exists()


def test_planning_with_an_unaccredited_lead_says_so_next_to_the_lead(
    page_for, partner, programme, licence, coordinator, co
):
    response = page_for(coordinator).post(_url("course-new", partner), _plan(partner, programme, co))

    assert response.status_code == 400
    (message,) = response.context["form"].errors["lead_trainer"]
    assert message == f"{co.name} is not accredited as accredited trainer or higher for {programme.name}."
    assert message in _text(response)
    assert not Course.objects.exists()


def test_a_trainer_may_not_plan_a_course_led_by_someone_else(page_for, partner, programme, licence, trainer, verifier):
    response = page_for(trainer).post(_url("course-new", partner), _plan(partner, programme, verifier))

    assert response.status_code == 400
    assert "Only coordinators schedule courses led by someone else." in response.context["form"].errors["lead_trainer"]
    assert not Course.objects.exists()


def test_a_course_ending_before_it_starts_is_refused_next_to_the_last_day(
    page_for, partner, programme, licence, lead, trainer
):
    data = _plan(partner, programme, lead, ends_on=timezone.localdate().isoformat())

    response = page_for(trainer).post(_url("course-new", partner), data)

    assert list(response.context["form"].errors) == ["ends_on"]
    assert not Course.objects.exists()


# --- a course's page: moves -------------------------------------------------------------------------------------------


def _moves(response):
    return [move["to"] for move in response.context["moves"]]


def test_the_course_page_offers_only_the_moves_its_status_allows(
    page_for, partner, programme, licence, lead, trainer, course, running_course
):
    client = page_for(trainer)
    planned = CourseFactory(partner=partner, programme=programme, lead_trainer=lead)

    assert _moves(client.get(_url("course-detail", partner, planned.pk))) == ["open", "cancelled"]
    assert _moves(client.get(_url("course-detail", partner, course.pk))) == ["running", "cancelled"]
    assert _moves(client.get(_url("course-detail", partner, running_course.pk))) == ["completed", "cancelled"]
    completed = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, completed=True)
    assert _moves(client.get(_url("course-detail", partner, completed.pk))) == []


def test_a_co_trainer_is_offered_no_move(page_for, partner, co_user, course):
    response = page_for(co_user).get(_url("course-detail", partner, course.pk))

    assert response.status_code == 200
    assert _moves(response) == []
    assert "Move the course on" not in _text(response)


def test_the_lead_opens_a_planned_course(page_for, partner, programme, licence, lead, trainer):
    planned = CourseFactory(partner=partner, programme=programme, lead_trainer=lead)

    response = page_for(trainer).post(_url("course-move", partner, planned.pk), {"to": "open"}, follow=True)

    planned.refresh_from_db()
    assert planned.status == "open"
    assert f"“{planned.title}” is now open for enrolment." in _text(response)


def test_a_move_the_status_does_not_allow_is_refused_in_words(page_for, partner, programme, licence, lead, trainer):
    planned = CourseFactory(partner=partner, programme=programme, lead_trainer=lead)

    response = page_for(trainer).post(_url("course-move", partner, planned.pk), {"to": "completed"})

    assert response.status_code == 400
    assert "A planned course cannot be completed." in _text(response)
    planned.refresh_from_db()
    assert planned.status == "planned"


def test_a_co_trainer_cannot_move_the_course(page_for, partner, co_user, course):
    response = page_for(co_user).post(_url("course-move", partner, course.pk), {"to": "running"})

    assert response.status_code == 400
    assert "Only the partner&#x27;s coordinators and the course&#x27;s lead trainer" in _text(response)
    course.refresh_from_db()
    assert course.status == "open"


# --- enrolling ----------------------------------------------------------------------------------------------------------


def test_the_enrol_search_finds_the_partners_people_not_yet_on_the_course_and_shows_the_places(
    page_for, partner, other_partner, trainer, course
):
    EnrolmentFactory(partner=partner, course=course, learner=PersonFactory(partner=partner, name="Nina Already"))
    wanted = PersonFactory(partner=partner, name="Nina Newcomer")
    PersonFactory(partner=other_partner, name="Nina Elsewhere")

    response = page_for(trainer).get(_url("course-detail", partner, course.pk), {"q": "nina"})

    assert [person.name for person in response.context["candidates"]] == [wanted.name]
    assert "1 of 12 taken (11 left)" in _text(response)


def test_the_lead_enrols_a_learner_on_a_track(page_for, partner, trainer, course):
    person = PersonFactory(partner=partner, name="Nina Newcomer")

    response = page_for(trainer).post(
        _url("course-enrol", partner, course.pk), {"learner": person.pk, "track": "non_accredited"}, follow=True
    )

    enrolment = Enrolment.objects.get(course=course)
    assert (enrolment.learner, enrolment.track) == (person, "non_accredited")
    assert "Nina Newcomer is enrolled." in _text(response)


def test_a_full_course_refuses_another_learner_in_words(page_for, partner, programme, licence, lead, trainer):
    small = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, capacity=1, open=True)
    EnrolmentFactory(partner=partner, course=small)
    person = PersonFactory(partner=partner)

    response = page_for(trainer).post(
        _url("course-enrol", partner, small.pk), {"learner": person.pk, "track": "qualification"}
    )

    assert response.status_code == 400
    assert "The course is full: all 1 places are taken." in _text(response)
    assert Enrolment.objects.filter(course=small).count() == 1


def test_another_partners_person_cannot_be_enrolled(page_for, partner, other_partner, trainer, course):
    stranger = PersonFactory(partner=other_partner)

    response = page_for(trainer).post(
        _url("course-enrol", partner, course.pk), {"learner": stranger.pk, "track": "qualification"}
    )

    assert response.status_code == 400
    assert not Enrolment.objects.exists()


def test_a_running_course_takes_no_new_learners_and_says_why(page_for, partner, trainer, running_course):
    response = page_for(trainer).get(_url("course-detail", partner, running_course.pk), {"q": "a"})

    assert response.context["candidates"] == []
    assert "Learners enrol while a course is planned or open; this one is running." in _text(response)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER])
def test_another_partners_course_is_not_found(page_for, other_partner, role, partner, course):
    outsider = user_with_role(role, other_partner)
    TrainerAccreditationFactory(partner=other_partner, person=PersonFactory(partner=other_partner, user=outsider))

    assert page_for(outsider).get(_url("course-detail", other_partner, course.pk)).status_code == 404
