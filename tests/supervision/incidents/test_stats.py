"""Fidelity figures: counts per partner, month, category and severity, computed in one grouped query."""

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import NotPermitted
from franchise.models import Role
from supervision.incidents.stats import incident_stats, stats_scope
from supervision.models import BoundaryIncident
from tests.factories import user_with_role
from tests.supervision.factories import BoundaryIncidentFactory


def _rows(incidents=None, now=None):
    return list(incident_stats(incidents if incidents is not None else BoundaryIncident.objects.all(), now=now))


def test_incidents_are_counted_per_partner_month_category_and_severity(partner, other_partner):
    march = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    april = dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC)
    for _ in range(2):
        BoundaryIncidentFactory(partner=partner, occurred_at=march, severity="high")
    BoundaryIncidentFactory(partner=partner, occurred_at=march, severity="low")
    BoundaryIncidentFactory(partner=partner, occurred_at=april, severity="high")
    BoundaryIncidentFactory(partner=other_partner, occurred_at=march, severity="high")

    counts = {(r["partner"], r["month"], r["category"], r["severity"]): r["count"] for r in _rows()}

    assert counts == {
        (partner.pk, dt.date(2026, 3, 1), "contact", "high"): 2,
        (partner.pk, dt.date(2026, 3, 1), "contact", "low"): 1,
        (partner.pk, dt.date(2026, 4, 1), "contact", "high"): 1,
        (other_partner.pk, dt.date(2026, 3, 1), "contact", "high"): 1,
    }


def test_the_month_is_the_project_time_zones(partner, settings):
    assert settings.TIME_ZONE == "Europe/London"
    # 23:30 UTC on 31 March is half past midnight on 1 April in London (summer time).
    BoundaryIncidentFactory(partner=partner, occurred_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    assert [row["month"] for row in _rows()] == [dt.date(2026, 4, 1)]


def test_the_figures_are_one_grouped_query_whatever_the_number_of_incidents(partner, django_assert_num_queries):
    for severity in ("low", "medium", "high", "critical"):
        BoundaryIncidentFactory.create_batch(3, partner=partner, severity=severity)
    with django_assert_num_queries(1):
        rows = _rows()
    assert sum(row["count"] for row in rows) == 12


def test_the_share_reviewed_within_the_deadline(partner):
    now = timezone.now()
    common = {"partner": partner, "occurred_at": now - timedelta(days=20), "severity": "high"}
    BoundaryIncidentFactory(**common, review_due_at=now - timedelta(days=5), reviewed_at=now - timedelta(days=6))
    BoundaryIncidentFactory(**common, review_due_at=now - timedelta(days=5), reviewed_at=now - timedelta(days=4))
    BoundaryIncidentFactory(**common, review_due_at=now - timedelta(days=1))  # overdue, not reviewed
    BoundaryIncidentFactory(**common, review_due_at=now + timedelta(days=1))  # not due yet

    [row] = _rows(now=now)

    assert (row["count"], row["review_due"], row["reviewed_on_time"]) == (4, 3, 1)
    assert row["reviewed_on_time_share"] == pytest.approx(1 / 3)


def test_the_share_is_empty_while_no_review_is_due(partner):
    BoundaryIncidentFactory(partner=partner)
    [row] = _rows()
    assert (row["review_due"], row["reviewed_on_time_share"]) == (0, None)


def test_the_figures_carry_no_description_and_no_person(partner):
    BoundaryIncidentFactory(partner=partner)
    [row] = _rows()
    assert set(row) == {
        "partner",
        "month",
        "category",
        "severity",
        "count",
        "review_due",
        "reviewed_on_time",
        "reviewed_on_time_share",
    }


def test_the_licensor_counts_every_partners_incidents_escalated_or_not(partner, other_partner, licensor):
    BoundaryIncidentFactory(partner=partner)
    BoundaryIncidentFactory(partner=other_partner)
    assert stats_scope(licensor).count() == 2


def test_a_coordinator_counts_their_own_partners_incidents(partner, other_partner, coordinator):
    ours = BoundaryIncidentFactory(partner=partner)
    BoundaryIncidentFactory(partner=other_partner)
    assert list(stats_scope(coordinator)) == [ours]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.SUPERVISOR, Role.MENTOR])
def test_other_roles_get_no_figures(role, partner):
    with pytest.raises(NotPermitted):
        stats_scope(user_with_role(role, partner))
