"""The demo's people: every stage of the pathway, reached through the services."""

from supervision.models import Match, MentorStatus, Person, PersonTransition
from supervision.people.rules import activation_unmet


def test_the_demo_has_mentors_at_every_stage_with_matches(demo):
    statuses = set(Person.objects.mentors().values_list("mentor_status", flat=True))
    assert statuses == {"applicant", "in_training", "shadowing", "active", "paused"}
    active = Person.objects.active_mentors()
    assert active.count() >= 5
    assert all(activation_unmet(person) == [] for person in active)
    assert Match.objects.active().filter(mentor__in=active).exists()
    paused = Person.objects.filter(mentor_status=MentorStatus.PAUSED)
    assert all(person.pause_reason and person.pause_review_on for person in paused)
    assert PersonTransition.objects.filter(to_status=MentorStatus.ACTIVE).count() == active.count() + paused.count()
    assert active.filter(name="Dionne Clarke", user__isnull=True).exists()  # the sessions demo makes her overdue
