"""Factories of the supervision app: one per model, sensible defaults, traits for states.

Every partner-owned model builds a complete, valid row from `partner=` alone.
Rows built here skip the services (no clash, rule, role or workflow check, no
access log): tests of those call the services; factories build the world
around them. One section per sub-domain: people, sessions, incidents.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from franchise.models import BoundaryRule, Role
from supervision.models import (
    Audit,
    AuditAnswer,
    AuditQuestion,
    AuditSection,
    AuditTemplate,
    BoundaryIncident,
    ContactRecord,
    CorrectiveAction,
    GroupInvitation,
    GroupMembership,
    IncidentAccess,
    IncidentAction,
    IncidentDiscussion,
    IncidentTransition,
    Match,
    MatchGoal,
    MatchingTag,
    MentorConflict,
    MentorProfile,
    MentorStatus,
    Person,
    PersonTransition,
    ScoreSnapshot,
    SessionAction,
    SessionAttendance,
    ShadowingLog,
    SupervisionAssignment,
    SupervisionGroup,
    SupervisionSeries,
    SupervisionSession,
    ToolkitProcess,
)
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

# tests.franchise.factories imports PersonFactory from here, so its BoundaryRuleFactory is named by path
# (factory_boy imports it when first used) rather than imported, which would be circular.
BOUNDARY_RULE_FACTORY = "tests.franchise.factories.BoundaryRuleFactory"


# People ------------------------------------------------------------------------------------------------


def _days_ago(days):
    return factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=days))


class PersonFactory(factory.django.DjangoModelFactory):
    """A person off the mentor pathway (no status). Traits: applicant, in_training, shadowing, trained,
    active_mentor, paused, exited, staff (a supervisor with a login), with_user."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    user = None

    class Params:
        with_user = factory.Trait(
            user=factory.SubFactory(
                UserFactory, email=factory.SelfAttribute("..email"), name=factory.SelfAttribute("..name")
            )
        )
        staff_role = Role.SUPERVISOR
        # A member of staff who may be shadowed: a login holding a staff role in the partner.
        staff = factory.Trait(
            with_user=True,
            staff_membership=factory.RelatedFactory(
                MembershipFactory,
                factory_related_name="",
                user=factory.SelfAttribute("..user"),
                partner=factory.SelfAttribute("..partner"),
                role=factory.SelfAttribute("..staff_role"),
            ),
        )
        trained = factory.Trait(prior_learning_on=_days_ago(90))
        applicant = factory.Trait(mentor_status=MentorStatus.APPLICANT)
        in_training = factory.Trait(mentor_status=MentorStatus.IN_TRAINING)
        shadowing = factory.Trait(mentor_status=MentorStatus.SHADOWING, trained=True)
        # Meets the requirements that live on the row (trained, background check). Shadowing hours,
        # the policy acknowledgement and the licence are other rows: see tests.supervision.people.helpers.
        active_mentor = factory.Trait(
            mentor_status=MentorStatus.ACTIVE, trained=True, background_check_on=_days_ago(60)
        )
        paused = factory.Trait(
            active_mentor=True,
            mentor_status=MentorStatus.PAUSED,
            pause_reason="Moving house; back in a month.",
            pause_review_on=factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30)),
        )
        exited = factory.Trait(mentor_status=MentorStatus.EXITED)


class PersonTransitionFactory(factory.django.DjangoModelFactory):
    """The first step of a pathway: registered as an applicant."""

    class Meta:
        model = PersonTransition

    partner = factory.SubFactory(PartnerFactory)
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), applicant=True)
    from_status = None
    to_status = MentorStatus.APPLICANT
    reason = "Registered."


class ShadowingLogFactory(factory.django.DjangoModelFactory):
    """Three hours a week ago, a mentor in the shadowing stage with a supervisor of the same partner."""

    class Meta:
        model = ShadowingLog

    partner = factory.SubFactory(PartnerFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), shadowing=True)
    shadowed = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), staff=True)
    date = _days_ago(7)
    hours = Decimal("3.00")
    note = "Sat in on drop-in sessions."


