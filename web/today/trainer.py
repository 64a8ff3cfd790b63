"""The trainer's part of a partner's home: the courses they lead or co-teach (upcoming, running, finished with
learners still to verify), each with its grid and its next register, and the learners whose every criterion is met
and who wait for internal verification.

A fixed number of bounded queries, however many courses and learners: each list stops at SHOWN rows and says how
many more there are; the sessions of the courses shown are read in one query.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from training import services
from training.models import Course, CourseSession, Enrolment
from web.today.links import url_or_none
from web.training.courses import status_badge

SHOWN = 8

GROUPS = (
    ("upcoming", "Upcoming", (Course.Status.PLANNED, Course.Status.OPEN), "No course of yours is planned."),
    ("running", "Running", (Course.Status.RUNNING,), "None of your courses is running."),
    (
        "to_verify",
        "Finished, learners still to verify",
        (Course.Status.COMPLETED,),
        "No finished course of yours has learners waiting.",
    ),
)


def _bounded(queryset):
    rows = list(queryset[:SHOWN])
    return rows, max(queryset.count() - len(rows), 0)


def _next_sessions(courses, today):
    """{course id: the session whose register is due next} — today's or the next one, else the latest held."""
    by_course = {}
    for session in CourseSession.objects.filter(course__in=courses).order_by("date", "starts_at"):
        by_course.setdefault(session.course_id, []).append(session)
    chosen = {}
    for course_id, sessions in by_course.items():
        ahead = [s for s in sessions if s.date >= today]
        chosen[course_id] = ahead[0] if ahead else sessions[-1]
    return chosen


def context(request, here):
    user, partner, slug = request.user, here.partner, here.partner.slug
    me = services.person_of(user, partner.pk)
    common = {"new_course_url": url_or_none("course-new", slug), "courses_url": url_or_none("courses", slug)}
    if me is None:
        return {"trainer_person": None, **common}
    today = timezone.localdate()
    taught = (
        Course.objects.visible_to(user)
        .filter(partner=partner)
        .filter(Q(lead_trainer=me) | Q(co_trainers=me))
        .distinct()
        .with_places_taken()
        .select_related("programme")
        .order_by("starts_on", "title", "pk")
    )
    open_learners = Enrolment.objects.filter(
        course=OuterRef("pk"),
        track=Enrolment.Track.QUALIFICATION,
        status__in=services.ASSESSABLE,
    )
    groups, shown_courses = [], []
    for key, title, statuses, empty in GROUPS:
        rows = taught.filter(status__in=statuses)
        if key == "to_verify":
            rows = rows.filter(Exists(open_learners))
        courses, more = _bounded(rows)
        shown_courses += courses
        groups.append({"key": key, "title": title, "courses": courses, "more": more, "empty": empty})
    sessions = _next_sessions([course.pk for course in shown_courses], today)
    for group in groups:
        group["courses"] = [
            {
                "course": course,
                "badge": status_badge(course.status),
                "role": "you lead" if course.lead_trainer_id == me.pk else "you co-teach",
                "url": url_or_none("course-detail", slug, course.pk),
                "grid_url": url_or_none("assessment-grid", slug, course.pk),
                "next_session": sessions.get(course.pk),
                "register_url": url_or_none("course-register", slug, sessions[course.pk].pk)
                if course.pk in sessions
                else None,
            }
            for course in group["courses"]
        ]
    ready, more_ready = _bounded(
        Enrolment.objects.visible_to(user)
        .filter(partner=partner)
        .ready_to_verify()
        .select_related("learner", "course")
        .order_by("course__starts_on", "learner__name", "pk")
    )
    return {
        "trainer_person": me,
        "course_groups": groups,
        "to_verify": {
            "items": [
                {"enrolment": enrolment, "url": url_or_none("enrolment-verify", slug, enrolment.pk)}
                for enrolment in ready
            ],
            "more": more_ready,
        },
        **common,
    }
