"""Named rules of peer groups and sessions. Rules return lists of Unmet (empty = met); errors are raised by services.

Group rules are read against the owning partner's effective policy: an
external group follows the policy of the partner that runs it.
"""

from django.apps import apps
from django.utils import timezone

from core.errors import Invalid, Unmet
from franchise.policy import effective_policy
from supervision.people.querysets import trained_expression

__all__ = ["Clash", "group_size", "trained_majority", "group_unmet", "member_counts"]


class Clash(Invalid):
    """A person would be in two sessions at once. Answered as a 400 naming the person and the other session."""

    def __init__(self, person, other, *, partner=None, more=0):
        when = timezone.localtime(other.starts_at, _tz(partner or other.partner))
        ends = timezone.localtime(other.ends_at, _tz(partner or other.partner))
        # A session of another partner is named by its time only: its id is not the caller's to learn.
        own = partner is None or other.partner_id == getattr(partner, "pk", partner)
        which = f"session {other.pk}" if own else "a session of their own partner"
        message = f"{person.name} is already booked from {when:%H:%M} to {ends:%H:%M} on {when:%Y-%m-%d} ({which})."
        if more:
            message += f" {more} more clash{'es' if more > 1 else ''} found."
        super().__init__(message, field="attendees", code="clash")
        self.person = person
        self.session = other


def _tz(partner):
    from supervision.sessions.recurrence import zone

    return zone(partner.time_zone)


def member_counts(person_ids):
    """(members, trained members) among `person_ids`, in one query."""
    if not person_ids:
        return 0, 0
    person = apps.get_model("supervision", "Person")
    rows = (
        person.objects.filter(pk__in=person_ids)
        .annotate(is_trained=trained_expression())
        .values_list("is_trained", flat=True)
    )
    flags = list(rows)
    return len(flags), sum(1 for flag in flags if flag)


def group_size(members, policy):
    if members < policy.peer_group_min_size:
        return [
            Unmet(
                "group_too_small",
                f"A peer group needs at least {policy.peer_group_min_size} members; this one would have {members}.",
            )
        ]
    if members > policy.peer_group_max_size:
        return [
            Unmet(
                "group_too_large",
                f"A peer group has at most {policy.peer_group_max_size} members; this one would have {members}.",
            )
        ]
    return []


def trained_majority(members, trained, policy):
    if not policy.peer_group_trained_majority or members == 0:
        return []
    if trained * 2 > members:
        return []
    needed = members // 2 + 1
    return [
        Unmet(
            "trained_majority",
            f"Most members of a peer group must have passed the training: {trained} of {members} have, "
            f"{needed} are needed.",
        )
    ]


def group_unmet(group, person_ids, policy=None):
    """Every rule the group would break with exactly `person_ids` (consented members) as its members."""
    policy = policy or effective_policy(group.partner)
    members, trained = member_counts(list(person_ids))
    return group_size(members, policy) + trained_majority(members, trained, policy)
