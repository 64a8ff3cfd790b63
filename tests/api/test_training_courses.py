"""/api/v1/courses/, /course-sessions/, /enrolments/, /assessments/: status codes, field names,
permissions per role, tenant scoping and query counts."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from franchise.models import Criterion
from tests.factories import PartnerFactory
from tests.supervision.factories import PersonFactory
from tests.training.factories import (
    CourseFactory,
    CourseSessionFactory,
    CriterionAssessmentFactory,
    EnrolmentFactory,
)
from tests.training.scenario import *  # noqa: F403
from training.models import Course, CourseAttendance, CriterionAssessment, Enrolment

COURSES = "/api/v1/courses/"
SESSIONS = "/api/v1/course-sessions/"
ENROLMENTS = "/api/v1/enrolments/"
ASSESSMENTS = "/api/v1/assessments/"
TODAY = timezone.localdate()

COURSE_FIELDS = {
    "id",
    "partner",
    "programme",
    "title",
    "starts_on",
    "ends_on",
    "capacity",
    "places_taken",
    "mode",
    "venue",
    "status",
    "lead_trainer",
    "co_trainers",
}


def new_course(programme, lead, **overrides):
    return {
        "programme": str(programme.pk),
        "lead_trainer": str(lead.pk),
        "title": "Autumn cohort",
        "starts_on": (TODAY + timedelta(days=10)).isoformat(),
        "ends_on": (TODAY + timedelta(days=40)).isoformat(),
        "capacity": 8,
        "mode": "blended",
        **overrides,
    }


# --- courses --------------------------------------------------------------------------


def test_a_coordinator_schedules_a_course(client_for, coordinator, partner, programme, licence, lead, co):
    response = client_for(coordinator).post(COURSES, new_course(programme, lead, co_trainers=[str(co.pk)]))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COURSE_FIELDS
    assert (body["partner"], body["status"], body["places_taken"], body["co_trainers"]) == (
        str(partner.pk),
        "planned",
        0,
        [str(co.pk)],
    )


def test_no_active_licence_is_400_on_programme_and_nothing_is_written(client_for, coordinator, programme, lead):
    response = client_for(coordinator).post(COURSES, new_course(programme, lead))

    assert response.status_code == 400
    assert set(response.json()) == {"programme"}
    assert not Course.objects.exists()


def test_a_lead_who_is_not_accredited_is_400_on_lead_trainer(client_for, coordinator, partner, programme, licence):
    response = client_for(coordinator).post(COURSES, new_course(programme, PersonFactory(partner=partner)))

    assert response.status_code == 400
    assert set(response.json()) == {"lead_trainer"}
    assert not Course.objects.exists()


def test_a_lead_of_another_partner_is_answered_like_a_missing_one(client_for, coordinator, programme, licence):
    response = client_for(coordinator).post(COURSES, new_course(programme, PersonFactory(partner=PartnerFactory())))

    assert response.status_code == 400
    assert "lead_trainer" in response.json()


@pytest.mark.parametrize("who", ["mentor_user", "supervisor", "co_user"])
def test_other_roles_may_not_schedule_someone_elses_course(request, client_for, who, programme, licence, lead):
    response = client_for(request.getfixturevalue(who)).post(COURSES, new_course(programme, lead))

    # 403; or 400 on lead_trainer where the role may not even see the partner's people (mentors).
    assert response.status_code == 403 or set(response.json()) == {"lead_trainer"}
    assert not Course.objects.exists()


def test_a_trainer_schedules_a_course_they_lead(client_for, trainer, programme, licence, lead):
    assert client_for(trainer).post(COURSES, new_course(programme, lead)).status_code == 201


def test_trainers_list_the_courses_they_teach(client_for, co_user, partner, course):
    CourseFactory(partner=partner)

    body = client_for(co_user).get(COURSES).json()

    assert [row["id"] for row in body["results"]] == [str(course.pk)]


def test_another_partners_course_is_404(client_for, other_coordinator, course):
    assert client_for(other_coordinator).get(f"{COURSES}{course.pk}/").status_code == 404
    assert client_for(other_coordinator).patch(f"{COURSES}{course.pk}/", {"title": "x"}).status_code == 404


def test_rescheduling_outside_the_licence_is_400_on_programme(client_for, coordinator, course, licence):
    response = client_for(coordinator).patch(
        f"{COURSES}{course.pk}/", {"ends_on": (licence.ends_on + timedelta(days=3)).isoformat()}
    )

    assert response.status_code == 400
    assert "programme" in response.json()
    course.refresh_from_db()
    assert course.ends_on < licence.ends_on


def test_the_status_moves_through_transition_and_an_illegal_move_is_409(client_for, coordinator, course):
    client = client_for(coordinator)

    moved = client.post(f"{COURSES}{course.pk}/transition/", {"to": "running"})
    assert (moved.status_code, moved.json()["status"]) == (200, "running")

    illegal = client.post(f"{COURSES}{course.pk}/transition/", {"to": "open"})
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["cancelled", "completed"]


def test_status_is_not_set_by_patch(client_for, coordinator, course):
    client_for(coordinator).patch(f"{COURSES}{course.pk}/", {"status": "completed"})

    course.refresh_from_db()
    assert course.status == "open"


def test_the_course_list_runs_a_fixed_number_of_queries(
    token_client_for, coordinator, partner, programme, lead, co, django_assert_max_num_queries
):
    client = token_client_for(coordinator)
    for _ in range(3):
        course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co])
        EnrolmentFactory.create_batch(2, partner=partner, course=course)
    with django_assert_max_num_queries(5) as few:
        client.get(COURSES, {"page_size": 200})
    for _ in range(27):
        CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co, lead])

    # Token, memberships, count, the page, the co-trainers: five whatever the page size.
    with django_assert_max_num_queries(5) as many:
        body = client.get(COURSES, {"page_size": 200}).json()

    assert body["count"] == 30
    assert sorted(row["places_taken"] for row in body["results"])[-3:] == [2, 2, 2]
    assert len(many.captured_queries) == len(few.captured_queries) == 5


# --- sessions and attendance ----------------------------------------------------------


def test_the_lead_adds_a_session_covering_the_programmes_unit(client_for, trainer, course, programme):
    unit = programme.units.get()
    response = client_for(trainer).post(
        SESSIONS,
        {
            "course": str(course.pk),
            "date": course.starts_on.isoformat(),
            "starts_at": "10:00",
            "ends_at": "13:00",
            "topic": "What peer mentoring is",
            "units": [str(unit.pk)],
        },
    )

    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "course", "date", "starts_at", "ends_at", "topic", "units"}


def test_a_session_outside_the_course_dates_is_400_on_date(client_for, coordinator, course):
    response = client_for(coordinator).post(
        SESSIONS,
        {
            "course": str(course.pk),
            "date": (course.ends_on + timedelta(days=1)).isoformat(),
            "starts_at": "10:00",
            "ends_at": "13:00",
            "topic": "Too late",
        },
    )

    assert response.status_code == 400
    assert set(response.json()) == {"date"}


def test_a_co_trainer_records_attendance_and_reads_it_back(client_for, co_user, partner, enrolment):
    session = CourseSessionFactory(partner=partner, course=enrolment.course)
    url = f"{SESSIONS}{session.pk}/attendance/"
    client = client_for(co_user)

    recorded = client.post(url, {"attendance": [{"enrolment": str(enrolment.pk), "status": "present"}]})
    assert recorded.status_code == 200, recorded.content
    assert recorded.json() == [
        {"enrolment": str(enrolment.pk), "learner": str(enrolment.learner_id), "status": "present"}
    ]
    assert client.get(url).json() == recorded.json()


def test_a_learner_reads_only_their_own_attendance_and_does_not_record_it(client_for, learner_user, partner, enrolment):
    session = CourseSessionFactory(partner=partner, course=enrolment.course)
    classmate = EnrolmentFactory(partner=partner, course=enrolment.course)
    CourseAttendance.objects.create(partner=partner, session=session, enrolment=enrolment, status="present")
    CourseAttendance.objects.create(partner=partner, session=session, enrolment=classmate, status="absent")
    client = client_for(learner_user)
    url = f"{SESSIONS}{session.pk}/attendance/"

    assert [row["enrolment"] for row in client.get(url).json()] == [str(enrolment.pk)]
    refused = client.post(url, {"attendance": [{"enrolment": str(enrolment.pk), "status": "absent"}]})
    assert refused.status_code == 403
    assert CourseAttendance.objects.get(enrolment=enrolment).status == "present"


# --- enrolments ----------------------------------------------------------------------


ENROLMENT_FIELDS = {
    "id",
    "partner",
    "course",
    "learner",
    "track",
    "status",
    "verified_by",
    "verified_at",
    "certificate",
    "assessments",
}


def test_a_coordinator_enrols_a_learner(client_for, coordinator, course, learner):
    response = client_for(coordinator).post(ENROLMENTS, {"course": str(course.pk), "learner": str(learner.pk)})

    assert response.status_code == 201, response.content
    assert set(response.json()) == ENROLMENT_FIELDS
    assert (response.json()["track"], response.json()["status"]) == ("qualification", "enrolled")


def test_a_full_course_is_400_on_course_and_nothing_is_written(client_for, coordinator, partner, course):
    course.capacity = 1
    course.save()
    EnrolmentFactory(partner=partner, course=course)

    response = client_for(coordinator).post(
        ENROLMENTS, {"course": str(course.pk), "learner": str(PersonFactory(partner=partner).pk)}
    )

    assert response.status_code == 400
    assert "full" in response.json()["course"][0]
    assert course.enrolments.count() == 1


def test_a_learner_sees_only_their_own_enrolment(client_for, learner_user, partner, enrolment):
    EnrolmentFactory(partner=partner, course=enrolment.course)

    body = client_for(learner_user).get(ENROLMENTS).json()

    assert [row["id"] for row in body["results"]] == [str(enrolment.pk)]


def test_the_enrolment_list_with_assessments_runs_a_fixed_number_of_queries(
    token_client_for, coordinator, partner, running_course, lead, django_assert_max_num_queries
):
    criteria = list(Criterion.objects.filter(unit__programme=running_course.programme))

    def enrol_assessed(count):
        for enrolment in EnrolmentFactory.create_batch(count, partner=partner, course=running_course):
            for criterion in criteria:
                CriterionAssessmentFactory(partner=partner, enrolment=enrolment, criterion=criterion, assessor=lead)

    client = token_client_for(coordinator)
    enrol_assessed(3)
    with django_assert_max_num_queries(5) as few:
        client.get(ENROLMENTS, {"page_size": 200})
    enrol_assessed(27)

    # Token, memberships, count, the page (certificate joined), the assessments: five whatever the page size.
    with django_assert_max_num_queries(5) as many:
        body = client.get(ENROLMENTS, {"page_size": 200}).json()

    assert body["count"] == 30
    assert {len(row["assessments"]) for row in body["results"]} == {len(criteria)}
    assert len(many.captured_queries) == len(few.captured_queries) == 5


def test_withdrawing_through_transition(client_for, coordinator, enrolment):
    response = client_for(coordinator).post(f"{ENROLMENTS}{enrolment.pk}/transition/", {"to": "withdrawn"})

    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


# --- assessment and verification ------------------------------------------------------


def test_a_course_trainer_records_an_assessment(client_for, trainer, lead, enrolment):
    criterion = Criterion.objects.filter(unit__programme=enrolment.course.programme).first()

    response = client_for(trainer).post(
        ASSESSMENTS,
        {
            "enrolment": str(enrolment.pk),
            "criterion": str(criterion.pk),
            "decision": "met",
            "evidence": "Workbook p. 3",
        },
    )

    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "enrolment", "criterion", "evidence", "decision", "assessor", "assessed_on"}
    assert response.json()["assessor"] == str(lead.pk)


def test_a_coordinator_who_does_not_teach_the_course_may_not_assess(client_for, coordinator, enrolment):
    criterion = Criterion.objects.filter(unit__programme=enrolment.course.programme).first()

    response = client_for(coordinator).post(
        ASSESSMENTS, {"enrolment": str(enrolment.pk), "criterion": str(criterion.pk), "decision": "not_yet"}
    )

    assert response.status_code == 403
    assert not CriterionAssessment.objects.exists()


def test_revising_an_assessment_by_patch(client_for, co_user, co, lead, partner, enrolment):
    assessment = CriterionAssessmentFactory(partner=partner, enrolment=enrolment, assessor=lead, decision="not_yet")

    response = client_for(co_user).patch(f"{ASSESSMENTS}{assessment.pk}/", {"decision": "met", "evidence": "Seen"})

    assert response.status_code == 200, response.content
    assert (response.json()["decision"], response.json()["assessor"]) == ("met", str(co.pk))


def assess_every_criterion(enrolment, assessor, decision="met"):
    for criterion in Criterion.objects.filter(unit__programme=enrolment.course.programme):
        CriterionAssessmentFactory(
            partner=enrolment.partner, enrolment=enrolment, criterion=criterion, assessor=assessor, decision=decision
        )


def test_verification_passes_the_learner_and_answers_the_certificate(
    client_for, verifier_user, verifier, lead, enrolment
):
    assess_every_criterion(enrolment, lead)

    response = client_for(verifier_user).post(f"{ENROLMENTS}{enrolment.pk}/verify/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["enrolment"]["status"] == "passed"
    assert body["enrolment"]["certificate"] == body["certificate"]["id"]
    assert body["certificate"]["status"] == "valid" and len(body["certificate"]["code"]) >= 32


def test_verification_with_criteria_not_yet_met_is_400_listing_them(
    client_for, verifier_user, verifier, lead, enrolment
):
    assess_every_criterion(enrolment, lead, decision="not_yet")

    response = client_for(verifier_user).post(f"{ENROLMENTS}{enrolment.pk}/verify/")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == ["criterion_not_met"] * 5
    assert Enrolment.objects.get(pk=enrolment.pk).status == "enrolled"


def test_the_trainer_who_assessed_everything_is_403_on_verify(client_for, trainer, lead, enrolment):
    assess_every_criterion(enrolment, lead)

    assert client_for(trainer).post(f"{ENROLMENTS}{enrolment.pk}/verify/").status_code == 403


def test_verifying_another_partners_enrolment_is_404(client_for, other_coordinator, enrolment):
    assert client_for(other_coordinator).post(f"{ENROLMENTS}{enrolment.pk}/verify/").status_code == 404


def test_times_are_plain_times_of_day(client_for, coordinator, partner, course):
    session = CourseSessionFactory(partner=partner, course=course, starts_at=time(9, 30), ends_at=time(12, 0))

    body = client_for(coordinator).get(f"{SESSIONS}{session.pk}/").json()

    assert (body["starts_at"], body["ends_at"]) == ("09:30:00", "12:00:00")
