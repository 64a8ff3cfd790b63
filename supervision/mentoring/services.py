"""Use cases of mentoring that write: a match's goals, the mentor's contact records, a concern reported as an
incident, and the anonymisation of contact records once their mentor has long left.

The match's mentor writes their own contact records (nobody writes them for a mentor: they are the mentor's
account of their work); goals are agreed between mentor and mentee, so the mentor or a coordinator writes them.
Every write locks the match's row first, so a record cannot slip in beside the match's end.
"""

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted
from core.tenancy import COORDINATOR, access_for, is_own_person, require_role
from franchise.policy import effective_policy
from supervision.incidents import services as incidents
from supervision.mentoring.models import MAX_CONTACT_MINUTES, Availability
from supervision.models import (
    ContactRecord,
    Match,
    MatchGoal,
    MatchingTag,
    MentorConflict,
    MentorProfile,
    MentorStatus,
    PersonTransition,
)
from supervision.people.retention import anonymises_exited_people
from supervision.people.rules import partner_today
from supervision.people.services import MENTEE_REF

GOAL_WRITERS = (COORDINATOR,)  # and the match's own mentor
MAX_SUMMARY = 2000
CONTACT_FIELDS = ("date", "duration_minutes", "mode", "place", "summary", "goals", "concern", "incident")
ANONYMISED = "Anonymised on {date} under the retention policy."


def _locked_match(match):
    return Match.objects.select_for_update().select_related("partner", "mentor").get(pk=match.pk)


def _require_mentor_or_coordinator(by, match, what):
    if is_own_person(by, match.mentor):
        return
    require_role(by, match.partner_id, GOAL_WRITERS, message=f"Only the match's mentor or a coordinator {what}.")


def _require_own_mentor(by, match):
    """The match's mentor, and nobody else: a coordinator who sees the match is refused (403), not hidden from."""
    if is_own_person(by, match.mentor):
        return
    access = access_for(by)
    if not access.is_licensor and match.partner_id not in access.roles_by_partner:
        raise NotFound(code="partner_not_visible")
    raise NotPermitted("Only the match's mentor records its contacts.")


def _require_open(match, what):
    if match.status != Match.Status.ACTIVE:
        raise Invalid(f"This match has ended; {what}.", field="match", code="match_not_active")


# --- goals ----------------------------------------------------------------------------


def _goal_text(text):
    text = (text or "").strip()
    if not text:
        raise Invalid("A goal needs a few words.", field="text", code="text_required")
    if len(text) > 200:
        raise Invalid("Keep a goal to 200 characters.", field="text", code="text_too_long")
    return text


@transaction.atomic
def add_goal(*, by, match, text, status=MatchGoal.Status.AGREED):
    """A goal agreed with the mentee, on an active match."""
    _require_mentor_or_coordinator(by, match, "agrees its goals")
    text = _goal_text(text)
    if status not in MatchGoal.Status.values:
        raise Invalid(f"{status!r} is not a goal status.", field="status", code="invalid_choice")
    match = _locked_match(match)
    _require_open(match, "its goals stay as they were when it ended")
    return MatchGoal.objects.create(partner_id=match.partner_id, match=match, text=text, status=status)


@transaction.atomic
def update_goal(*, by, goal, text=None, status=None):
    """Reword a goal or move its status on (agreed → in progress → met, or dropped), while the match is active."""
    match = goal.match
    _require_mentor_or_coordinator(by, match, "changes its goals")
    match = _locked_match(match)
    _require_open(match, "its goals stay as they were when it ended")
    changed = []
    if text is not None:
        goal.text = _goal_text(text)
        changed.append("text")
    if status is not None:
        if status not in MatchGoal.Status.values:
            raise Invalid(f"{status!r} is not a goal status.", field="status", code="invalid_choice")
        goal.status = status
        changed.append("status")
    if changed:
        goal.save(update_fields=[*changed, "updated_at"])
    return goal


# --- contact records ------------------------------------------------------------------


