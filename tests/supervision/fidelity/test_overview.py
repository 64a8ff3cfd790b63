"""The licensor's figures per partner and across partners (supervision.fidelity.overview), without HTTP."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import NotPermitted
from franchise.models import Licence, Role
from supervision.fidelity.overview import incident_figures, last_months, partner_overview, score_figures
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import LicenceFactory
from tests.supervision.factories import BoundaryIncidentFactory, ScoreSnapshotFactory
from tests.supervision.fidelity.test_scorecard import overdue_mentor, supervised_mentor

pytestmark = pytest.mark.django_db


def test_last_months_end_with_this_one_and_cross_the_year():
    assert last_months(date(2026, 2, 17), 4) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_a_partner_shows_the_licence_in_force_before_a_later_draft_or_an_ended_one(licensor):
    partner = PartnerFactory()
    in_force = LicenceFactory(partner=partner)
    LicenceFactory(
        partner=partner,
        draft=True,
        starts_on=in_force.ends_on + timedelta(days=1),
        ends_on=in_force.ends_on + timedelta(days=366),
    )
    LicenceFactory(partner=partner, expired=True)

    (row,) = partner_overview(licensor, partner_ids=[partner.pk])

    assert row.licence == in_force and row.licence.status == Licence.Status.ACTIVE


def test_the_mentor_counts_are_the_scorecards_supervision_coverage(licensor):
    partner = PartnerFactory()
    supervised_mentor(partner)
    overdue_mentor(partner)
    overdue_mentor(partner)

    (row,) = partner_overview(licensor, partner_ids=[partner.pk])

    coverage = row.score.component("supervision_coverage")
    assert (
        (row.active_mentors, row.supervision_overdue)
        == (3, 2)
        == (coverage.denominator, coverage.denominator - coverage.numerator)
    )


def test_a_months_score_is_the_average_of_its_daily_snapshots(licensor):
    partner = PartnerFactory()
    today = timezone.localdate()
    ScoreSnapshotFactory(partner=partner, taken_on=today.replace(day=1), score=70)
    ScoreSnapshotFactory(partner=partner, taken_on=today.replace(day=1) + timedelta(days=1), score=81)

    (row,) = partner_overview(licensor, partner_ids=[partner.pk])

    assert len(row.trend) == 12 and row.trend[-1] == (today.replace(day=1), 76)
    assert all(score is None for _, score in row.trend[:-1])
    assert score_figures(licensor)[-1].average == 76


def test_every_partners_figures_take_the_same_queries_for_one_partner_as_for_five(licensor):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            partner_overview(licensor)
        return len(queries)

    partner = PartnerFactory()
    supervised_mentor(partner)
    BoundaryIncidentFactory(partner=partner)
    measure()  # the licensor's access, read once and kept on the user
    one = measure()
    for _ in range(4):
        other = PartnerFactory()
        overdue_mentor(other)
        BoundaryIncidentFactory(partner=other)

    assert measure() == one


def test_incident_figures_are_for_the_licensor_and_coordinators_only(partner):
    with pytest.raises(NotPermitted):
        incident_figures(user_with_role(Role.MENTOR, partner))

    BoundaryIncidentFactory(partner=partner, severity="high")
    BoundaryIncidentFactory(partner=PartnerFactory(), severity="high")
    figures = incident_figures(user_with_role(Role.COORDINATOR, partner))

    assert figures.total == 1 and dict((value, count) for value, _, count in figures.severities)["high"] == 1
