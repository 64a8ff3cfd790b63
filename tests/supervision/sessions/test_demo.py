"""The sessions demo: two peer groups, a month of sessions either side of today, and someone overdue."""

import pytest
from django.utils import timezone

from supervision.models import SessionAttendance, SupervisionGroup, SupervisionSession
from supervision.sessions.compliance import supervision_compliance


@pytest.fixture
def world(demo):
    return demo


def test_the_demo_runs_an_internal_and_an_external_peer_group(world):
    internal, external = world["groups"]["internal"], world["groups"]["external"]

    assert (internal.kind, external.kind) == ("internal", "external")
    assert set(SupervisionGroup.objects.values_list("status", flat=True)) == {"active"}
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
