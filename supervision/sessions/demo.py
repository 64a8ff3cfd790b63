"""Demo data for peer groups and supervision sessions, after supervision.people.demo (people).

- Northside runs an internal peer group (weekly, Tuesday evenings) of four
  trained mentors and one in her shadowing stage; Harbour hosts an external one
  (fortnightly, Thursdays) that Northside's coordinator put one of her mentors
  forward for.
- Each partner's coordinator assigns its supervisor to its active mentors (who
  supervises whom), and the supervisor holds monthly 1:1s with them: one
  held a few weeks ago (recorded, some confirmed by the mentor), the next ones
  booked as a series; one future session is cancelled. The mentors who sign in have one older record
  still to confirm, and their next 1:1 moved rooms (a reminder tells them).
- About a month of group sessions either side of today: the past ones recorded
  with attendance, the facilitator rotating.
- world["overdue_mentor"] was last supervised long ago, so the compliance view
  shows someone overdue.
- Each partner keeps a toolkit of three peer-supervision processes; the group
  sessions follow "Peer case review" (booked naming it, recorded keeping it).
- Northside is forming a lunchtime group: two mentors have signed opt-ins, and
  the demo mentor (mentor@northside.example) has an invitation to answer from
  her home page.

Everything goes through the services, so clashes, group rules and consent are
checked as they would be over the API.

Fills: world["groups"] {"internal": group, "external": group, "forming": group}, world["one_to_one_series"]
[series], world["toolkit"] {slug: {name: ToolkitProcess}}.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from franchise.models import Role
from supervision.models import MentorStatus, Person, SupervisionGroup, SupervisionSession
from supervision.sessions import services
from supervision.sessions.assignments import assign_supervisor
from supervision.sessions.recurrence import zone


def _at(partner, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=zone(partner.time_zone))


def _previous(day, weekday):
    """The last `weekday` (0 = Monday) strictly before `day`."""
    return day - timedelta(days=(day.weekday() - weekday - 1) % 7 + 1)


# (name, purpose, [(step, minutes)]): processes peer-supervision groups commonly follow, in our own words.
TOOLKIT = [
    (
        "Peer case review",
        "One member brings a situation from their mentoring; the group helps them think it through without "
        "taking it over.",
        [
            ("Presenter describes the situation", 5),
            ("Silent reflection", 3),
            ("Group offers questions, not advice", 10),
            ("Presenter says what they will take away", 5),
        ],
    ),
    (
        "Check-in round",
        "Everyone is heard before the group goes deeper: how the weeks since the last session have been.",
        [("Each member checks in, uninterrupted", 15), ("Themes the group noticed", 5)],
    ),
    (
        "Goldfish bowl",
        "Two members talk a dilemma through while the others listen, then the listeners reflect back.",
        [
            ("Two members discuss the dilemma", 10),
            ("Listeners note what they heard", 3),
            ("Listeners reflect back, without judging", 10),
        ],
    ),
]


def _toolkit(coordinator, partner):
    return {
        name: services.create_process(
            by=coordinator,
            partner=partner,
            name=name,
            purpose=purpose,
            steps=[{"title": title, "minutes": minutes} for title, minutes in steps],
        )
        for name, purpose, steps in TOOLKIT
    }


def seed(world):
    today = timezone.localdate()
    northside, harbour = world["northside"], world["harbour"]
    coordinators = {slug: world["staff"][(slug, Role.COORDINATOR)] for slug in ("northside", "harbour")}
    world["toolkit"] = {
        slug: _toolkit(coordinators[slug], partner)
        for slug, partner in (("northside", northside), ("harbour", harbour))
    }
    supervisors = {slug: world["staff_people"][(slug, Role.SUPERVISOR)] for slug in ("northside", "harbour")}
    overdue = world["overdue_mentor"]
    active = {slug: [p for p in world["mentors"][slug] if p.pk != overdue.pk] for slug in ("northside", "harbour")}
    shadowing = list(Person.objects.filter(partner=northside, mentor_status=MentorStatus.SHADOWING).order_by("name"))

    # --- peer groups ----------------------------------------------------------------------
    internal = services.create_group(
        by=coordinators["northside"],
        partner=northside,
        name="Tuesday evening peer group",
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    opted_in = timezone.now() - timedelta(days=45)
    for person in active["northside"] + shadowing[:1]:
        services.add_member(by=coordinators["northside"], group=internal, person=person, opted_in_at=opted_in)
    internal = services.activate_group(by=coordinators["northside"], group=internal)

    external = services.create_group(
        by=coordinators["harbour"],
        partner=harbour,
        name="Cross-partner peer group",
        kind=SupervisionGroup.Kind.EXTERNAL,
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        guest_partners=[northside],
    )
    for person in active["harbour"]:
        services.add_member(by=coordinators["harbour"], group=external, person=person, opted_in_at=opted_in)
    # Northside's coordinator puts one of her own mentors forward: that is her consent as the member's partner.
    services.add_member(
        by=coordinators["northside"], group=external, person=active["northside"][0], opted_in_at=opted_in
    )
    external = services.activate_group(by=coordinators["harbour"], group=external)

    # Forming: two signed opt-ins on paper, and an invitation the demo mentor answers from her home page.
    forming = services.create_group(
        by=coordinators["northside"],
        partner=northside,
        name="Wednesday lunchtime peer group",
        rrule="FREQ=MONTHLY;BYDAY=2WE",
    )
    demo_mentor = next(person for person in active["northside"] if person.user_id is not None)
    for person in [p for p in active["northside"] if p.pk != demo_mentor.pk][:2]:
        services.add_member(
            by=coordinators["northside"], group=forming, person=person, opted_in_at=timezone.now() - timedelta(days=6)
        )
    services.invite_member(by=coordinators["northside"], group=forming, person=demo_mentor)
    world["groups"] = {"internal": internal, "external": external, "forming": forming}

    # --- group sessions: about a month either side of today -------------------------------------
    first_tuesday = _previous(today, 1) - timedelta(weeks=3)
    _series_with_records(
        world,
        by=coordinators["northside"],
        partner=northside,
        group=internal,
        rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=8",
        starts_at=_at(northside, first_tuesday, 18),
        minutes=90,
        location="Group room, Northside Women's Centre",
        apologies_every=3,
        process=world["toolkit"]["northside"]["Peer case review"],
    )
    first_thursday = _previous(today, 3) - timedelta(weeks=4)
    _series_with_records(
        world,
        by=coordinators["harbour"],
        partner=harbour,
        group=external,
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;COUNT=4",
        starts_at=_at(harbour, first_thursday, 17),
        minutes=90,
        location="Online: the partners' shared video room",
        apologies_every=2,
        process=world["toolkit"]["harbour"]["Peer case review"],
    )

    # --- 1:1 supervision ---------------------------------------------------------------------
    world["one_to_one_series"] = []
    for slug, partner in (("northside", northside), ("harbour", harbour)):
        supervisor = supervisors[slug]
        coordinator = coordinators[slug]
        for index, mentee in enumerate(world["mentors"][slug]):
            hour = 10 + index * 2
            # Who supervises whom is the coordinator's decision, made before the first 1:1 of the demo.
            assign_supervisor(
                by=coordinator,
                partner=partner,
                supervisor=supervisor,
                supervisee=mentee,
                starts_on=today - timedelta(days=90),
            )
            if mentee.pk == overdue.pk:
                # Last supervised six weeks ago, nothing booked since: overdue under Northside's 28 days.
                _held_one_to_one(coordinator, partner, supervisor, mentee, today - timedelta(days=44), hour)
                continue
            held = _held_one_to_one(coordinator, partner, supervisor, mentee, today - timedelta(days=12 + index), hour)
            if index == 0 and mentee.user_id is not None:
                services.confirm_session(by=mentee.user, session=held, comment="A fair record, thank you.")
                # An older record the mentor has not confirmed yet: their home asks them to.
                _held_one_to_one(coordinator, partner, supervisor, mentee, today - timedelta(days=40), hour)
            first = today + timedelta(days=7 + index)
            series, sessions = services.schedule_series(
                by=coordinator,
                partner=partner,
                rrule="FREQ=WEEKLY;INTERVAL=4;COUNT=3",
                kind=SupervisionSession.Kind.ONE_TO_ONE,
                supervisor=supervisor,
                supervisee=mentee,
                starts_at=_at(partner, first, hour),
                ends_at=_at(partner, first, hour) + timedelta(hours=1),
                location="Supervision room" if slug == "northside" else "Harbour office, room 3",
            )
            world["one_to_one_series"].append(series)
            if index == 0:
                _one_to_one_this_week(coordinator, partner, supervisor, mentee, today)
            if index == 0 and mentee.user_id is not None:
                # The next 1:1 changed rooms: the mentor who signs in has a reminder saying so.
                services.reschedule_session(by=coordinator, session=sessions[0], location="Quiet room, first floor")
        # One booked session called off, to show a cancellation in the calendars.
        cancelled = world["one_to_one_series"][-1].sessions.order_by("starts_at").first()
        services.cancel_session(by=coordinator, session=cancelled, reason="Supervisor on leave that week.")


def _one_to_one_this_week(coordinator, partner, supervisor, mentee, today):
    """The supervisor's calendar opens on this week: one 1:1 in the days left of it (held, if already past)."""
    day = today + timedelta(days=1) if today.weekday() < 6 else today
    starts_at = _at(partner, day, 15)
    if starts_at <= timezone.now():
        return _held_one_to_one(coordinator, partner, supervisor, mentee, day, 15)
    return services.schedule_session(
        by=coordinator,
        partner=partner,
        kind=SupervisionSession.Kind.ONE_TO_ONE,
        supervisor=supervisor,
        supervisee=mentee,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        location="Supervision room",
    )


