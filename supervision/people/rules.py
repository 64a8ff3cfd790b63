"""Named rules of the mentor pathway. Each returns a list of Unmet (empty = met), every unmet item at once."""

import zoneinfo

from django.db import models
from django.utils import timezone

from core.errors import Unmet
from franchise import rules as franchise_rules
from franchise.policy import effective_policy
from supervision.models import Match, Person

__all__ = ["activation_unmet", "activation_unmet_for", "match_unmet", "partner_today"]


def partner_today(partner, at=None):
    """The date at the partner's premises: a log "not in the future" is judged where it was kept."""
    at = at or timezone.now()
    try:
        zone = zoneinfo.ZoneInfo(partner.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    return timezone.localtime(at, zone).date()


# The words of activation's unmet requirements, shared by the one-person and the set-based check.
_NOT_TRAINED = "{name} has neither finished the course nor had prior learning recognised."
_SHADOWING_SHORT = "{name} has shadowed {hours} hours; the policy asks for {required}."
_NO_BACKGROUND_CHECK = "The policy asks for a background check; none is recorded for {name}."
_NO_POLICY_VERSION = (
    "The partner's policy has no version yet; the person acknowledges it once a coordinator has set it."
)
_NOT_ACKNOWLEDGED = "{name} has not acknowledged version {number} of the policy and its boundary rules."


def _hours(value):
    return f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


def activation_unmet(person, at=None):
    """What stands between `person` and being an active mentor at `at` (now when None).

    Checks, all at once: trained (a finished course — passed, or completed without the qualification — or
    recognised prior learning),
    shadowing hours against the effective policy, a background check where the
    policy asks for one, acknowledgement of the policy version in force, and an
    active licence for the partner.
    """
    at = at or timezone.now()
    policy = effective_policy(person.partner, at)
    facts = Person.objects.for_listing().values("trained", "shadowing_hours").get(pk=person.pk)
    unmet = []
    if not facts["trained"]:
        unmet.append(
            Unmet(
                "not_trained",
                _NOT_TRAINED.format(name=person.name),
            )
        )
    required = policy.shadowing_hours_required
    if facts["shadowing_hours"] < required:
        unmet.append(
            Unmet(
                "shadowing_hours_short",
                _SHADOWING_SHORT.format(name=person.name, hours=_hours(facts["shadowing_hours"]), required=required),
            )
        )
    if policy.requires_background_check and person.background_check_on is None:
        unmet.append(
            Unmet(
                "background_check_missing",
                _NO_BACKGROUND_CHECK.format(name=person.name),
            )
        )
    unmet += franchise_rules.policy_acknowledged(person, at)
    unmet += franchise_rules.licence_in_force(person.partner, partner_today(person.partner, at))
    return unmet


def activation_unmet_for(people, at=None):
    """activation_unmet for many people at once: {person id: [Unmet]}, the same codes and messages.

    `people` is a Person queryset or an iterable of Persons. One query reads every person's facts (trained,
    shadowing hours, acknowledgement of the version in force); the policy and the licence are read once per
    partner, so a home page listing the mentors waiting for activation costs the same for 3 or 300.
    """
    from franchise.querysets import with_current_acknowledgement

    at = at or timezone.now()
    if isinstance(people, models.QuerySet):
        chosen = Person.objects.filter(pk__in=people.values("pk"))
    else:
        chosen = Person.objects.filter(pk__in=[person.pk for person in people])
    rows = list(with_current_acknowledgement(chosen.for_listing(), at=at).select_related("partner"))
    by_partner = {}
    for row in rows:
        if row.partner_id not in by_partner:
            by_partner[row.partner_id] = (
                effective_policy(row.partner, at),
                franchise_rules.licence_in_force(row.partner, partner_today(row.partner, at)),
            )
    result = {}
    for person in rows:
        policy, licence_unmet = by_partner[person.partner_id]
        unmet = []
        if not person.trained:
            unmet.append(Unmet("not_trained", _NOT_TRAINED.format(name=person.name)))
        required = policy.shadowing_hours_required
        if person.shadowing_hours < required:
            unmet.append(
                Unmet(
                    "shadowing_hours_short",
                    _SHADOWING_SHORT.format(name=person.name, hours=_hours(person.shadowing_hours), required=required),
                )
            )
        if policy.requires_background_check and person.background_check_on is None:
            unmet.append(Unmet("background_check_missing", _NO_BACKGROUND_CHECK.format(name=person.name)))
        if policy.version is None:
            unmet.append(Unmet("policy_not_acknowledged", _NO_POLICY_VERSION))
        elif not person.acknowledged_current_policy:
            unmet.append(
                Unmet(
                    "policy_not_acknowledged", _NOT_ACKNOWLEDGED.format(name=person.name, number=policy.version.number)
                )
            )
        result[person.pk] = unmet + list(licence_unmet)
    return result


def match_unmet(mentor, at=None, *, excluding=None):
    """What stands between `mentor` and one more match: being active, and the policy's cap on matches (proposed
    ones count: each becomes active on approval). `excluding`: a proposal being approved, not counted itself."""
    unmet = []
    if mentor.mentor_status != Person.Status.ACTIVE:
        status = mentor.get_mentor_status_display() if mentor.mentor_status else "not on the mentor pathway"
        unmet.append(Unmet("mentor_not_active", f"{mentor.name} is {status.lower()}; only active mentors are matched."))
    cap = effective_policy(mentor.partner, at).max_active_matches
    taken = Match.objects.filter(mentor=mentor, status__in=(Match.Status.PROPOSED, Match.Status.ACTIVE))
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    current = taken.count()
    if current >= cap:
        unmet.append(
            Unmet(
                "match_limit_reached",
                f"{mentor.name} already has {current} active matches; the policy allows {cap} at a time.",
            )
        )
    return unmet