def _clean_contact(match, by, fields):
    """`fields` checked against the match and each other; every problem at once, as {field: [message]}."""
    errors = {}
    today = partner_today(match.partner)
    day = fields.get("date")
    if day is None:
        errors["date"] = ["Say on which day the contact was."]
    elif day > today:
        errors["date"] = [f"A contact is recorded once it has happened, not for {day.isoformat()}."]
    elif day < match.started_on:
        errors["date"] = [f"The match started on {match.started_on.isoformat()}; this day is before it."]
    elif match.ended_on is not None and day > match.ended_on:
        errors["date"] = [f"The match ended on {match.ended_on.isoformat()}; this day is after it."]
    minutes = fields.get("duration_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_CONTACT_MINUTES:
        errors["duration_minutes"] = [f"Give the length in minutes, from 1 to {MAX_CONTACT_MINUTES}."]
    if fields.get("mode") not in ContactRecord.Mode.values:
        errors["mode"] = [f"Say how you were in touch: one of {', '.join(ContactRecord.Mode.values)}."]
    fields["place"] = (fields.get("place") or "").strip()
    if len(fields["place"]) > 200:
        errors["place"] = ["Keep the place to 200 characters."]
    fields["summary"] = (fields.get("summary") or "").strip()
    if not fields["summary"]:
        errors["summary"] = ["Say in a few words what you worked on."]
    elif len(fields["summary"]) > MAX_SUMMARY:
        errors["summary"] = [f"Keep it short: at most {MAX_SUMMARY} characters."]
    goals = list(fields.get("goals") or ())
    if any(goal.match_id != match.pk for goal in goals):
        errors["goals"] = ["Choose goals of this match only."]
    fields["goals"] = goals
    fields["concern"] = bool(fields.get("concern"))
    incident = fields.get("incident")
    if incident is not None:
        if not fields["concern"]:
            errors["incident"] = ["Link an incident to a record that flags a concern."]
        elif incident.partner_id != match.partner_id or incident.reporter_id != by.pk:
            errors["incident"] = ["Link one of the incidents you reported to this partner."]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def record_contact(
    *, by, match, date, duration_minutes, mode, summary, place="", goals=(), concern=False, incident=None
):
    """The match's mentor records one contact with their mentee.

    `concern` flags something the mentor is worried about: the page then asks whether it needs a boundary
    incident or a safeguarding referral (report_concern), and the record links to it (`incident`).
    """
    _require_own_mentor(by, match)
    match = _locked_match(match)
    if match.status not in (Match.Status.ACTIVE, Match.Status.ENDED):
        raise Invalid("This match is not active yet; contacts are recorded once it is.", field="match")
    fields = _clean_contact(
        match,
        by,
        {
            "date": date,
            "duration_minutes": duration_minutes,
            "mode": mode,
            "place": place,
            "summary": summary,
            "goals": goals,
            "concern": concern,
            "incident": incident,
        },
    )
    goals = fields.pop("goals")
    record = ContactRecord.objects.create(partner_id=match.partner_id, match=match, recorded_by=by, **fields)
    record.goals.set(goals)
    return record


@transaction.atomic
def update_contact(*, by, record, **changes):
    """Correct a record, or link the incident reported about its concern. The mentor's own, until anonymised."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise Invalid(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    _require_own_mentor(by, record.match)
    match = _locked_match(record.match)
    record = ContactRecord.objects.select_for_update().get(pk=record.pk)
    if record.anonymised_at is not None:
        raise Invalid("This record was anonymised under the retention policy; it cannot change.")
    current = {name: getattr(record, name) for name in CONTACT_FIELDS if name != "goals"}
    current["goals"] = list(record.goals.all())
    fields = _clean_contact(match, by, {**current, **changes})
    goals = fields.pop("goals")
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=[*fields, "updated_at"])
    if "goals" in changes:
        record.goals.set(goals)
    return record


@transaction.atomic
def report_concern(*, by, record, **incident_fields):
    """Report the boundary incident (or, under a safeguarding rule, the safeguarding referral) a flagged record
    asks for, about the record's mentor and match, and link the record to it: both or neither."""
    _require_own_mentor(by, record.match)
    match = record.match
    incident = incidents.report_incident(by=by, mentor=match.mentor, match=match, **incident_fields)
    update_contact(by=by, record=record, concern=True, incident=incident)
    return incident


# --- retention ------------------------------------------------------------------------


def contacts_due_for_anonymisation(now=None):
    """Contact records, not yet anonymised, of mentors who exited longer ago than the retention period.

    The period is the licensor's `incident_retention_years`, read from each partner's policy in force (the
    records are as sensitive as the incidents they may link to): one query per partner with candidates. The
    exit counted is the mentor's latest move to `exited`; a mentor who came back is not exited.
    """
    now = now or timezone.now()
    exited_at = (
        PersonTransition.objects.filter(person=OuterRef("match__mentor"), to_status=MentorStatus.EXITED)
        .order_by()
        .values("person")
        .annotate(last=Max("at"))
        .values("last")
    )
    candidates = ContactRecord.objects.not_anonymised().filter(match__mentor__mentor_status=MentorStatus.EXITED)
    candidates = candidates.annotate(mentor_exited_at=Subquery(exited_at))
    ids = []
    for partner_id in candidates.order_by().values_list("partner_id", flat=True).distinct():
        years = effective_policy(partner_id, at=now).incident_retention_years
        cutoff = now - relativedelta(years=years)
        ids += candidates.filter(partner_id=partner_id, mentor_exited_at__lt=cutoff).values_list("pk", flat=True)
    return ContactRecord.objects.filter(pk__in=ids).order_by("date", "pk")


def anonymise_contact_records(record_ids, *, now=None):
    """Blank what describes the mentee (summary, place) and who wrote it; keep the figures (date, length, mode,
    concern, the goals touched) so that counts do not change. Set-based; running it twice changes nothing the
    second time. Returns how many records it anonymised."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            ContactRecord.objects.filter(pk__in=list(record_ids), anonymised_at__isnull=True)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        text = ANONYMISED.format(date=timezone.localdate(now).isoformat())
        return ContactRecord.objects.filter(pk__in=ids).update(
            summary=text, place="", recorded_by=None, anonymised_at=now, updated_at=now
        )


# --- matching: the partner's tags, mentor profiles, declared conflicts -------------------


@transaction.atomic
def add_matching_tag(*, by, partner, name):
    """A need or interest on the partner's list, used by mentee needs and mentor profiles alike."""
    require_role(by, partner, (COORDINATOR,), message="Only the partner's coordinators keep its list of tags.")
    name = " ".join((name or "").split()).lower()
    if not name or len(name) > 60:
        raise Invalid("A tag is a word or two (at most 60 characters).", field="name", code="name_invalid")
    if MatchingTag.objects.filter(partner=partner, name=name).exists():
        raise Invalid(f"The partner already has the tag {name!r}.", field="name", code="name_taken")
    return MatchingTag.objects.create(partner_id=getattr(partner, "pk", partner), name=name)


def _clean_profile(person, fields):
    errors = {}
    if "tags" in fields:
        tags = list(fields["tags"] or ())
        if any(tag.partner_id != person.partner_id for tag in tags):
            errors["tags"] = ["Choose tags from this partner's list."]
        fields["tags"] = tags
    if "languages" in fields:
        languages = [" ".join(str(value).split()) for value in fields["languages"] or ()]
        if any(not value or len(value) > 40 for value in languages):
            errors["languages"] = ["Name each language in a word or two."]
        fields["languages"] = languages
    if "availability" in fields:
        slots = list(dict.fromkeys(fields["availability"] or ()))
        unknown = [slot for slot in slots if slot not in Availability.values]
        if unknown:
            errors["availability"] = [f"Choose from {', '.join(Availability.values)}."]
        fields["availability"] = slots
    for name, limit in (("area", 100), ("gender", 40)):
        if name in fields:
            fields[name] = " ".join((fields[name] or "").split())
            if len(fields[name]) > limit:
                errors[name] = [f"At most {limit} characters."]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def save_mentor_profile(*, by, person, **fields):
    """Create or change what `person` offers for matching: the mentor themselves or a coordinator."""
    unknown = set(fields) - {"tags", "languages", "area", "availability", "gender"}
    if unknown:
        raise Invalid(f"These fields cannot be set here: {', '.join(sorted(unknown))}.")
    if not is_own_person(by, person):
        require_role(by, person.partner_id, (COORDINATOR,), message="Only the mentor or a coordinator may do this.")
    if person.mentor_status is None:
        raise Invalid(f"{person.name} is not on the mentor pathway.", field="person", code="not_a_mentor")
    fields = _clean_profile(person, dict(fields))
    tags = fields.pop("tags", None)
    profile, _created = MentorProfile.objects.select_for_update().get_or_create(
        person=person, defaults={"partner_id": person.partner_id}
    )
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    if tags is not None:
        profile.tags.set(tags)
    return profile


@transaction.atomic
def declare_conflict(*, by, mentor, mentee_ref="", description=""):
    """Someone `mentor` must never be matched with, declared by the mentor (or recorded by a coordinator): a
    mentee's reference, which suggestions then exclude, or a description the coordinator checks."""
    if not is_own_person(by, mentor):
        require_role(by, mentor.partner_id, (COORDINATOR,), message="Only the mentor or a coordinator may do this.")
    mentee_ref = (mentee_ref or "").strip()
    description = (description or "").strip()
    if not mentee_ref and not description:
        raise Invalid("Give the mentee's reference or describe whom to avoid.", code="conflict_empty")
    if mentee_ref and not MENTEE_REF.match(mentee_ref):
        raise Invalid("Use the mentee's pseudonymous reference, never a name.", field="mentee_ref")
    if len(description) > 1000:
        raise Invalid("Keep the description to 1000 characters.", field="description")
    return MentorConflict.objects.create(
        partner_id=mentor.partner_id, mentor=mentor, mentee_ref=mentee_ref, description=description, declared_by=by
    )


@transaction.atomic
def withdraw_conflict(*, by, conflict):
    if not is_own_person(by, conflict.mentor):
        require_role(by, conflict.partner_id, (COORDINATOR,), message="Only the mentor or a coordinator may do this.")
    conflict.delete()


@anonymises_exited_people
def anonymise_contacts_of_exited_mentors(person_ids, text, now):
    """The retention sweep of people who left (supervision.people.retention): their contact records too, in the
    same transaction and the same words."""
    return ContactRecord.objects.filter(match__mentor__in=person_ids, anonymised_at__isnull=True).update(
        summary=text, place="", recorded_by=None, anonymised_at=now, updated_at=now
    )
