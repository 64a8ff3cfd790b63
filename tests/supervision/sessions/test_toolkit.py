"""The peer-supervision toolkit, without HTTP: a partner's library of timed processes, the process a group session
names, and the record keeping which process ran."""

import pytest

from core.errors import Invalid, NotFound, NotPermitted
from franchise.models import Role
from supervision.models import SupervisionSession, ToolkitProcess
from supervision.sessions import services
from tests.factories import MembershipFactory
from tests.supervision.factories import SupervisionSessionFactory, ToolkitProcessFactory
from tests.supervision.sessions.helpers import days_from_now, person_of

pytestmark = pytest.mark.django_db

STEPS = [
    {"title": "Presenter describes", "minutes": 5},
    {"title": "Silent reflection", "minutes": 3},
    {"title": "Group offers questions, not advice", "minutes": 10},
]


def test_a_coordinator_adds_a_process_of_timed_steps_to_the_toolkit(partner, coordinator):
    process = services.create_process(
        by=coordinator, partner=partner, name=" Peer case review ", purpose="Think a situation through.", steps=STEPS
    )

    process.refresh_from_db()
    assert process.name == "Peer case review"
    assert process.steps == STEPS
    assert process.total_minutes == 18


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one step"),
        ([{"title": "", "minutes": 5}], "Step 1 needs a title"),
        ([{"title": "Round", "minutes": 5}, {"title": "Reflection", "minutes": 0}], "Step 2 lasts from 1 to 240"),
        ([{"title": "Round", "minutes": "5"}], "Step 1 lasts"),
        (["Round"], "Step 1 needs a title"),
    ],
)
def test_steps_without_a_title_or_a_sensible_time_are_refused(partner, coordinator, steps, message):
    with pytest.raises(Invalid) as excinfo:
        services.create_process(by=coordinator, partner=partner, name="Check-in", steps=steps)

    assert excinfo.value.field == "steps"
    assert message in excinfo.value.message
    assert not ToolkitProcess.objects.exists()


def test_two_processes_of_one_toolkit_have_different_names(partner, coordinator):
    ToolkitProcessFactory(partner=partner, name="Check-in round")

    with pytest.raises(Invalid) as excinfo:
        services.create_process(by=coordinator, partner=partner, name="check-in ROUND", steps=STEPS)

    assert excinfo.value.code == "name_taken"


def test_only_the_partners_coordinators_keep_the_toolkit(partner, supervisor, mentor_user, other_coordinator):
    process = ToolkitProcessFactory(partner=partner)

    for who in (supervisor, mentor_user):
        with pytest.raises(NotPermitted):
            services.create_process(by=who, partner=partner, name="Mine", steps=STEPS)
        with pytest.raises(NotPermitted):
            services.update_process(by=who, process=process, name="Renamed")
    with pytest.raises(NotFound):
        services.delete_process(by=other_coordinator, process=process)

    assert ToolkitProcess.objects.get().name == process.name


def _login_for(person):
    """Give an existing member a login holding the mentor role in their partner."""
    membership = MembershipFactory(partner=person.partner, role=Role.MENTOR)
    person.user = membership.user
    person.save(update_fields=["user"])
    return membership.user


@pytest.fixture
def group_session(partner):
    return SupervisionSessionFactory(partner=partner, group_session=True, starts_at=days_from_now(3, 18))


def test_a_group_session_is_booked_naming_its_process(partner, coordinator):
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")
    group = SupervisionSessionFactory(partner=partner, group_session=True).group

    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind=SupervisionSession.Kind.GROUP,
        group=group,
        starts_at=days_from_now(10, 18),
        ends_at=days_from_now(10, 19),
        process=process,
    )

    assert session.process == process
    assert session.toolkit_process == "Peer case review"


def test_the_facilitator_chooses_the_process_of_their_session(partner, group_session):
    services.rotate_facilitators(group_session.group)
    group_session.refresh_from_db()
    facilitator = group_session.facilitator
    user = _login_for(facilitator)
    process = ToolkitProcessFactory(partner=partner, name="Silent reflection first")

    services.choose_process(by=user, session=group_session, process=process)

    group_session.refresh_from_db()
    assert group_session.process == process
    assert group_session.toolkit_process == "Silent reflection first"


def test_a_member_who_is_not_facilitating_cannot_choose_the_process(partner, group_session):
    services.rotate_facilitators(group_session.group)
    group_session.refresh_from_db()
    other = group_session.group.memberships.exclude(person=group_session.facilitator).first().person
    user = _login_for(other)

    with pytest.raises(NotPermitted):
        services.choose_process(by=user, session=group_session, process=ToolkitProcessFactory(partner=partner))

    group_session.refresh_from_db()
    assert group_session.process is None


def test_a_process_of_another_partners_toolkit_is_refused(partner, other_partner, coordinator, group_session):
    with pytest.raises(Invalid) as excinfo:
        services.choose_process(
            by=coordinator, session=group_session, process=ToolkitProcessFactory(partner=other_partner)
        )

    assert excinfo.value.field == "process"


def test_the_record_keeps_which_process_ran_even_after_it_is_renamed(partner, coordinator):
    session = SupervisionSessionFactory(partner=partner, group_session=True, starts_at=days_from_now(-1, 18))
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")

    services.record_session(by=coordinator, session=session, status="held", process=process)
    services.update_process(by=coordinator, process=process, name="Case review, the long form")

    session.refresh_from_db()
    assert session.process == process
    assert session.toolkit_process == "Peer case review"


def test_a_process_sessions_have_used_stays_in_the_toolkit(partner, coordinator):
    used = ToolkitProcessFactory(partner=partner)
    SupervisionSessionFactory(partner=partner, group_session=True, process=used)
    unused = ToolkitProcessFactory(partner=partner)

    with pytest.raises(Invalid) as excinfo:
        services.delete_process(by=coordinator, process=used)
    services.delete_process(by=coordinator, process=unused)

    assert excinfo.value.code == "process_in_use"
    assert list(ToolkitProcess.objects.all()) == [used]


def test_the_supervisor_of_a_1_to_1_may_also_follow_a_process(partner, supervisor):
    own = person_of(supervisor, partner, staff=False)
    session = SupervisionSessionFactory(partner=partner, supervisor=own)
    process = ToolkitProcessFactory(partner=partner)

    services.choose_process(by=supervisor, session=session, process=process)

    session.refresh_from_db()
    assert session.process == process