class MatchFactory(factory.django.DjangoModelFactory):
    """An active match of an active mentor, started a month ago. Trait: ended."""

    class Meta:
        model = Match

    partner = factory.SubFactory(PartnerFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    mentee_ref = factory.Sequence(lambda n: f"M-{n:04d}")
    status = Match.Status.ACTIVE
    started_on = _days_ago(30)

    class Params:
        ended = factory.Trait(
            status=Match.Status.ENDED,
            ended_on=_days_ago(2),
            outcome=Match.Outcome.GOALS_MET,
            outcome_note="Settled in the new flat; the goals we set are met.",
        )


# Mentoring ---------------------------------------------------------------------------------------------


class MatchGoalFactory(factory.django.DjangoModelFactory):
    """A goal agreed on an active match of the partner."""

    class Meta:
        model = MatchGoal

    partner = factory.SubFactory(PartnerFactory)
    match = factory.SubFactory(MatchFactory, partner=factory.SelfAttribute("..partner"))
    text = "Register with a GP near the new flat"
    status = MatchGoal.Status.AGREED


class ContactRecordFactory(factory.django.DjangoModelFactory):
    """An hour in person three days ago on an active match, recorded by its mentor, no concern. Trait: concern.
    `goals=[...]` sets the goals touched."""

    class Meta:
        model = ContactRecord
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    match = factory.SubFactory(MatchFactory, partner=factory.SelfAttribute("..partner"))
    date = _days_ago(3)
    duration_minutes = 60
    mode = ContactRecord.Mode.IN_PERSON
    place = "The café by the library"
    summary = "Practised the phone call to the housing office; she wants to make it herself next week."
    concern = False

    class Params:
        concern_flagged = factory.Trait(concern=True)

    @factory.post_generation
    def goals(record, create, extracted, **kwargs):
        if create and extracted:
            record.goals.set(extracted)


class MatchingTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchingTag
        django_get_or_create = ("partner", "name")

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"need {n}")


class MentorProfileFactory(factory.django.DjangoModelFactory):
    """An active mentor who speaks English, in the town centre, free on weekday evenings. `tags=[...]` sets the
    tags they offer."""

    class Meta:
        model = MentorProfile
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    languages = factory.LazyFunction(lambda: ["English"])
    area = "Town centre"
    availability = factory.LazyFunction(lambda: ["weekday_evenings"])

    @factory.post_generation
    def tags(profile, create, extracted, **kwargs):
        if create and extracted:
            profile.tags.set(extracted)


class MentorConflictFactory(factory.django.DjangoModelFactory):
    """A mentor's declared conflict with a mentee's reference."""

    class Meta:
        model = MentorConflict

    partner = factory.SubFactory(PartnerFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    mentee_ref = factory.Sequence(lambda n: f"C-{n:04d}")
    description = "My former partner's sister."


# Sessions and peer groups -----------------------------------------------------------------------------


def _hour(days, hour=10):
    """Today + `days`, at `hour` o'clock local time."""
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


class SupervisionGroupFactory(factory.django.DjangoModelFactory):
    """A forming internal group. `members=n` adds n consented, trained active mentors. Traits: active, closed,
    external."""

    class Meta:
        model = SupervisionGroup
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Peer group {n}")
    kind = SupervisionGroup.Kind.INTERNAL
    status = SupervisionGroup.Status.FORMING
    rrule = "FREQ=MONTHLY;BYDAY=1TU"

    class Params:
        active = factory.Trait(status=SupervisionGroup.Status.ACTIVE, activated_at=factory.LazyFunction(timezone.now))
        closed = factory.Trait(status=SupervisionGroup.Status.CLOSED, closed_at=factory.LazyFunction(timezone.now))
        external = factory.Trait(kind=SupervisionGroup.Kind.EXTERNAL)

    @factory.post_generation
    def members(group, create, extracted, **kwargs):
        if not create or not extracted:
            return
        people = (
            extracted
            if isinstance(extracted, (list, tuple))
            else [PersonFactory(partner=group.partner, active_mentor=True) for _ in range(extracted)]
        )
        for person in people:
            GroupMembershipFactory(partner=group.partner, group=group, person=person)


class GroupMembershipFactory(factory.django.DjangoModelFactory):
    """A consented member (a trained active mentor of the group's partner) who opted in a month ago. Trait:
    pending (awaiting their coordinator's consent)."""

    class Meta:
        model = GroupMembership

    partner = factory.SubFactory(PartnerFactory)
    group = factory.SubFactory(SupervisionGroupFactory, partner=factory.SelfAttribute("..partner"))
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    opted_in_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    consented_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))

    class Params:
        pending = factory.Trait(consented_at=None)


class GroupInvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation of a trained active mentor to a forming group of their partner."""

    class Meta:
        model = GroupInvitation

    partner = factory.SubFactory(PartnerFactory)
    group = factory.SubFactory(SupervisionGroupFactory, partner=factory.SelfAttribute("..partner"))
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    status = GroupInvitation.Status.PENDING


PEER_CASE_REVIEW_STEPS = [
    {"title": "Presenter describes the situation", "minutes": 5},
    {"title": "Silent reflection", "minutes": 3},
    {"title": "Group offers questions, not advice", "minutes": 10},
]


class ToolkitProcessFactory(factory.django.DjangoModelFactory):
    """A three-step process of the partner's toolkit (17 minutes in all)."""

    class Meta:
        model = ToolkitProcess

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Peer case review {n}")
    purpose = "One member brings a situation; the group helps them think it through."
    steps = factory.LazyFunction(lambda: [dict(step) for step in PEER_CASE_REVIEW_STEPS])


class SupervisionSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionSeries

    partner = factory.SubFactory(PartnerFactory)
    rrule = "FREQ=WEEKLY;COUNT=4"
    dtstart = factory.LazyFunction(lambda: _hour(7))
    time_zone = factory.LazyAttribute(lambda o: o.partner.time_zone)
    duration = timedelta(hours=1)


class SupervisionSessionFactory(factory.django.DjangoModelFactory):
    """A scheduled 1:1 in two days, 10:00–11:00, a supervisor (with a login) and an active mentor, both invited.

    Traits: held (last week, both present), cancelled, group (a session of an active group of 4, every member
    invited). `attendees=False` leaves the invitations out.
    """

    class Meta:
        model = SupervisionSession
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    kind = SupervisionSession.Kind.ONE_TO_ONE
    supervisor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), staff=True)
    supervisee = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    group = None
    starts_at = factory.LazyFunction(lambda: _hour(2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    location = "Room 2, the centre"
    status = SupervisionSession.Status.SCHEDULED

    class Params:
        held = factory.Trait(
            starts_at=factory.LazyFunction(lambda: _hour(-7)),
            status=SupervisionSession.Status.HELD,
            recorded_at=factory.LazyFunction(timezone.now),
            notes="Talked through a difficult ending with a mentee.",
        )
        cancelled = factory.Trait(
            status=SupervisionSession.Status.CANCELLED, cancelled_at=factory.LazyFunction(timezone.now), sequence=1
        )
        group_session = factory.Trait(
            kind=SupervisionSession.Kind.GROUP,
            supervisor=None,
            supervisee=None,
            group=factory.SubFactory(
                SupervisionGroupFactory, partner=factory.SelfAttribute("..partner"), active=True, members=4
            ),
        )

    @factory.post_generation
    def attendees(session, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        if session.kind == SupervisionSession.Kind.GROUP:
            people = [m.person for m in session.group.memberships.filter(consented_at__isnull=False)]
        else:
            people = [session.supervisor, session.supervisee]
        attendance = SessionAttendance.Attendance.PRESENT if session.status == "held" else ""
        for person in people:
            SessionAttendanceFactory(partner=session.partner, session=session, person=person, attendance=attendance)


class SessionAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionAttendance

    partner = factory.SubFactory(PartnerFactory)
    session = factory.SubFactory(SupervisionSessionFactory, partner=factory.SelfAttribute("..partner"), attendees=False)
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    attendance = ""


class SessionActionFactory(factory.django.DjangoModelFactory):
    """An open action of a held 1:1's supervisee, due in a fortnight."""

    class Meta:
        model = SessionAction

    partner = factory.SubFactory(PartnerFactory)
    session = factory.SubFactory(SupervisionSessionFactory, partner=factory.SelfAttribute("..partner"), held=True)
    owner = factory.LazyAttribute(lambda o: o.session.supervisee)
    description = "Read the lone-working guidance before the next visit."
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class SupervisionAssignmentFactory(factory.django.DjangoModelFactory):
    """A supervisor (staff) assigned to an active mentor of the same partner since a month ago, open-ended.
    Trait: ended (it stopped yesterday)."""

    class Meta:
        model = SupervisionAssignment

    partner = factory.SubFactory(PartnerFactory)
    supervisor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), staff=True)
    supervisee = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = None

    class Params:
        ended = factory.Trait(ends_on=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1)))


