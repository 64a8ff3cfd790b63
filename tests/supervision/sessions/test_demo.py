"""The sessions demo: two peer groups, a month of sessions either side of today, and someone overdue."""

import pytest
from django.utils import timezone

from supervision.models import (
    GroupInvitation,
    SessionAttendance,
    SupervisionGroup,
    SupervisionSession,
    ToolkitProcess,
)
from supervision.sessions.compliance import supervision_compliance


@pytest.fixture
def world(demo):
    return demo


def test_the_demo_runs_an_internal_and_an_external_peer_group(world):
    internal, external = world["groups"]["internal"], world["groups"]["external"]

    assert (internal.kind, external.kind) == ("internal", "external")
    assert (internal.status, external.status) == ("active", "active")
    assert set(SupervisionGroup.objects.values_list("status", flat=True)) == {"active", "forming"}
    partners = set(external.memberships.values_list("person__partner", flat=True))
    assert partners == {world["harbour"].pk, world["northside"].pk}


def test_the_demo_has_a_month_of_past_and_future_sessions_with_attendance(world):
    now = timezone.now()
    sessions = SupervisionSession.objects.all()

    for kind in ("one_to_one", "group"):
        assert sessions.filter(kind=kind, status="held", starts_at__lt=now).exists()
        assert sessions.filter(kind=kind, status="scheduled", starts_at__gt=now).exists()
    assert not sessions.filter(status="scheduled", starts_at__lt=now).exists()
    assert sessions.filter(status="cancelled").exists()
    assert SessionAttendance.objects.filter(attendance="apologies").exists()
    assert not SessionAttendance.objects.filter(session__status="held", attendance="").exists()


def test_the_demo_shows_someone_overdue(world):
    overdue = supervision_compliance().filter(state="overdue")

    assert world["overdue_mentor"].pk in set(overdue.values_list("pk", flat=True))
    assert supervision_compliance().exclude(state="overdue").exists()


def test_the_demo_mentor_has_an_invitation_to_a_forming_group_to_answer(world):
    forming = world["groups"]["forming"]

    [invitation] = GroupInvitation.objects.filter(status="pending")
    assert invitation.group == forming
    assert invitation.person.user.email == "mentor@northside.example"
    assert forming.status == "forming"
    assert forming.memberships.count() == 2


def test_the_demo_group_sessions_follow_a_process_of_the_partners_toolkit(world):
    review = world["toolkit"]["northside"]["Peer case review"]
    sessions = SupervisionSession.objects.filter(group=world["groups"]["internal"])

    assert ToolkitProcess.objects.filter(partner=world["northside"]).count() == 3
    assert sessions.filter(status="held", process=review, toolkit_process="Peer case review").exists()
    assert sessions.filter(status="scheduled", process=review).exists()
