"""A course's sessions and registers: adding a session with its units, one form for every enrolled learner's
attendance, the printable register, and the same queries however many learners."""

from datetime import time, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.training.factories import CourseAttendanceFactory, CourseSessionFactory, EnrolmentFactory
from tests.training.scenario import *  # noqa: F403
from training.models import CourseAttendance, CourseSession


def _url(name, partner, *args):
    return reverse(name, args=[partner.slug, *args])


def _text(response):
    return response.content.decode()


def _session(partner, course, **fields):
    unit = course.programme.units.get()
    return CourseSessionFactory(partner=partner, course=course, date=timezone.localdate(), units=[unit], **fields)


def test_the_lead_adds_a_session_with_the_units_it_covers(page_for, partner, trainer, running_course):
    unit = running_course.programme.units.get()

    response = page_for(trainer).post(
        _url("course-session-new", partner, running_course.pk),
        {
            "topic": "Listening",
            "date": timezone.localdate().isoformat(),
            "starts_at": "10:00",
            "ends_at": "13:00",
            "units": [unit.pk],
        },
    )

    session = CourseSession.objects.get()
    assert response.status_code == 302
    assert (session.topic, session.starts_at, list(session.units.all())) == ("Listening", time(10), [unit])


def test_a_session_outside_the_course_dates_is_refused_next_to_the_date(page_for, partner, trainer, running_course):
    late = running_course.ends_on + timedelta(days=1)

    response = page_for(trainer).post(
        _url("course-session-new", partner, running_course.pk),
        {"topic": "Listening", "date": late.isoformat(), "starts_at": "10:00", "ends_at": "13:00"},
    )

    assert response.status_code == 400
    assert "is outside it" in response.context["form"].errors["date"][0]
    assert not CourseSession.objects.exists()


def test_the_course_page_lists_its_sessions_with_their_units_and_registers(page_for, partner, trainer, running_course):
    session = _session(partner, running_course, topic="Agreeing goals")
    unit = session.units.get()

    page = _text(page_for(trainer).get(_url("course-detail", partner, running_course.pk)))

    assert "Agreeing goals" in page and f"{unit.code} {unit.title}" in page
    assert _url("course-register", partner, session.pk) in page


def test_the_register_is_one_form_with_a_choice_for_every_learner_holding_a_place(
    page_for, partner, co_user, running_course
):
    session = _session(partner, running_course)
    learners = [EnrolmentFactory(partner=partner, course=running_course) for _ in range(3)]
    EnrolmentFactory(partner=partner, course=running_course, withdrawn=True)

    response = page_for(co_user).get(_url("course-register", partner, session.pk))

    page = _text(response)
    assert page.count("<form") - page.count('action="/logout/"') == 1
    assert sorted(field.label for field in response.context["form"].learner_fields()) == sorted(
        enrolment.learner.name for enrolment in learners
    )
    for status in ("Present", "Apologies", "Absent"):
        assert page.count(f"> {status}</label>") == 3


def test_a_co_trainer_takes_the_register_for_everyone_at_once(page_for, partner, co_user, running_course):
    session = _session(partner, running_course)
    first, second, third = (EnrolmentFactory(partner=partner, course=running_course) for _ in range(3))

    response = page_for(co_user).post(
        _url("course-register", partner, session.pk),
        {
            f"attendance_{first.pk}": "present",
            f"attendance_{second.pk}": "apologies",
            f"attendance_{third.pk}": "absent",
        },
        follow=True,
    )

    recorded = dict(CourseAttendance.objects.filter(session=session).values_list("enrolment", "status"))
    assert recorded == {first.pk: "present", second.pk: "apologies", third.pk: "absent"}
    assert f"The register for “{session.topic}” is saved." in _text(response)
    assert "3 of 3 learners recorded, 1 present." in _text(response)


def test_taking_the_register_again_changes_what_was_recorded(page_for, partner, trainer, running_course):
    session = _session(partner, running_course)
    row = CourseAttendanceFactory(partner=partner, session=session, status="absent")

    page_for(trainer).post(_url("course-register", partner, session.pk), {f"attendance_{row.enrolment_id}": "present"})

    row.refresh_from_db()
    assert row.status == "present"


def test_a_learner_left_out_is_named_and_nothing_is_recorded(page_for, partner, trainer, running_course):
    session = _session(partner, running_course)
    first = EnrolmentFactory(partner=partner, course=running_course)
    second = EnrolmentFactory(partner=partner, course=running_course)

    response = page_for(trainer).post(
        _url("course-register", partner, session.pk), {f"attendance_{first.pk}": "present"}
    )

    assert response.status_code == 400
    assert f"Say whether {second.learner.name} was there." in _text(response).replace("&#x27;", "'")
    assert not CourseAttendance.objects.exists()


def test_the_register_of_a_session_still_to_come_is_refused_in_words(page_for, partner, trainer, running_course):
    session = _session(partner, running_course)
    session.date = timezone.localdate() + timedelta(days=1)
    session.save()
    enrolment = EnrolmentFactory(partner=partner, course=running_course)

    response = page_for(trainer).post(
        _url("course-register", partner, session.pk), {f"attendance_{enrolment.pk}": "present"}
    )

    assert response.status_code == 400
    assert "Attendance is taken on or after the day of the session." in _text(response)
    assert not CourseAttendance.objects.exists()


def test_someone_not_teaching_the_course_cannot_take_its_register(
    page_for, partner, verifier_user, verifier, running_course
):
    session = _session(partner, running_course)

    # The verifier sees the course's enrolments (any accredited trainer may verify) but not its sessions.
    assert page_for(verifier_user).get(_url("course-register", partner, session.pk)).status_code == 404


def test_the_printable_register_shows_what_was_recorded_and_no_form(page_for, partner, trainer, running_course):
    session = _session(partner, running_course, topic="Endings")
    row = CourseAttendanceFactory(partner=partner, session=session, status="apologies")

    response = page_for(trainer).get(_url("course-register-print", partner, session.pk))

    page = _text(response)
    assert response.status_code == 200
    assert "Attendance register" in page and "Endings" in page and row.enrolment.learner.name in page
    assert '<span class="visually-hidden">apologies</span>' in page
    assert 'type="radio"' not in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_register_and_its_print_run_the_same_queries_for_two_learners_or_twelve(
    page_for, partner, trainer, running_course
):
    session = _session(partner, running_course)
    for _ in range(2):
        CourseAttendanceFactory(partner=partner, session=session)
    client = page_for(trainer)
    urls = [_url("course-register", partner, session.pk), _url("course-register-print", partner, session.pk)]
    few = [_queries(client, url) for url in urls]

    for _ in range(10):
        CourseAttendanceFactory(partner=partner, session=session)
    many = [_queries(client, url) for url in urls]

    assert many == few
