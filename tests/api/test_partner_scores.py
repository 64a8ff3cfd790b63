"""The scorecard's endpoints: what HTTP adds to supervision.fidelity.scorecard — fields, roles, tenants, errors."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision.fidelity.models import ScorecardWeight, ScoreSnapshot
from supervision.fidelity.scorecard import DEFAULT_WEIGHTS
from tests.factories import PartnerFactory
from tests.franchise.factories import LicenceFactory
from tests.supervision.factories import PersonFactory

pytestmark = pytest.mark.django_db

SCORES = "/api/v1/partner-scores/"
WEIGHTS = "/api/v1/scorecard/weights/"


def history(partner):
    return f"/api/v1/partners/{partner.pk}/score-history/"


def test_a_score_row_has_exactly_the_fields_of_the_contract(client_for, licensor, partner):
    LicenceFactory(partner=partner)
    PersonFactory(partner=partner, active_mentor=True)
    body = client_for(licensor).get(SCORES).json()
    (row,) = body["results"]
    assert set(row) == {"partner", "score", "components", "computed_at"}
    assert row["partner"] == str(partner.pk)
    assert [component["code"] for component in row["components"]] == list(DEFAULT_WEIGHTS)
    licence = next(component for component in row["components"] if component["code"] == "licence")
    assert licence == {"code": "licence", "weight": 10, "value": 100.0, "numerator": 1, "denominator": 1}
    audit = row["components"][-1]
    assert (audit["value"], audit["numerator"], audit["denominator"]) == (None, 0, 0)


def test_the_licensor_sees_every_partner_and_a_coordinator_their_own(
    client_for, licensor, coordinator, partner, other_partner
):
    everyone = client_for(licensor).get(SCORES).json()
    assert {row["partner"] for row in everyone["results"]} == {str(partner.pk), str(other_partner.pk)}
    own = client_for(coordinator).get(SCORES).json()
    assert [row["partner"] for row in own["results"]] == [str(partner.pk)]
    asked_for_other = client_for(coordinator).get(SCORES, {"partner": str(other_partner.pk)}).json()
    assert asked_for_other["results"] == []


def test_a_mentor_lists_no_scores(client_for, mentor_user):
    response = client_for(mentor_user).get(SCORES)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_bad_partner_filter_is_a_400_naming_it(client_for, licensor):
    response = client_for(licensor).get(SCORES, {"partner": "not-an-id"})
    assert response.status_code == 400
    assert "partner" in response.json()


def test_the_score_list_runs_the_same_queries_for_more_partners(
    token_client_for, licensor, partner, django_assert_max_num_queries
):
    client = token_client_for(licensor)
    LicenceFactory(partner=partner)
    PersonFactory(partner=partner, active_mentor=True)
    with CaptureQueriesContext(connection) as few:
        client.get(SCORES)
    for _ in range(4):
        other = PartnerFactory()
        LicenceFactory(partner=other)
        PersonFactory.create_batch(3, partner=other, active_mentor=True)
    with django_assert_max_num_queries(len(few)):
        assert client.get(SCORES).json()["count"] == 5


def test_the_score_history_lists_the_snapshots_as_dates_and_scores(client_for, coordinator, partner):
    today = timezone.localdate()
    ScoreSnapshot.objects.create(partner=partner, taken_on=today - timedelta(days=30), score=70)
    ScoreSnapshot.objects.create(partner=partner, taken_on=today, score=None)
    ScoreSnapshot.objects.create(partner=partner, taken_on=today - timedelta(days=400), score=10)
    response = client_for(coordinator).get(history(partner))
    assert response.status_code == 200
    assert response.json() == [
        {"date": (today - timedelta(days=30)).isoformat(), "score": 70},
        {"date": today.isoformat(), "score": None},
    ]
    since = client_for(coordinator).get(history(partner), {"since": (today - timedelta(days=500)).isoformat()})
    assert len(since.json()) == 3


def test_another_partners_history_is_a_404_and_a_mentors_a_403(client_for, other_coordinator, mentor_user, partner):
    ScoreSnapshot.objects.create(partner=partner, taken_on=timezone.localdate(), score=70)
    assert client_for(other_coordinator).get(history(partner)).status_code == 404
    assert client_for(mentor_user).get(history(partner)).status_code == 403


def test_a_bad_since_is_a_400_naming_it(client_for, licensor, partner):
    response = client_for(licensor).get(history(partner), {"since": "last year"})
    assert response.status_code == 400
    assert "since" in response.json()


def test_the_licensor_changes_a_weight_and_the_scores_follow(client_for, licensor, partner):
    client = client_for(licensor)
    assert client.get(WEIGHTS).json() == DEFAULT_WEIGHTS
    response = client.patch(WEIGHTS, {"audit": 25, "licence": 0}, format="json")
    assert response.status_code == 200
    assert response.json() == {**DEFAULT_WEIGHTS, "audit": 25, "licence": 0}
    (row,) = client.get(SCORES).json()["results"]
    assert {component["code"]: component["weight"] for component in row["components"]}["audit"] == 25


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fees": 5}, "fees"),
        ({"audit": 101}, "audit"),
        ({"audit": "ten"}, "audit"),
        ({"audit": None}, "audit"),
    ],
)
def test_a_bad_weight_is_a_400_naming_the_code_and_changes_nothing(client_for, licensor, body, field):
    response = client_for(licensor).patch(WEIGHTS, {"licence": 20, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ScorecardWeight.objects.exists()


def test_every_weight_at_zero_is_a_400(client_for, licensor):
    response = client_for(licensor).patch(WEIGHTS, dict.fromkeys(DEFAULT_WEIGHTS, 0), format="json")
    assert response.status_code == 400
    assert not ScorecardWeight.objects.exists()


def test_a_coordinator_reads_the_weights_but_may_not_change_them(client_for, coordinator):
    client = client_for(coordinator)
    assert client.get(WEIGHTS).status_code == 200
    assert client.patch(WEIGHTS, {"audit": 20}, format="json").status_code == 403
    assert not ScorecardWeight.objects.exists()
