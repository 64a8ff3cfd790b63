"""Factories of peer groups and supervision sessions: one per model, each a complete valid row from `partner=`.

Rows built here skip the services (no clash check, no rule check): tests of
those rules call the services; factories build the world around them.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from supervision.models import (
    GroupMembership,
    SessionAction,
    SessionAttendance,
    SupervisionAssignment,
    SupervisionGroup,
    SupervisionSeries,
    SupervisionSession,
)
from tests.factories import PartnerFactory
from tests.supervision.factories import PersonFactory


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
