"""Many accreditations' standings at once: the same figures as one standing, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from franchise import services as franchise_services
from tests.factories import PartnerFactory
from tests.franchise.factories import ProgrammeFactory
from tests.training.factories import CourseFactory, CPDRecordFactory, TrainerAccreditationFactory
from training import rules

pytestmark = pytest.mark.django_db


def test_each_standing_counts_its_own_trainers_deliveries_and_cpd():
    programme = ProgrammeFactory()
    done, short, candidate = (
        TrainerAccreditationFactory(programme=programme),
        TrainerAccreditationFactory(programme=programme),
        TrainerAccreditationFactory(programme=programme, candidate=True),
    )
    CourseFactory(partner=done.partner, programme=programme, lead_trainer=done.person, completed=True)
    CourseFactory(
        partner=short.partner, programme=programme, lead_trainer=short.person, co_trainers=[done.person], completed=True
    )
    CPDRecordFactory(partner=done.partner, person=done.person, hours=Decimal("6.5"))
    CPDRecordFactory(partner=short.partner, person=short.person, hours=Decimal("1.25"))

    found = rules.standings([done, short, candidate])

    assert (found[done.pk].deliveries, found[done.pk].cpd_hours, found[done.pk].met) == (2, Decimal("6.5"), True)
    assert [item.code for item in found[short.pk].missing] == ["cpd_hours_short"]
    assert found[short.pk].cpd_hours == Decimal("1.25")
    assert not found[candidate.pk].applies and found[candidate.pk].met
    for accreditation in (done, short, candidate):
        one, many = rules.standing(accreditation), found[accreditation.pk]
        assert (one.deliveries, one.cpd_hours, [m.message for m in one.missing]) == (
            many.deliveries,
            many.cpd_hours,
            [m.message for m in many.missing],
        )


def test_the_requirements_are_the_licensors(licensor):
    accreditation = TrainerAccreditationFactory()
    CPDRecordFactory(partner=accreditation.partner, person=accreditation.person, hours=Decimal("4"))
    franchise_services.update_baseline(by=licensor, changes={"cpd_hours_required_per_period": 4})

    assert [item.code for item in rules.standing(accreditation).missing] == ["deliveries_short"]


def test_standings_take_the_same_queries_for_more_partners_and_trainers():
    def queries():
        accreditations = list(type(first).objects.all())
        with CaptureQueriesContext(connection) as captured:
            rules.standings(accreditations)
        return len(captured)

    first = TrainerAccreditationFactory()
    rules.standings([first])  # the first read of the baseline creates its row
    few = queries()
    for _ in range(3):
        other = TrainerAccreditationFactory(partner=PartnerFactory())
        CPDRecordFactory(partner=other.partner, person=other.person)

    assert queries() == few
