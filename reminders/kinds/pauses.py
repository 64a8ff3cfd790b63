"""Mentor pause review: to the partner's coordinators, on the morning of the review date the pause set."""

from datetime import timedelta

from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import CATCH_UP, KeyText, MorningOf, insert, planner, rows, subject_type, with_coordinators
from supervision.models import MentorStatus, Person

KIND = Kind.PAUSE_REVIEW


@planner(KIND)
def plan_pause_review(now):
    """Paused mentors whose review date is today or tomorrow (or passed within the last week): one row per
    coordinator, keyed by the review date, due at 08:00 where the partner is on that day."""
    today = timezone.localdate(now)
    paused = Person.objects.filter(
        mentor_status=MentorStatus.PAUSED,
        pause_review_on__gte=today - CATCH_UP,
        pause_review_on__lte=today + timedelta(days=1),
    )
    return insert(
        KIND,
        rows(
            with_coordinators(paused, KIND),
            KIND,
            subject="pk",
            partner="partner_id",
            user="coordinator_id",
            due_at=Greatest(MorningOf("pause_review_on", "partner__time_zone"), Value(now)),
            key=("pk", "pause_review_on"),
            details={"review_on": KeyText("pause_review_on")},
            distinct=True,
        ),
        subject_type=subject_type(Person),
    )


def _people(ids):
    return Person.objects.select_related("partner").in_bulk(ids)


@content(KIND, load=_people)
def pause_review(reminder, person, now):
    review_on = person.pause_review_on
    if person.mentor_status != MentorStatus.PAUSED or review_on is None:
        return None  # back to active, or exited
    if review_on.isoformat() != reminder.details.get("review_on"):
        return None  # the review was moved: a reminder for the new date follows
    return {
        "title": f"Review {person.name}'s pause today"
        if review_on == timezone.localdate(now)
        else f"Review {person.name}'s pause (due {review_on:%-d %B})",
        "person": person,
        "review_on": review_on,
        "link": site_link(f"/api/v1/people/{person.pk}/"),
    }