# Boundary incidents ------------------------------------------------------------------------------------


IncidentStatus = BoundaryIncident.Status


def _ago(**delta):
    return factory.LazyFunction(lambda: timezone.now() - timedelta(**delta))


class BoundaryIncidentFactory(factory.django.DjangoModelFactory):
    """A medium-severity incident about an active mentor, reported two days after it occurred and not yet
    reviewed, under a contact rule of the partner's own. Traits: under_review, action_agreed, escalated,
    closed, critical, safeguarding."""

    class Meta:
        model = BoundaryIncident

    partner = factory.SubFactory(PartnerFactory)
    reporter = factory.SubFactory(UserFactory)
    mentor = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"), active_mentor=True)
    match = None
    rule = factory.SubFactory(BOUNDARY_RULE_FACTORY, partner=factory.SelfAttribute("..partner"))
    category = factory.LazyAttribute(lambda o: o.rule.category)
    severity = BoundaryIncident.Severity.MEDIUM
    occurred_at = _ago(days=2)
    description = "Texted the mentee from a personal phone late in the evening after a session ran over."
    immediate_action = "Mentor reminded to use the project phone only; number to be blocked."
    status = IncidentStatus.REPORTED
    review_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=168))

    class Params:
        under_review = factory.Trait(status=IncidentStatus.UNDER_REVIEW, reviewed_at=_ago(hours=1))
        action_agreed = factory.Trait(status=IncidentStatus.ACTION_AGREED, reviewed_at=_ago(hours=2))
        escalated = factory.Trait(
            status=IncidentStatus.ESCALATED, reviewed_at=_ago(hours=1), escalated_at=_ago(hours=1)
        )
        closed = factory.Trait(status=IncidentStatus.CLOSED, reviewed_at=_ago(hours=3), closed_at=_ago(hours=1))
        critical = factory.Trait(severity=BoundaryIncident.Severity.CRITICAL)
        safeguarding = factory.Trait(
            rule=factory.SubFactory(
                BOUNDARY_RULE_FACTORY,
                partner=factory.SelfAttribute("..partner"),
                category=BoundaryRule.Category.SAFEGUARDING,
                title="Safeguarding concerns are passed on the same day",
            )
        )


class IncidentTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentTransition

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(
        BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"), under_review=True
    )
    from_status = IncidentStatus.REPORTED
    to_status = IncidentStatus.UNDER_REVIEW
    by = factory.SubFactory(UserFactory)
    note = "Coordinator has spoken to the mentor."


