"""Named rules of peer groups and sessions. Rules return lists of Unmet (empty = met); errors are raised by services.

Group rules are read against the owning partner's effective policy: an
external group follows the policy of the partner that runs it.

Equal standing: a peer group has no hierarchy, so it may not hold a person
together with someone they supervise one-to-one, nor a coordinator of the
owning partner. "Supervises one-to-one" is an active supervision relationship:
a current SupervisionAssignment (how coordinators decide who supervises whom),
or a 1:1 between the two held or scheduled from `supervision_interval_days` ago
(the policy in force of the partner the 1:1 belongs to) onwards, future ones
included. Either way round counts: the pair is refused whoever supervises whom.
"""

from datetime import timedelta

from django.apps import apps
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from core.errors import Invalid, Unmet
from core.tenancy import COORDINATOR
from franchise.policy import effective_policy
from supervision.people.querysets import trained_expression

__all__ = [
    "Clash",
    "group_size",
    "trained_majority",
    "group_unmet",
    "composition_unmet",
    "equal_standing",
    "supervision_pairs",
    "member_counts",
    "NOT_EQUAL_STANDING",
]

NOT_EQUAL_STANDING = "not_equal_standing"


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


def composition_unmet(group, person_ids, policy=None):
    """The size and trained-majority rules for exactly `person_ids` (consented members) as the group's members."""
    policy = policy or effective_policy(group.partner)
    members, trained = member_counts(list(person_ids))
    return group_size(members, policy) + trained_majority(members, trained, policy)


def group_unmet(group, person_ids, policy=None):
    """Every rule the group would break with exactly `person_ids` (consented members) as its members."""
    return composition_unmet(group, person_ids, policy) + equal_standing(group, person_ids)


def _model(name):
    return apps.get_model(*name.split("."))


def supervision_pairs(person_ids, *, today=None):
    """{(supervisor, supervisee): reason} for each active 1:1 supervision relationship between two of `person_ids`
    (Person objects as keys, a few words of why as the value). Three queries, plus the policy of each partner with
    a recent 1:1 between two of them."""
    person_ids = list(person_ids)
    if len(person_ids) < 2:
        return {}
    today = today or timezone.localdate()
    pairs = {}
    assignments = (
        _model("supervision.SupervisionAssignment")
        .objects.current(today)
        .filter(supervisor_id__in=person_ids, supervisee_id__in=person_ids)
        .values_list("supervisor_id", "supervisee_id")
    )
    for pair in assignments:
        pairs.setdefault(pair, "assigned as their supervisor")
    session = _model("supervision.SupervisionSession")
    recent = (
        session.objects.filter(
            kind=session.Kind.ONE_TO_ONE,
            status__in=(session.Status.HELD, session.Status.SCHEDULED),
            supervisor_id__in=person_ids,
            supervisee_id__in=person_ids,
        )
        .values("supervisor_id", "supervisee_id", "partner_id")
        .annotate(latest=Max("starts_on"))
        .order_by()
    )
    intervals = {}
    for row in recent:
        partner_id = row["partner_id"]
        if partner_id not in intervals:
            intervals[partner_id] = effective_policy(
                _model("franchise.Partner")(pk=partner_id)
            ).supervision_interval_days
        latest = row["latest"]
        if latest >= today - timedelta(days=intervals[partner_id]):
            words = f"a 1:1 booked for {latest:%-d %B %Y}" if latest >= today else f"a 1:1 on {latest:%-d %B %Y}"
            pairs.setdefault((row["supervisor_id"], row["supervisee_id"]), words)
    if not pairs:
        return {}
    people = _model("supervision.Person").objects.in_bulk({pk for pair in pairs for pk in pair})
    return {(people[a], people[b]): reason for (a, b), reason in pairs.items()}


def coordinators_among(group, person_ids):
    """The people among `person_ids` whose login coordinates the group's owning partner (one query)."""
    membership = _model("franchise.Membership")
    coordinates = membership.objects.filter(user_id=OuterRef("user_id"), partner_id=group.partner_id, role=COORDINATOR)
    return list(
        _model("supervision.Person")
        .objects.filter(pk__in=list(person_ids), user__isnull=False)
        .filter(Exists(coordinates))
        .order_by("name", "pk")
    )


def equal_standing(group, person_ids, *, newcomer=None, today=None):
    """No one in the group with someone they supervise one-to-one, and no coordinator of the owning partner.

    With `newcomer` (a person id among `person_ids`), only what that person brings is checked: a member change
    is refused for the pairs it would make, not for ones already there (activation checks the group whole).
    """
    person_ids = list(person_ids)
    unmet = []
    for (supervisor, supervisee), reason in sorted(
        supervision_pairs(person_ids, today=today).items(), key=lambda item: (item[0][0].name, item[0][1].name)
    ):
        if newcomer is not None and newcomer not in (supervisor.pk, supervisee.pk):
            continue
        unmet.append(
            Unmet(
                NOT_EQUAL_STANDING,
                f"{supervisor.name} supervises {supervisee.name} one-to-one ({reason}): members of a peer group "
                "have equal standing, so the two cannot both be in it.",
            )
        )
    candidates = [newcomer] if newcomer is not None else person_ids
    for person in coordinators_among(group, candidates):
        unmet.append(
            Unmet(
                NOT_EQUAL_STANDING,
                f"{person.name} is a coordinator of {group.partner.name}: members of its peer groups have equal "
                "standing, so the partner's coordinators are not members.",
            )
        )
    return unmet
