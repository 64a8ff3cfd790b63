"""Use cases of the mentor pathway that write: people, their transitions, shadowing and matches.

Every write checks the writer's role in the person's partner first (core.tenancy.require_role),
and every read-then-act check (activation, the match cap, the daily shadowing limit) runs under a
row lock on the person, so two concurrent requests cannot both pass it.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Invalid, RuleNotMet, Unmet, check_transition
from core.tenancy import COORDINATOR, SUPERVISOR, require_role
from franchise.models import Membership, normalise_email
from supervision.models import (
    MENTOR_TRANSITIONS,
    ContactRecord,
    Match,
    MentorStatus,
    Person,
    PersonTransition,
    ShadowingLog,
)
from supervision.people.models import new_calendar_secret
from supervision.people.querysets import STAFF_ROLES
from supervision.people.rules import activation_unmet, match_unmet, partner_today

PEOPLE_WRITERS = (COORDINATOR,)
SHADOWING_WRITERS = (COORDINATOR, SUPERVISOR)
MATCH_WRITERS = (COORDINATOR,)

MAX_SHADOWING_HOURS_A_DAY = Decimal("12")
# A reference such as "NS-M-0142": letters, digits, dots, dashes, underscores, no spaces, so a
# mentee's name ("Jane Smith") or email address cannot be typed in by mistake.
MENTEE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")

PERSON_FIELDS = ("name", "email", "user", "prior_learning_on", "background_check_on")


def _lock(person):
    return Person.objects.select_for_update().select_related("partner").get(pk=person.pk)


# --- people ---------------------------------------------------------------------------


def _clean_person_fields(partner, fields, *, instance=None):
    errors = {}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            errors["name"] = ["A person needs a name."]
    if "email" in fields:
        fields["email"] = normalise_email(fields["email"] or "")
    today = partner_today(partner)
    for name, what in (("prior_learning_on", "Prior learning"), ("background_check_on", "A background check")):
        value = fields.get(name)
        if value is not None and value > today:
            errors[name] = [f"{what} cannot be recorded for a date in the future ({value.isoformat()})."]
    if "user" in fields:
        # A User or its id; only users holding a role in the partner, so an id tells nothing of other tenants.
        user = fields.pop("user")
        fields["user_id"] = getattr(user, "pk", user)
    user_id = fields.get("user_id")
    if user_id is not None:
        if not Membership.objects.filter(user_id=user_id, partner=partner).exists():
            errors["user"] = ["No user with this id holds a role in this partner."]
        else:
            others = Person.objects.filter(partner=partner, user_id=user_id)
            if instance is not None:
                others = others.exclude(pk=instance.pk)
            if others.exists():
                errors["user"] = ["This user already has a profile in this partner."]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def create_person(*, by, partner, name, email="", user=None, mentor_status=MentorStatus.APPLICANT, **fields):
    """Register a person. Volunteers start as applicants; staff and learners with `mentor_status=None`
    (not on the mentor pathway). Later steps are transitions, never set directly."""
    require_role(by, partner, PEOPLE_WRITERS, message="Only the partner's coordinators register people.")
    if mentor_status not in (None, MentorStatus.APPLICANT):
        raise Invalid(
            "A person starts as an applicant (or off the mentor pathway); later steps are transitions.",
            field="mentor_status",
        )
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"create_person() got unexpected fields: {', '.join(sorted(unknown))}")
    cleaned = _clean_person_fields(partner, {"name": name, "email": email, "user": user, **fields})
    person = Person.objects.create(partner=partner, mentor_status=mentor_status, **cleaned)
    if mentor_status is not None:
        PersonTransition.objects.create(
            partner=partner, person=person, from_status=None, to_status=mentor_status, by=by, reason="Registered."
        )
    return person


@transaction.atomic
def update_person(*, by, person, **changes):
    """Change a person's details. The mentor status moves only through transition_person."""
    require_role(by, person.partner_id, PEOPLE_WRITERS, message="Only the partner's coordinators change people.")
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise Invalid(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    person = _lock(person)
    cleaned = _clean_person_fields(person.partner, dict(changes), instance=person)
    for name, value in cleaned.items():
        setattr(person, name, value)
    person.save(update_fields=[name.removesuffix("_id") for name in cleaned] + ["updated_at"])
    return person


@transaction.atomic
def transition_person(*, by, person, to, reason="", review_on=None, at=None):
    """Move a person along the mentor pathway and record the move.

    An illegal move raises IllegalTransition (naming the allowed ones); a move to
    `active` raises RuleNotMet listing every unmet requirement; a pause needs a
    reason and a review date. The person's row is locked first, so the checks
    and the write see the same state even when two requests race.
    """
    require_role(by, person.partner_id, PEOPLE_WRITERS, message="Only the partner's coordinators move people on.")
    if to not in MentorStatus.values:
        raise Invalid(f"{to!r} is not a mentor status; choose one of {', '.join(MentorStatus.values)}.", field="to")
    person = _lock(person)
    check_transition(MENTOR_TRANSITIONS, person.mentor_status, to)
    reason = (reason or "").strip()
    today = partner_today(person.partner, at)

    if to == MentorStatus.PAUSED:
        errors = {}
        if not reason:
            errors["reason"] = ["A pause needs a reason."]
        if review_on is None:
            errors["review_on"] = ["A pause needs a date on which it is reviewed."]
        elif review_on < today:
            errors["review_on"] = [f"The review date cannot be in the past (today is {today.isoformat()})."]
        if errors:
            raise ValidationError(errors)
    elif review_on is not None:
        raise Invalid("Only a pause has a review date.", field="review_on")

    if to == MentorStatus.ACTIVE:
        unmet = activation_unmet(person, at)
        if unmet:
            raise RuleNotMet(unmet, message=f"{person.name} cannot become an active mentor yet.")

    from_status = person.mentor_status
    person.mentor_status = to
    if to == MentorStatus.PAUSED:
        person.pause_reason, person.pause_review_on = reason, review_on
    else:
        person.pause_reason, person.pause_review_on = "", None
    person.save(update_fields=["mentor_status", "pause_reason", "pause_review_on", "updated_at"])

    if to == MentorStatus.EXITED:
        # A mentor who leaves keeps no mentee waiting: their matches end with them.
        Match.objects.filter(mentor=person, status__in=(Match.Status.PROPOSED, Match.Status.ACTIVE)).update(
            status=Match.Status.ENDED,
            ended_on=today,
            outcome=Match.Outcome.OTHER,
            outcome_note="The mentor left the programme.",
            updated_at=timezone.now(),
        )
    PersonTransition.objects.create(
        partner_id=person.partner_id,
        person=person,
        from_status=from_status,
        to_status=to,
        at=at or timezone.now(),
        by=by,
        reason=reason,
        review_on=review_on,
    )
    return person


def link_invited_login(*, partner, user, person_id=None):
    """Link `user`, who has just accepted an invitation to `partner`, to the person it was sent for.

    An invitation that names a person (sent from their page) links that person while they have no login. One
    that names nobody links the person of the partner with the user's address (case-insensitive) and no login
    yet. Nothing is linked when the user already has a profile in the partner or when several people share the
    address and the invitation named none of them (a coordinator links them by hand then).
    """
    if Person.objects.filter(partner=partner, user=user).exists():
        return None
    if person_id is not None:
        named = Person.objects.select_for_update().filter(pk=person_id, partner=partner, user__isnull=True).first()
        if named is not None:
            named.user = user
            named.save(update_fields=["user", "updated_at"])
            return named
    return link_login_by_email(partner=partner, user=user)


@transaction.atomic
def link_login_by_email(*, partner, user):
    """Give `user` the one person of `partner` recorded with their address (case-insensitive) and no login;
    None when there is none or several (which one is theirs is a coordinator's call)."""
    candidates = list(
        Person.objects.select_for_update().filter(partner=partner, user__isnull=True, email__iexact=user.email)[:2]
    )
    if len(candidates) != 1:
        return None
    person = candidates[0]
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    return person


@transaction.atomic
def regenerate_calendar_secret(*, by, person):
    """A new secret for the person's calendar feed; the old URL stops working at once.

    The person themselves (a leaked link) or the partner's coordinators may do this.
    """
    if person.user_id is None or person.user_id != getattr(by, "pk", None):
        require_role(by, person.partner_id, PEOPLE_WRITERS, message="Only the person or a coordinator may do this.")
    person = _lock(person)
    person.calendar_secret = new_calendar_secret()
    person.save(update_fields=["calendar_secret", "updated_at"])
    return person


# --- shadowing ------------------------------------------------------------------------


def _is_staff(person):
    return (
        person.user_id is not None
        and Membership.objects.filter(
            user_id=person.user_id, partner_id=person.partner_id, role__in=STAFF_ROLES
        ).exists()
    )


def _decimal_hours(hours):
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        raise Invalid("Hours must be a number such as 2.5.", field="hours")
    if not value.is_finite():
        raise Invalid("Hours must be a number such as 2.5.", field="hours")
    return value


@transaction.atomic
def log_shadowing(*, by, mentor, shadowed, date, hours, note=""):
    """Record hours `mentor` spent shadowing `shadowed`, a member of the partner's staff.

    Hours are more than 0 and at most 12 a day across all of the mentor's logs
    of that day; the date is not in the future at the partner. The mentor's row
    is locked, so two logs of the same day cannot both fit under the limit.
    """
    require_role(by, mentor.partner_id, SHADOWING_WRITERS, message="Coordinators and supervisors log shadowing.")
    hours = _decimal_hours(hours)
    mentor = _lock(mentor)
    errors = {}
    if mentor.mentor_status in (None, MentorStatus.APPLICANT, MentorStatus.EXITED):
        state = "not on the mentor pathway" if mentor.mentor_status is None else mentor.get_mentor_status_display()
        errors["mentor"] = [f"{mentor.name} is {state.lower()}; shadowing is logged from training on."]
    if shadowed.partner_id != mentor.partner_id:
        errors["shadowed"] = ["The person shadowed works for another partner."]
    elif shadowed.pk == mentor.pk:
        errors["shadowed"] = ["A mentor cannot shadow themselves."]
    elif not _is_staff(shadowed):
        errors["shadowed"] = [f"{shadowed.name} is not a coordinator, supervisor or trainer of the partner."]
    today = partner_today(mentor.partner)
    if date > today:
        errors["date"] = [f"Shadowing cannot be logged for a day in the future ({date.isoformat()})."]
    if hours <= 0:
        errors["hours"] = ["Hours must be more than 0."]
    elif hours.as_tuple().exponent < -2:
        errors["hours"] = ["Hours are recorded to the hundredth at most (such as 1.25)."]
    else:
        already = ShadowingLog.objects.hours_on(mentor, date)
        if already + hours > MAX_SHADOWING_HOURS_A_DAY:
            left = max(MAX_SHADOWING_HOURS_A_DAY - already, Decimal("0"))
            errors["hours"] = [
                f"A day holds at most {MAX_SHADOWING_HOURS_A_DAY} hours of shadowing; {mentor.name} already has "
                f"{already.normalize():f} on {date.isoformat()}, so at most {left.normalize():f} more."
            ]
    if errors:
        raise ValidationError(errors)
    return ShadowingLog.objects.create(
        partner_id=mentor.partner_id,
        mentor=mentor,
        shadowed=shadowed,
        date=date,
        hours=hours,
        note=note,
        recorded_by=by,
    )


@transaction.atomic
def delete_shadowing_log(*, by, log):
    """Remove a log entered by mistake. Hours already counted towards an activation stay counted there."""
    require_role(by, log.partner_id, SHADOWING_WRITERS, message="Coordinators and supervisors correct shadowing.")
    log.delete()


# --- matches --------------------------------------------------------------------------

# A proposal becomes active once approved, or is ended (withdrawn) before that.
MATCH_TRANSITIONS = {
    Match.Status.PROPOSED: (Match.Status.ACTIVE, Match.Status.ENDED),
    Match.Status.ACTIVE: (Match.Status.ENDED,),
    Match.Status.ENDED: (),
}


@transaction.atomic
def create_match(*, by, mentor, mentee_ref, started_on=None):
    """Propose matching an active mentor with a mentee known only by reference: the match is `proposed`, and
    active once approved (approve_match).

    The mentor's row is locked before the cap is counted, so two matches made
    at once cannot both take the last place.
    """
    require_role(by, mentor.partner_id, MATCH_WRITERS, message="Only the partner's coordinators make matches.")
    mentee_ref = (mentee_ref or "").strip()
    if not MENTEE_REF.match(mentee_ref):
        raise Invalid(
            "Use the mentee's pseudonymous reference (2–40 letters, digits, '.', '-' or '_', no spaces), never a name.",
            field="mentee_ref",
        )
    mentor = _lock(mentor)
    today = partner_today(mentor.partner)
    started_on = started_on or today
    if started_on > today:
        raise Invalid(f"A match starts today or earlier, not on {started_on.isoformat()}.", field="started_on")
    unmet = match_unmet(mentor)
    if unmet:
        raise RuleNotMet(unmet, message=f"{mentor.name} cannot take a new match.")
    taken = Match.objects.filter(
        partner_id=mentor.partner_id, mentee_ref=mentee_ref, status__in=(Match.Status.PROPOSED, Match.Status.ACTIVE)
    )
    if taken.exists():
        raise Invalid(f"Mentee {mentee_ref} already has an active match; end it first.", field="mentee_ref")
    try:
        with transaction.atomic():
            return Match.objects.create(
                partner_id=mentor.partner_id,
                mentor=mentor,
                mentee_ref=mentee_ref,
                status=Match.Status.PROPOSED,
                started_on=started_on,
                created_by=by,
            )
    except IntegrityError:
        # Another coordinator matched the same mentee a moment ago.
        raise Invalid(f"Mentee {mentee_ref} already has an active match; end it first.", field="mentee_ref")


def _coordinators_of(partner_id):
    return (
        Membership.objects.filter(partner_id=partner_id, role=COORDINATOR, user__is_active=True)
        .values("user_id")
        .distinct()
        .count()
    )


@transaction.atomic
def approve_match(*, by, match, now=None):
    """Make a proposed match active. Where the partner has more than one coordinator a second one approves (four
    eyes on who meets a vulnerable mentee); a partner's only coordinator confirms their own proposal. The mentor
    is checked again (still active, still under the cap) under a lock, and told once it is approved (the
    reminders planner's `match_approved`, from `approved_at`)."""
    require_role(by, match.partner_id, MATCH_WRITERS, message="Only the partner's coordinators approve matches.")
    match = Match.objects.select_for_update().select_related("partner").get(pk=match.pk)
    check_transition(MATCH_TRANSITIONS, match.status, Match.Status.ACTIVE)
    if match.created_by_id == getattr(by, "pk", None) and _coordinators_of(match.partner_id) > 1:
        raise RuleNotMet(
            [Unmet("second_coordinator_needed", "Another coordinator of the partner approves a match you proposed.")],
            message="A second coordinator approves this match.",
        )
    mentor = _lock(match.mentor)
    unmet = match_unmet(mentor, excluding=match)
    if unmet:
        raise RuleNotMet(unmet, message=f"{mentor.name} cannot take this match now.")
    match.status = Match.Status.ACTIVE
    match.approved_at = now or timezone.now()
    match.approved_by = by
    match.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    return match


@transaction.atomic
def end_match(*, by, match, outcome, note="", ended_on=None):
    """End a match with what came of it for the mentee (Match.Outcome) and, if wanted, a note in words."""
    require_role(by, match.partner_id, MATCH_WRITERS, message="Only the partner's coordinators end matches.")
    if outcome not in Match.Outcome.values:
        raise Invalid(
            f"Say how the match ended: one of {', '.join(Match.Outcome.values)}.",
            field="outcome",
            code="invalid_choice",
        )
    match = Match.objects.select_for_update().select_related("partner").get(pk=match.pk)
    check_transition(MATCH_TRANSITIONS, match.status, Match.Status.ENDED)
    today = partner_today(match.partner)
    ended_on = ended_on or today
    if ended_on > today:
        raise Invalid(f"A match ends today or earlier, not on {ended_on.isoformat()}.", field="ended_on")
    if ended_on < match.started_on:
        raise Invalid(f"A match cannot end before it started ({match.started_on.isoformat()}).", field="ended_on")
    last_contact = ContactRecord.objects.filter(match=match, date__gt=ended_on).order_by("-date").first()
    if last_contact is not None:
        raise Invalid(
            f"A contact is recorded on {last_contact.date.isoformat()}: the match cannot end before it.",
            field="ended_on",
        )
    match.status = Match.Status.ENDED
    match.ended_on = ended_on
    match.outcome = outcome
    match.outcome_note = (note or "").strip()
    match.save(update_fields=["status", "ended_on", "outcome", "outcome_note", "updated_at"])
    return match
