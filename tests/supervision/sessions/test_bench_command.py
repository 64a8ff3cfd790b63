"""The compliance benchmark command: it reports the query count and leaves nothing behind."""

import io

import pytest
from django.core.management import CommandError, call_command

from franchise.models import Partner
from supervision.models import Person, SupervisionSession

pytestmark = pytest.mark.django_db


def test_the_benchmark_reports_one_query_for_every_row_and_rolls_its_data_back():
    out = io.StringIO()

    call_command("bench_compliance", "--mentors", "40", "--partners", "3", "--repeat", "1", stdout=out)

    report = out.getvalue()
    assert "40 active mentors in 3 partners" in report
    assert "every row: 1 query, result 40" in report
    assert "API page (count + 200 rows): 2 queries" in report
    assert "rolled back" in report
    assert not Partner.objects.exists()
    assert not Person.objects.exists()
    assert not SupervisionSession.objects.exists()


def test_the_benchmark_refuses_nonsense_sizes():
    with pytest.raises(CommandError):
        call_command("bench_compliance", "--mentors", "0")
