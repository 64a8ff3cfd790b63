"""The partner scorecard on hand-built worlds: each component moves when its records do."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted
from franchise import policy_fields
from franchise.models import Role
from supervision.fidelity.models import AuditAnswer, CorrectiveAction, ScorecardWeight, ScoreSnapshot
from supervision.fidelity.scorecard import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    partner_scores,
    score_history,
    set_weights,
    take_snapshots,
    weights,
)
from supervision.models import SessionAttendance
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import LicenceFactory, PolicyVersionFactory
from tests.supervision.factories import (
    AuditAnswerFactory,
    AuditFactory,
    AuditQuestionFactory,
    BoundaryIncidentFactory,
    CorrectiveActionFactory,
    PersonFactory,
    SupervisionSessionFactory,
)
from tests.supervision.people.helpers import acknowledge
from tests.training.factories import CourseFactory, CPDRecordFactory, TrainerAccreditationFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def supervised_mentor(partner, days_ago=7):
    """An active mentor who attended a held 1:1 `days_ago` days ago."""
    mentor = PersonFactory(partner=partner, active_mentor=True)
    starts_at = timezone.now() - timedelta(days=days_ago)
    session = SupervisionSessionFactory(
        partner=partner, supervisee=mentor, held=True, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )
    assert SessionAttendance.objects.filter(session=session, person=mentor, attendance="present").exists()
    return mentor


def overdue_mentor(partner):
    """An active mentor last supervised well past the default interval."""
    return supervised_mentor(partner, days_ago=200)


def current_trainer(partner):
    """An accredited trainer who delivered a course and logged the CPD hours of the period."""
    accreditation = TrainerAccreditationFactory(partner=partner)
    CourseFactory(partner=partner, programme=accreditation.programme, lead_trainer=accreditation.person, completed=True)
    CPDRecordFactory(partner=partner, person=accreditation.person, hours=Decimal("6"), date=_today())
    return accreditation


def set_policy(partner, **values):
    PolicyVersionFactory(partner=partner, values={**policy_fields.defaults(), **values})


def score_of(partner, user=None):
    user = user or user_with_role(Role.LICENSOR_ADMIN)
    (score,) = partner_scores(user, partner_ids=[partner.pk])
    return score


@pytest.fixture
def licensor_user(db):
    return user_with_role(Role.LICENSOR_ADMIN)


@pytest.fixture
def world(partner):
    """A partner scoring 100 on every component: two supervised mentors who acknowledged the policy, an
    incident reviewed on time, a current trainer, a licence in force for the year and a perfect audit."""
    PolicyVersionFactory(partner=partner)
    mentors = [supervised_mentor(partner) for _ in range(2)]
    for mentor in mentors:
        acknowledge(mentor)
    BoundaryIncidentFactory(partner=partner, mentor=mentors[0], under_review=True)
    current_trainer(partner)
    LicenceFactory(partner=partner)
    AuditAnswerFactory(partner=partner, audit=AuditFactory(partner=partner, completed=True), question__weight=4)
    return partner


def test_the_components_come_in_order_with_their_default_weights(world, licensor_user):
    score = score_of(world, licensor_user)
    assert [component.code for component in score.components] == [code for code, _label, _weight in COMPONENTS]
    assert [component.weight for component in score.components] == [30, 20, 15, 15, 10, 10]
    assert all(component.value == 100.0 for component in score.components)
    assert score.score == 100


def test_a_mentor_becoming_overdue_lowers_supervision_coverage_and_the_score(world, licensor_user):
    before = score_of(world, licensor_user)
    acknowledge(overdue_mentor(world))
    after = score_of(world, licensor_user)
    coverage = after.component("supervision_coverage")
    assert (coverage.numerator, coverage.denominator, coverage.value) == (2, 3, 66.7)
    assert after.score < before.score
    # 30 of 100 at two thirds: 100 − 10.
    assert after.score == 90


def incident(partner, **fields):
    """An incident about a mentor of `partner` who is not an active mentor (so the mentor counts stay put)."""
    return BoundaryIncidentFactory(partner=partner, mentor=PersonFactory(partner=partner, paused=True), **fields)


def test_an_incident_reviewed_late_lowers_incident_timeliness(world, licensor_user):
    incident(
        world,
        review_due_at=timezone.now() - timedelta(days=2),
        reviewed_at=timezone.now() - timedelta(days=1),
        status="under_review",
    )
    timeliness = score_of(world, licensor_user).component("incident_timeliness")
    assert (timeliness.numerator, timeliness.denominator, timeliness.value) == (1, 2, 50.0)


def test_an_unreviewed_incident_counts_only_once_its_deadline_has_passed(world, licensor_user):
    waiting = incident(world)
    timeliness = score_of(world, licensor_user).component("incident_timeliness")
    assert (timeliness.numerator, timeliness.denominator) == (1, 1)
    waiting.review_due_at = timezone.now() - timedelta(hours=1)
    waiting.save()
    timeliness = score_of(world, licensor_user).component("incident_timeliness")
    assert (timeliness.numerator, timeliness.denominator) == (1, 2)


def test_incidents_older_than_ninety_days_are_left_out(world, licensor_user):
    incident(
        world,
        occurred_at=timezone.now() - timedelta(days=91),
        review_due_at=timezone.now() - timedelta(days=85),
    )
    timeliness = score_of(world, licensor_user).component("incident_timeliness")
    assert (timeliness.numerator, timeliness.denominator) == (1, 1)


def test_a_new_policy_version_lowers_policy_acknowledgement_until_acknowledged(world, licensor_user):
    PolicyVersionFactory(partner=world)
    acknowledgement = score_of(world, licensor_user).component("policy_acknowledgement")
    assert (acknowledgement.numerator, acknowledgement.denominator, acknowledgement.value) == (0, 2, 0.0)


def test_trainer_currency_counts_standing_and_lapse(world, licensor_user):
    # Accredited, but no delivery and no CPD in the period yet.
    TrainerAccreditationFactory(partner=world)
    TrainerAccreditationFactory(partner=world, lapsed=True)
    # Candidates and co-trainers are not accredited trainers yet.
    TrainerAccreditationFactory(partner=world, co_trainer=True)
    currency = score_of(world, licensor_user).component("trainer_currency")
    assert (currency.numerator, currency.denominator, currency.value) == (1, 3, 33.3)


def test_a_course_co_taught_is_a_delivery_once(world, licensor_user):
    co_trainer = TrainerAccreditationFactory(partner=world)
    CPDRecordFactory(partner=world, person=co_trainer.person, hours=Decimal("6"), date=_today())
    lead = PersonFactory(partner=world)
    CourseFactory(
        partner=world,
        programme=co_trainer.programme,
        lead_trainer=lead,
        co_trainers=[co_trainer.person],
        completed=True,
    )
    # Led and co-taught at once is still one delivery.
    CourseFactory(
        partner=world,
        programme=co_trainer.programme,
        lead_trainer=co_trainer.person,
        co_trainers=[co_trainer.person],
        completed=True,
    )
    set_policy(world, deliveries_required_per_period=2)
    currency = score_of(world, licensor_user).component("trainer_currency")
    assert (currency.numerator, currency.denominator) == (1, 2)
    set_policy(world, deliveries_required_per_period=3)
    currency = score_of(world, licensor_user).component("trainer_currency")
    assert (currency.numerator, currency.denominator) == (0, 2)


def test_a_licence_ending_within_thirty_days_scores_nothing_unless_renewed(partner, licensor_user):
    ending = LicenceFactory(partner=partner, ends_on=_today() + timedelta(days=30))
    assert score_of(partner, licensor_user).component("licence").numerator == 0
    LicenceFactory(partner=partner, programme=ending.programme, starts_on=ending.ends_on + timedelta(days=1))
    licence = score_of(partner, licensor_user).component("licence")
    assert (licence.numerator, licence.denominator, licence.value) == (1, 1, 100.0)


def test_a_suspended_licence_scores_nothing(partner, licensor_user):
    LicenceFactory(partner=partner, suspended=True)
    assert score_of(partner, licensor_user).component("licence").value == 0.0


def test_a_partner_never_audited_is_scored_over_the_other_components(world, licensor_user):
    AuditFactory._meta.model.objects.filter(partner=world).delete()
    acknowledge(overdue_mentor(world))
    score = score_of(world, licensor_user)
    audit = score.component("audit")
    assert (audit.value, audit.numerator, audit.denominator) == (None, 0, 0)
    # Coverage at two thirds over the 90 points present: (20 + 20 + 15 + 15 + 10) / 90.
    assert score.score == round(80 / 90 * 100)


def test_no_component_present_means_no_score(partner, licensor_user):
    set_weights(licensor_user, {"licence": 0, "supervision_coverage": 10})
    score = score_of(partner, licensor_user)
    assert score.score is None


def test_an_overdue_corrective_action_lowers_the_audit_and_an_accepted_one_raises_it(world, licensor_user):
    audit = AuditFactory._meta.model.objects.get(partner=world)
    question = AuditQuestionFactory(section__template=audit.template, weight=4)
    AuditAnswerFactory(partner=world, audit=audit, question=question, answer=AuditAnswer.Answer.PARTLY)
    assert score_of(world, licensor_user).component("audit").value == 75.0
    action = CorrectiveActionFactory(partner=world, audit=audit, question=question, overdue=True)
    assert score_of(world, licensor_user).component("audit").value == 50.0
    action.status = CorrectiveAction.Status.ACCEPTED
    action.save()
    assert score_of(world, licensor_user).component("audit").value == 100.0


def test_weights_change_the_score(world, licensor_user):
    acknowledge(overdue_mentor(world))
    set_weights(licensor_user, {"supervision_coverage": 0})
    score = score_of(world, licensor_user)
    assert score.component("supervision_coverage").weight == 0
    assert score.score == 100


def test_weights_default_until_the_licensor_sets_them(licensor_user):
    assert weights() == DEFAULT_WEIGHTS
    assert set_weights(licensor_user, {"audit": 25})["audit"] == 25
    assert weights() == {**DEFAULT_WEIGHTS, "audit": 25}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"fees": 10}, "unknown_component"),
        ({"audit": 101}, "invalid_weight"),
        ({"audit": -1}, "invalid_weight"),
        ({"audit": 2.5}, "invalid_weight"),
        ({"audit": "10"}, "invalid_weight"),
        ({"audit": True}, "invalid_weight"),
        (dict.fromkeys(DEFAULT_WEIGHTS, 0), "all_weights_zero"),
    ],
)
def test_bad_weights_are_refused_and_nothing_is_written(licensor_user, changes, code):
    with pytest.raises(Invalid) as refused:
        set_weights(licensor_user, {"licence": 40, **changes})
    assert refused.value.code == code
    assert not ScorecardWeight.objects.exists()


def test_only_the_licensor_sets_weights(coordinator):
    with pytest.raises(NotPermitted):
        set_weights(coordinator, {"audit": 20})
    assert not ScorecardWeight.objects.exists()


def test_a_coordinator_reads_their_own_partner_and_a_mentor_reads_none(
    partner, other_partner, coordinator, mentor_user
):
    assert [score.partner_id for score in partner_scores(coordinator)] == [partner.pk]
    assert partner_scores(coordinator, partner_ids=[other_partner.pk]) == []
    assert partner_scores(mentor_user) == []


def test_the_licensor_reads_every_partner(partner, other_partner, licensor_user):
    assert {score.partner_id for score in partner_scores(licensor_user)} == {partner.pk, other_partner.pk}


def _queries(user):
    with CaptureQueriesContext(connection) as captured:
        partner_scores(user)
    return len(captured.captured_queries)


def test_the_query_count_is_the_same_for_one_partner_and_for_five(licensor_user):
    world_of(PartnerFactory(), mentors=1)
    partner_scores(licensor_user)  # the caller's memberships, read once per request
    one = _queries(licensor_user)
    for mentors in (2, 3, 5, 8):
        world_of(PartnerFactory(), mentors=mentors)
    assert _queries(licensor_user) == one


def world_of(partner, mentors):
    PolicyVersionFactory(partner=partner)
    LicenceFactory(partner=partner)
    for n in range(mentors):
        mentor = supervised_mentor(partner) if n % 2 else overdue_mentor(partner)
        acknowledge(mentor)
    BoundaryIncidentFactory(partner=partner, under_review=True)
    current_trainer(partner)
    AuditAnswerFactory(partner=partner, audit=AuditFactory(partner=partner, completed=True))


def test_snapshots_are_taken_once_a_day(world, other_partner):
    assert take_snapshots() == 2
    assert take_snapshots() == 0
    snapshot = ScoreSnapshot.objects.get(partner=world)
    assert (snapshot.taken_on, snapshot.score) == (_today(), 100)
    assert [component["code"] for component in snapshot.components] == list(DEFAULT_WEIGHTS)
    assert take_snapshots(on=_today() - timedelta(days=1)) == 2
    assert ScoreSnapshot.objects.count() == 4


def test_score_history_is_the_last_twelve_months(world, coordinator, licensor_user):
    ScoreSnapshot.objects.create(partner=world, taken_on=_today() - timedelta(days=400), score=40)
    ScoreSnapshot.objects.create(partner=world, taken_on=_today() - timedelta(days=200), score=60)
    take_snapshots()
    assert score_history(coordinator, world) == [(_today() - timedelta(days=200), 60), (_today(), 100)]
    assert len(score_history(licensor_user, world, since=_today() - timedelta(days=500))) == 3


def test_score_history_of_another_partner_is_not_found(world, other_coordinator, mentor_user):
    with pytest.raises(NotFound):
        score_history(other_coordinator, world)
    with pytest.raises(NotPermitted):
        score_history(mentor_user, world)


def test_the_demo_shows_a_years_trend_ending_with_todays_real_score(demo):
    licensor = demo["licensor"]
    for score in partner_scores(licensor):
        trend = score_history(licensor, score.partner_id)
        assert len(trend) == 13
        assert trend[-1] == (_today(), score.score)
        assert trend[0][0] <= _today() - timedelta(days=360)


def test_the_daily_task_stores_the_days_snapshots_once(world, settings):
    from supervision.tasks import take_score_snapshots

    assert settings.CELERY_BEAT_SCHEDULE["take-score-snapshots"]["task"] == take_score_snapshots.name
    assert take_score_snapshots() == 1
    assert take_score_snapshots() == 0
    assert ScoreSnapshot.objects.get(partner=world).score == 100
