"""Named rules of the mentor pathway. Each returns a list of Unmet (empty = met), every unmet item at once."""

import zoneinfo

from django.utils import timezone

from core.errors import Unmet
from franchise import rules as franchise_rules
from franchise.policy import effective_policy
from supervision.models import Match, Person

__all__ = ["activation_unmet", "match_unmet", "partner_today"]


def partner_today(partner, at=None):
    """The date at the partner's premises: a log "not in the future" is judged where it was kept."""
    at = at or timezone.now()
    try:
        zone = zoneinfo.ZoneInfo(partner.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    return timezone.localtime(at, zone).date()


def _hours(value):
    return f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


def activation_unmet(person, at=None):
    """What stands between `person` and being an active mentor at `at` (now when None).

    Checks, all at once: trained (a passed enrolment or recognised prior learning),
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
                f"{person.name} has neither passed the course nor had prior learning recognised (prior_learning_on).",
            )
        )
    required = policy.shadowing_hours_required
    if facts["shadowing_hours"] < required:
        unmet.append(
            Unmet(
                "shadowing_hours_short",
                f"{person.name} has shadowed {_hours(facts['shadowing_hours'])} hours; the policy asks for {required}.",
            )
        )
    if policy.requires_background_check and person.background_check_on is None:
        unmet.append(
            Unmet(
                "background_check_missing",
                f"The policy asks for a background check; none is recorded for {person.name}.",
            )
        )
    unmet += franchise_rules.policy_acknowledged(person, at)
    unmet += franchise_rules.licence_in_force(person.partner, partner_today(person.partner, at))
    return unmet


def match_unmet(mentor, at=None):
    """What stands between `mentor` and one more active match: being active, and the policy's cap on matches."""
    unmet = []
    if mentor.mentor_status != Person.Status.ACTIVE:
        status = mentor.get_mentor_status_display() if mentor.mentor_status else "not on the mentor pathway"
        unmet.append(Unmet("mentor_not_active", f"{mentor.name} is {status.lower()}; only active mentors are matched."))
    cap = effective_policy(mentor.partner, at).max_active_matches
    current = Match.objects.filter(mentor=mentor, status=Match.Status.ACTIVE).count()
    if current >= cap:
        unmet.append(
            Unmet(
                "match_limit_reached",
                f"{mentor.name} already has {current} active matches; the policy allows {cap} at a time.",
            )
        )
    return unmet
