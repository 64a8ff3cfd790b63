"""A new policy version to read and acknowledge: to each mentor, supervisor and trainer of the partner who has
not acknowledged it, once per person and version — one message that lists everything the version changed."""

from django.db.models import Exists, OuterRef, Q, Value

from franchise.models import PolicyAcknowledgement, PolicyVersion
from franchise.policy import version_changes
from franchise.querysets import with_current_acknowledgement
from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import CATCH_UP, KeyText, insert, planner, reachable, rows, subject_type
from supervision.models import Person

KIND = Kind.POLICY_ACKNOWLEDGEMENT


def _in_force(at):
    """The id of the version in force for the row's partner at `at`."""
    return PolicyVersion.objects.in_force_subquery(OuterRef("partner"), at=at)


@planner(KIND)
def plan_policy_acknowledgement(now):
    """People expected to acknowledge the policy (Person.objects.expected_to_acknowledge_policy()) whose
    partner's version in force took effect within the last week and who have not acknowledged it: one row per
    person, the person as subject, keyed by the version, so each person hears of each version exactly once
    (a later version is a new key). Older versions are not announced late: the coordinator's home lists who
    has not acknowledged."""
    recent = PolicyVersion.objects.filter(pk=OuterRef("version_id"), effective_from__gte=now - CATCH_UP)
    acknowledged = PolicyAcknowledgement.objects.filter(person=OuterRef("pk"), policy_version=OuterRef("version_id"))
    due = (
        Person.objects.expected_to_acknowledge_policy()
        .annotate(version_id=_in_force(now))
        .filter(Exists(recent))
        .exclude(Exists(acknowledged))
    )
    return insert(
        KIND,
        rows(
            reachable(due, KIND),
            KIND,
            subject="pk",
            partner="partner_id",
            user="user_id",
            email="email",
            due_at=Value(now),
            key=("version_id",),
            details={"version": KeyText("version_id")},
        ),
        subject_type=subject_type(Person),
    )


def _people(ids):
    """The batch's people with the version now in force for their partner and whether they acknowledged it,
    those versions and the ones before them: three queries for any batch."""
    people = with_current_acknowledgement(
        Person.objects.filter(pk__in=ids).select_related("partner").annotate(version_id=_in_force(None))
    ).in_bulk()
    versions = PolicyVersion.objects.in_bulk({person.version_id for person in people.values()} - {None})
    before = Q(pk__in=[])
    for version in versions.values():
        before |= Q(partner_id=version.partner_id, number=version.number - 1)
    previous = {(version.partner_id, version.number + 1): version for version in PolicyVersion.objects.filter(before)}
    for person in people.values():
        person.policy_version = versions.get(person.version_id)
        person.previous_version = (
            previous.get((person.partner_id, person.policy_version.number)) if person.policy_version else None
        )
    return people


@content(KIND, load=_people)
def policy_acknowledgement(reminder, person, now):
    version = person.policy_version
    if version is None or str(version.pk) != reminder.details.get("version"):
        return None  # superseded: the newer version has a reminder of its own
    if person.acknowledged_current_policy:
        return None
    return {
        "title": f"Please read and acknowledge version {version.number} of {person.partner.name}'s policy",
        "person": person,
        "version": version,
        "changes": version_changes(version, person.previous_version),
        "link": site_link(f"/{person.partner.slug}/policy/"),
    }
