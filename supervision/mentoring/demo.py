"""Demo data for mentoring: goals on every active match, contact records by the mentors who log in (one of them
flagging a concern that links to the incident she reported), and the ended match's outcome (supervision.people
.demo ends it); for matching, each partner's tags, its active mentors' profiles, and a conflict that suggestions
for the new mentee NEW_MENTEE[slug] exclude.

Everything goes through the services. Reads from earlier steps: world["mentors"], world["mentor_users"],
world["staff"], and the incident a Northside mentor reported about herself (supervision.incidents.demo).
"""

from datetime import timedelta

from django.utils import timezone

from franchise.models import Role
from supervision.mentoring import services
from supervision.models import BoundaryIncident, ContactRecord, Match, MatchGoal

GOALS = {
    "northside": ["Register with a GP near the new flat", "Go to the job club on her own", "Open a bank account"],
    "harbour": ["Keep every probation appointment", "Find a five-a-side team", "Apply for a provisional licence"],
}
TAGS = ["housing", "benefits", "employment", "family", "health", "justice", "education"]
# (languages, area, availability, tags) of the active mentors, in world["mentors"] order.
PROFILES = [
    (["English", "Urdu"], "North", ["weekday_evenings", "weekends"], ["housing", "family"]),
    (["English"], "Town centre", ["weekday_mornings"], ["benefits", "employment"]),
    (["English", "Polish"], "North", ["weekday_afternoons", "weekday_evenings"], ["housing", "health"]),
    (["English"], "South", ["weekends"], ["justice", "education"]),
]
# A mentee waiting for a mentor, and the mentor (index in world["mentors"]) who declared a conflict with them.
NEW_MENTEE = {"northside": "NS-M-0300", "harbour": "HJ-M-0300"}
CONFLICTED = 1
CONFLICT_NOTE = "Knows the mentee's family from the estate where she grew up."

# (days ago, minutes, mode, place, what was worked on, goal indexes touched)
CONTACTS = [
    (
        19,
        60,
        ContactRecord.Mode.IN_PERSON,
        "The café by the library",
        "Made a list of what to ask at the first appointment and practised saying it out loud.",
        (0,),
    ),
    (
        12,
        20,
        ContactRecord.Mode.PHONE,
        "",
        "A short call to check in after a hard week; we agreed to meet at the usual place next time.",
        (),
    ),
    (
        5,
        90,
        ContactRecord.Mode.IN_PERSON,
        "The community centre",
        "Went through the forms together; the mentee filled them in herself and felt proud of it.",
        (0, 1),
    ),
]


def seed(world):
    today = timezone.localdate()
    for slug, goal_texts in GOALS.items():
        coordinator = world["staff"][(slug, Role.COORDINATOR)]
        mentor_user = world["mentor_users"][slug]
        for mentor in world["mentors"][slug]:
            for match in Match.objects.filter(mentor=mentor, status=Match.Status.ACTIVE).order_by("mentee_ref"):
                goals = [services.add_goal(by=coordinator, match=match, text=text) for text in goal_texts[:2]]
                services.update_goal(by=coordinator, goal=goals[0], status=MatchGoal.Status.IN_PROGRESS)
                if mentor.user_id != mentor_user.pk:
                    continue
                for days, minutes, mode, place, summary, touched in CONTACTS:
                    services.record_contact(
                        by=mentor_user,
                        match=match,
                        date=max(today - timedelta(days=days), match.started_on),
                        duration_minutes=minutes,
                        mode=mode,
                        place=place,
                        summary=summary,
                        goals=[goals[index] for index in touched],
                    )
        _flag_the_concern_she_reported(world, slug, today)
        _matching(world, slug, coordinator)


def _flag_the_concern_she_reported(world, slug, today):
    """The mentor who logs in reported an incident about herself; the call of that week flags it, linked."""
    mentor_user = world["mentor_users"][slug]
    incident = (
        BoundaryIncident.objects.filter(partner=world[slug], reporter=mentor_user).order_by("-occurred_at").first()
    )
    if incident is None:
        return
    day = timezone.localtime(incident.occurred_at).date()
    record = (
        ContactRecord.objects.filter(match__mentor__user=mentor_user, partner=world[slug], date__lte=day)
        .order_by("-date")
        .first()
    )
    if record is not None:
        services.update_contact(by=mentor_user, record=record, concern=True, incident=incident)


def _matching(world, slug, coordinator):
    tags = {name: services.add_matching_tag(by=coordinator, partner=world[slug], name=name) for name in TAGS}
    mentors = world["mentors"][slug]
    # Harbour has fewer active mentors than there are profiles: each takes the first ones.
    for mentor, (languages, area, availability, names) in zip(mentors, PROFILES, strict=False):
        services.save_mentor_profile(
            by=coordinator,
            person=mentor,
            languages=languages,
            area=area,
            availability=availability,
            tags=[tags[name] for name in names],
        )
    services.declare_conflict(
        by=coordinator, mentor=mentors[CONFLICTED], mentee_ref=NEW_MENTEE[slug], description=CONFLICT_NOTE
    )