def _held_one_to_one(coordinator, partner, supervisor, mentee, day, hour):
    starts_at = _at(partner, day, hour)
    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind=SupervisionSession.Kind.ONE_TO_ONE,
        supervisor=supervisor,
        supervisee=mentee,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        location="Supervision room",
    )
    return services.record_session(
        by=coordinator,
        session=session,
        status=SupervisionSession.Status.HELD,
        notes="Reviewed the match's goals and how contact is going; talked through keeping to agreed hours.",
        toolkit_process="Reflective cycle",
        actions=[
            {
                "owner": mentee.pk,
                "description": "Agree a check-in plan with the mentee for the next month.",
                "due_on": day + timedelta(days=14),
            }
        ],
    )


def _series_with_records(world, *, by, partner, group, rrule, starts_at, minutes, location, apologies_every, process):
    _series, sessions = services.schedule_series(
        by=by,
        partner=partner,
        rrule=rrule,
        kind=SupervisionSession.Kind.GROUP,
        group=group,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        location=location,
        process=process,
    )
    now = timezone.now()
    for number, session in enumerate(sessions):
        if session.starts_at > now:
            continue
        invitees = list(session.attendances.order_by("person__name").values_list("person_id", flat=True))
        attendance = [
            {"person": person_id, "attendance": "apologies"}
            for position, person_id in enumerate(invitees)
            if (position + number) % (apologies_every * len(invitees)) == 0
        ]
        services.record_session(
            by=by,
            session=session,
            status=SupervisionSession.Status.HELD,
            attendance=attendance,
            notes="Case discussion and a check-in round.",
            process=process,
        )