class IncidentActionFactory(factory.django.DjangoModelFactory):
    """An open action owned by the incident's mentor, due in a fortnight. Traits: done, dropped."""

    class Meta:
        model = IncidentAction

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(
        BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"), action_agreed=True
    )
    owner = factory.LazyAttribute(lambda o: o.incident.mentor)
    description = "Refresher on the contact rules with the coordinator."
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))

    class Params:
        done = factory.Trait(done_at=factory.LazyFunction(timezone.now))
        dropped = factory.Trait(dropped_at=factory.LazyFunction(timezone.now), drop_note="The match has ended.")


class IncidentDiscussionFactory(factory.django.DjangoModelFactory):
    """A reflective note from a held 1:1 of the incident's mentor."""

    class Meta:
        model = IncidentDiscussion

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(
        BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"), under_review=True
    )
    session = factory.SubFactory(
        SupervisionSessionFactory,
        partner=factory.SelfAttribute("..partner"),
        supervisee=factory.SelfAttribute("..incident.mentor"),
        held=True,
    )
    note = "Talked about why the late text felt like helping, and what to do next time a session runs over."


class IncidentAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentAccess

    partner = factory.SubFactory(PartnerFactory)
    incident = factory.SubFactory(BoundaryIncidentFactory, partner=factory.SelfAttribute("..partner"))
    user = factory.SubFactory(UserFactory)
    action = IncidentAccess.Action.READ


# Fidelity ---------------------------------------------------------------------------------------------


class AuditTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditTemplate

    name = factory.Sequence(lambda n: f"Fidelity audit {n}")


class AuditSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditSection

    template = factory.SubFactory(AuditTemplateFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    position = factory.Sequence(int)


class AuditQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditQuestion

    section = factory.SubFactory(AuditSectionFactory)
    code = factory.Sequence(lambda n: f"Q-{n}")
    text = "Is every active mentor supervised within the policy's interval?"
    weight = 1
    position = factory.Sequence(int)


class AuditFactory(factory.django.DjangoModelFactory):
    """Scheduled in a fortnight, by visit. Trait: completed (held a month ago, scored 80)."""

    class Meta:
        model = Audit

    partner = factory.SubFactory(PartnerFactory)
    template = factory.SubFactory(AuditTemplateFactory)
    scheduled_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    mode = Audit.Mode.VISIT

    class Params:
        completed = factory.Trait(
            status=Audit.Status.COMPLETED,
            scheduled_on=_days_ago(30),
            held_on=_days_ago(30),
            score=80,
            completed_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=30)),
        )


class AuditAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditAnswer

    partner = factory.SubFactory(PartnerFactory)
    audit = factory.SubFactory(AuditFactory, partner=factory.SelfAttribute("..partner"))
    question = factory.SubFactory(AuditQuestionFactory, section__template=factory.SelfAttribute("...audit.template"))
    answer = AuditAnswer.Answer.MET
    evidence = "Supervision log for the last quarter seen."


class CorrectiveActionFactory(factory.django.DjangoModelFactory):
    """Open, due in a month, after a `partly` answer. Trait: overdue (due a week ago)."""

    class Meta:
        model = CorrectiveAction

    partner = factory.SubFactory(PartnerFactory)
    audit = factory.SubFactory(AuditFactory, partner=factory.SelfAttribute("..partner"), completed=True)
    question = factory.SubFactory(AuditQuestionFactory, section__template=factory.SelfAttribute("...audit.template"))
    description = "Book the overdue 1:1 supervision sessions and keep the log up to date."
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))

    class Params:
        overdue = factory.Trait(due_on=_days_ago(7))


class ScoreSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoreSnapshot

    partner = factory.SubFactory(PartnerFactory)
    taken_on = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=n))
    score = 82
    components = factory.LazyFunction(list)
