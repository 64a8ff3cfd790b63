"""Demo data for supervision's people: mentors at every stage of the pathway, their shadowing and matches.

Everything goes through the services, so the demo exercises the same rules as
the API: each active mentor really met every activation requirement.

Fills for later steps (supervision.sessions.demo):
  world["staff_people"]   {(slug, role): Person} — the partners' coordinators, supervisors and trainers
  world["mentors"]        {slug: [Person]} — active mentors
  world["paused_mentors"] {slug: [Person]}
  world["overdue_mentor"] a Northside active mentor whom the sessions demo gives an old last session
  world["mentor_users"]   {slug: User} — the mentors who log in
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from franchise import services as franchise_services
from franchise.demo import DEMO_PASSWORD
from franchise.models import Membership, Role, User
from franchise.policy import effective_policy
from supervision.models import Match, MentorStatus
from supervision.people import services

# (name, stage, has a login); stages: applicant, in_training, shadowing, active, paused.
PEOPLE = {
    "northside": [
        ("Amira Hassan", "active", True),
        ("Bethany Cole", "active", False),
        ("Dionne Clarke", "active", False),
        ("Eleanor Price", "active", False),
        ("Fatima Begum", "paused", False),
        ("Leah Turner", "shadowing", False),
        ("Hannah Brooks", "in_training", False),
        ("Chloe Adams", "applicant", False),
        ("Grace Mensah", "applicant", False),
    ],
    "harbour": [
        ("Liam O'Connor", "active", True),
        ("Marcus Bell", "active", False),
        ("Nathan Hughes", "active", False),
        ("Owen Davies", "paused", False),
        ("Kieran Walsh", "shadowing", False),
        ("Jamal Reid", "applicant", False),
    ],
}
PREFIX = {"northside": "NS", "harbour": "HJ"}
PAUSE_REASONS = {
    "northside": "Moving into new accommodation; back once settled.",
    "harbour": "Starting a college course this term; reviewing the workload after the first month.",
}
OVERDUE = ("northside", "Dionne Clarke")


def _email(name):
    return name.lower().replace("'", "").replace(" ", ".") + "@mentors.example"


def seed(world):
    today = timezone.localdate()
    world.update(staff_people={}, mentors={}, paused_mentors={}, mentor_users={}, people={})
    for slug in PEOPLE:
        partner = world[slug]
        coordinator = world["staff"][(slug, Role.COORDINATOR)]
        supervisor = world["staff"][(slug, Role.SUPERVISOR)]
        for role in (Role.COORDINATOR, Role.SUPERVISOR, Role.TRAINER):
            world["staff_people"][(slug, role)] = franchise_services.person_for_user(
                partner, world["staff"][(slug, role)]
            )
        shadowed = world["staff_people"][(slug, Role.SUPERVISOR)]
        required = Decimal(effective_policy(partner).shadowing_hours_required)
        world["mentors"][slug], world["paused_mentors"][slug] = [], []
        match_number = 100

        for index, (name, stage, logs_in) in enumerate(PEOPLE[slug]):
            user = None
            if logs_in:
                email = f"mentor@{slug}.example"
                user = User.objects.create_user(email, DEMO_PASSWORD, name=name)
                Membership.objects.create(user=user, partner=partner, role=Role.MENTOR)
                world["accounts"].append((email, f"mentor at {partner.name} ({name})"))
                world["mentor_users"][slug] = user
            person = services.create_person(
                by=coordinator, partner=partner, name=name, email=user.email if user else _email(name), user=user
            )
            world["people"][(slug, name)] = person
            if stage == "applicant":
                continue
            services.transition_person(by=coordinator, person=person, to=MentorStatus.IN_TRAINING)
            if stage == "in_training":
                continue
            # Recognised prior learning stands in for the course here; the training demo's learners pass it.
            services.update_person(
                by=coordinator,
                person=person,
                prior_learning_on=today - timedelta(days=150 - index),
                background_check_on=today - timedelta(days=120 - index),
            )
            services.transition_person(by=coordinator, person=person, to=MentorStatus.SHADOWING)
            hours = required if stage in ("active", "paused") else required / 2 + Decimal("1.5")
            _log_shadowing(supervisor, person, shadowed, hours, today - timedelta(days=70 - index))
            if stage == "shadowing":
                continue
            if user is not None:
                franchise_services.acknowledge_policy(by=user, partner=partner)
            else:
                franchise_services.acknowledge_policy(by=coordinator, partner=partner, person=person)
            services.transition_person(by=coordinator, person=person, to=MentorStatus.ACTIVE, reason="Ready to mentor.")
            for _ in range(1 if stage == "paused" else 2 if index % 2 == 0 else 1):
                match_number += 1
                proposed = services.create_match(
                    by=coordinator,
                    mentor=person,
                    mentee_ref=f"{PREFIX[slug]}-M-{match_number:04d}",
                    started_on=today - timedelta(days=40 - index),
                )
                # The partner's only coordinator confirms her own proposal.
                services.approve_match(by=coordinator, match=proposed, now=timezone.now() - timedelta(days=40 - index))
            if stage == "paused":
                # A match that ended well before the pause: the mentee reached their goals.
                match = person.matches.get()
                services.end_match(
                    by=coordinator,
                    match=match,
                    outcome=Match.Outcome.GOALS_MET,
                    note="Settled in her own tenancy and back in touch with her family; the goals are met.",
                )
                services.transition_person(
                    by=coordinator,
                    person=person,
                    to=MentorStatus.PAUSED,
                    reason=PAUSE_REASONS[slug],
                    # Northside's review falls today, so its coordinator's home shows a pause review due.
                    review_on=today if slug == "northside" else today + timedelta(days=21),
                )
                world["paused_mentors"][slug].append(person)
            else:
                world["mentors"][slug].append(person)

    world["overdue_mentor"] = world["people"][OVERDUE]


def _log_shadowing(by, mentor, shadowed, hours, first_day):
    """A few sessions of at most four hours, a week apart, from `first_day` on."""
    remaining, day = Decimal(hours), first_day
    while remaining > 0:
        chunk = min(remaining, Decimal("4"))
        services.log_shadowing(
            by=by, mentor=mentor, shadowed=shadowed, date=day, hours=chunk, note="Shadowed the drop-in and a 1:1."
        )
        remaining -= chunk
        day += timedelta(days=7)
