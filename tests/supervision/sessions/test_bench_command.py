"""The compliance benchmark command: its floors return the rows Tandem returns, it prints them side by side, and it
leaves nothing behind."""

import io

import pytest
from django.core.management import CommandError, call_command

from franchise.models import Membership, Partner, PolicyVersion, User
from supervision.models import Person, PersonTransition, SessionAttendance, SupervisionSession

pytestmark = pytest.mark.django_db


def test_the_benchmark_compares_each_read_with_its_floor_and_deletes_its_world():
    out = io.StringIO()

    call_command("bench_compliance", "--mentors", "40", "--partners", "3", "--repeat", "1", stdout=out)

    report = out.getvalue()
    assert "40 active mentors in 3 partners" in report
    assert "every row: 1 query" in report
    assert "API page (count + 200 rows): 2 queries" in report
    # The floor is only a floor if it answers the same: the same rows and the same states.
    summary = next(line for line in report.splitlines() if line.startswith("every row: 40 rows"))
    states = summary.split("; states ")[1]
    tandem, floor = states.split(", the floor's ")
    assert tandem == floor
    for row in ("compliance, every row, 40 mentors", "compliance, API page", "compliance, ?state=overdue"):
        assert row in report
    assert "Generated data deleted." in report
    for model in (Partner, Person, SupervisionSession, SessionAttendance, PersonTransition, PolicyVersion, Membership):
        assert not model.objects.exists(), model
    assert not User.objects.exists()


def test_the_benchmark_refuses_nonsense_sizes():
    with pytest.raises(CommandError):
        call_command("bench_compliance", "--mentors", "0")
