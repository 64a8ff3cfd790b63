"""The scorecard benchmark command: it reports the table's time and query count beside its floor, the floor
agrees with the scorecard's counts, and it leaves nothing behind."""

import io

import pytest
from django.core.management import CommandError, call_command

from franchise.models import Licence, Partner, PolicyAcknowledgement, Programme, User
from supervision.fidelity.models import Audit, AuditTemplate
from supervision.models import BoundaryIncident, Person
from training.models import TrainerAccreditation

pytestmark = pytest.mark.django_db


def test_the_benchmark_times_every_partners_score_and_deletes_its_world():
    out = io.StringIO()

    call_command("bench_scorecard", "--mentors", "40", "--partners", "3", "--repeat", "1", stdout=out)

    report = out.getvalue()
    assert "40 active mentors in 3 partners" in report
    assert "every partner's score: 3 partners, " in report
    assert "the mentors' counts agree with the floor" in report
    assert "scorecard, 3 partners, 40 mentors" in report
    assert "goal < 2 s" in report
    assert "Generated data deleted." in report
    for model in (Partner, Person, Licence, PolicyAcknowledgement, BoundaryIncident, TrainerAccreditation, Audit):
        assert not model.objects.exists(), model
    assert not AuditTemplate.objects.exists() and not Programme.objects.exists()
    assert not User.objects.exists()


def test_the_benchmark_refuses_nonsense_sizes():
    with pytest.raises(CommandError):
        call_command("bench_scorecard", "--partners", "0")
