"""Matching suggestions: for a new mentee, the partner's mentors who could take them, ranked by a score whose parts
are shown, and every mentor who cannot, each with the reasons.

Transparent on purpose: a coordinator must be able to say why a mentor was suggested, and a mentor left out must
have a reason a person can read. The score is a sum of named parts (each weight below); no part is hidden.
One read of the partner's mentors, with their load, conflicts and open incidents as subqueries, whatever their
number.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from core.errors import Invalid, Unmet
from core.tenancy import COORDINATOR, require_role
from franchise.policy import effective_policy
from supervision.models import BoundaryIncident, Match, MatchingTag, MentorConflict, MentorProfile, MentorStatus, Person
from supervision.people.services import MENTEE_REF

__all__ = ["WEIGHTS", "Exclusion", "Suggestion", "Suggestions", "suggest_mentors"]

# Points per shared tag, for a shared language, for the same area, per free slot in common, and per mentee the
# mentor already has (a negative: the less loaded mentor first, all else equal).
WEIGHTS = {"shared_tags": 3, "language": 2, "area": 2, "availability": 1, "load": -1}
SERIOUS = (BoundaryIncident.Severity.HIGH, BoundaryIncident.Severity.CRITICAL)
# A proposed match takes a place as an active one does: it becomes active on approval.
TAKING_A_PLACE = ("proposed", Match.Status.ACTIVE)


@dataclass
class Suggestion:
    mentor: Person
    score: int
    parts: dict
    to_check: list = field(default_factory=list)  # conflicts described in words, for the coordinator to check


@dataclass
class Exclusion:
    mentor: Person
    reasons: list  # of Unmet


@dataclass
class Suggestions:
    suggestions: list
    excluded: list


def _mentors(partner, mentee_ref):
    current = (
        Match.objects.filter(mentor=OuterRef("pk"), status__in=TAKING_A_PLACE)
        .order_by()
        .values("mentor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    conflicted = MentorConflict.objects.filter(mentor=OuterRef("pk"), mentee_ref__iexact=mentee_ref)
    serious = BoundaryIncident.objects.open().filter(mentor=OuterRef("pk"), severity__in=SERIOUS)
    described = MentorConflict.objects.filter(mentee_ref="").exclude(description="").order_by("created_at")
    return (
        Person.objects.filter(partner=partner, mentor_status__in=(MentorStatus.ACTIVE, MentorStatus.PAUSED))
        .annotate(
            current_matches=Coalesce(Subquery(current), Value(0)),
            conflicted=Exists(conflicted),
            serious_incident=Exists(serious),
        )
        .select_related("matching_profile")
        .prefetch_related(
            Prefetch("matching_profile__tags", queryset=MatchingTag.objects.all()),
            Prefetch("conflicts", queryset=described, to_attr="described_conflicts"),
        )
        .order_by("name", "pk")
    )


def _profile(mentor):
    try:
        return mentor.matching_profile
    except MentorProfile.DoesNotExist:
        return None


def _reasons(mentor, cap, preferred_gender, profile):
    reasons = []
    if mentor.mentor_status == MentorStatus.PAUSED:
        reasons.append(Unmet("paused", f"{mentor.name} is paused ({mentor.pause_reason or 'no reason given'})."))
    elif mentor.current_matches >= cap:
        reasons.append(
            Unmet("at_capacity", f"{mentor.name} has {mentor.current_matches} matches; the policy allows {cap}.")
        )
    if mentor.conflicted:
        reasons.append(Unmet("conflict", f"{mentor.name} declared a conflict with this mentee."))
    if mentor.serious_incident:
        reasons.append(
            Unmet("open_incident", f"{mentor.name} has an open boundary incident of high or critical severity.")
        )
    if preferred_gender:
        gender = (profile.gender if profile else "").strip()
        if gender.casefold() != preferred_gender.casefold():
            said = f"records {gender}" if gender else "has no gender recorded"
            reasons.append(
                Unmet("gender_preference", f"The mentee asks for a {preferred_gender} mentor; {mentor.name} {said}.")
            )
    return reasons


def _parts(mentor, profile, tags, language, area, availability):
    offered = {tag.pk for tag in profile.tags.all()} if profile else set()
    languages = {value.casefold() for value in (profile.languages if profile else [])}
    slots = set(profile.availability if profile else [])
    return {
        "shared_tags": WEIGHTS["shared_tags"] * len(offered & {tag.pk for tag in tags}),
        "language": WEIGHTS["language"] if language and language.casefold() in languages else 0,
        "area": WEIGHTS["area"] if area and profile and profile.area.casefold() == area.casefold() else 0,
        "availability": WEIGHTS["availability"] * len(slots & set(availability)),
        "load": WEIGHTS["load"] * mentor.current_matches,
    }


def suggest_mentors(*, by, partner, mentee_ref, tags=(), language="", area="", availability=(), preferred_gender=""):
    """Who could mentor `mentee_ref` (by the needs given), best first, and who cannot and why.

    `tags` are names from the partner's list (unknown ones are refused, naming them). A mentor is excluded when
    paused, at the policy's `max_active_matches` (proposed matches count), conflicted with this mentee, under an
    open high or critical incident, or not of a gender the mentee asks for; every reason is listed. A conflict
    declared only in words cannot be matched by machine: it goes with the suggestion for the coordinator to check.
    """
    require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators ask for matching suggestions.")
    mentee_ref = (mentee_ref or "").strip()
    if not MENTEE_REF.match(mentee_ref):
        raise Invalid("Use the mentee's pseudonymous reference, never a name.", field="mentee_ref")
    names = [" ".join(str(name).split()).lower() for name in tags]
    known = {tag.name: tag for tag in MatchingTag.objects.filter(partner=partner, name__in=names)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise Invalid(f"Not on the partner's list of tags: {', '.join(unknown)}.", field="tags", code="unknown_tag")
    cap = effective_policy(partner).max_active_matches
    suggestions, excluded = [], []
    for mentor in _mentors(partner, mentee_ref):
        profile = _profile(mentor)
        reasons = _reasons(mentor, cap, (preferred_gender or "").strip(), profile)
        if reasons:
            excluded.append(Exclusion(mentor, reasons))
            continue
        parts = _parts(mentor, profile, list(known.values()), language or "", area or "", availability or ())
        to_check = [Unmet("conflict_to_check", conflict.description) for conflict in mentor.described_conflicts]
        suggestions.append(Suggestion(mentor, sum(parts.values()), parts, to_check))
    suggestions.sort(key=lambda item: (-item.score, item.mentor.current_matches, item.mentor.name))
    return Suggestions(suggestions, excluded)
