"""Train-the-trainer: granting, promotion on evidence, sign-off, standing, renewal and lapse."""

from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from core.errors import IllegalTransition, Invalid, NotPermitted, RuleNotMet
from franchise import services as franchise_services
from tests.franchise.factories import ProgrammeFactory
from tests.supervision.factories import PersonFactory
from tests.training.factories import (
    CourseFactory,
    CourseSessionFactory,
    CPDRecordFactory,
    EnrolmentFactory,
    TeachingRecordFactory,
    TrainerAccreditationFactory,
)
from training import rules, services
from training.models import AccreditationEvent, TeachingRecord, TrainerAccreditation

TODAY = timezone.localdate()


def unmet_codes(excinfo):
    return [item.code for item in excinfo.value.unmet]


# --- granting ---------------------------------------------------------------------------


def test_the_licensor_grants_any_stage_for_the_validity_period(licensor, partner, programme):
    person = PersonFactory(partner=partner)

    accreditation = services.grant_accreditation(
        by=licensor, person=person, programme=programme, stage="trainer_of_trainers"
    )

    assert (accreditation.partner, accreditation.stage, accreditation.status) == (
        partner,
        "trainer_of_trainers",
        "active",
    )
    assert accreditation.expires_on == TODAY + relativedelta(months=24)
    assert accreditation.events.get().kind == "granted"


def test_the_validity_period_is_the_licensors_setting(licensor, partner, programme):
    franchise_services.update_baseline(by=licensor, changes={"accreditation_validity_months": 12})

    accreditation = services.grant_accreditation(
        by=licensor, person=PersonFactory(partner=partner), programme=programme
    )

    assert accreditation.expires_on == TODAY + relativedelta(months=12)


def test_a_coordinator_does_not_grant(coordinator, partner, programme):
    with pytest.raises(NotPermitted):
        services.grant_accreditation(by=coordinator, person=PersonFactory(partner=partner), programme=programme)
    assert not TrainerAccreditation.objects.exists()


def test_a_person_holds_one_accreditation_per_programme(licensor, lead, programme):
    with pytest.raises(Invalid) as refused:
        services.grant_accreditation(by=licensor, person=lead, programme=programme)
    assert refused.value.code == "already_accredited"


# --- candidate -> co_trainer ------------------------------------------------------------


@pytest.fixture
def candidate(partner, programme):
    return TrainerAccreditationFactory(partner=partner, programme=programme, candidate=True)


def test_a_candidate_without_a_passed_enrolment_stays_a_candidate(coordinator, partner, candidate):
    # Passing another programme's course is not evidence for this one.
    EnrolmentFactory(partner=partner, learner=candidate.person, passed=True)

    with pytest.raises(RuleNotMet) as refused:
        services.promote_accreditation(by=coordinator, accreditation=candidate)

    assert unmet_codes(refused) == ["no_passed_enrolment"]
    candidate.refresh_from_db()
    assert candidate.stage == "candidate"


def test_a_candidate_who_passed_the_programme_becomes_a_co_trainer(coordinator, partner, programme, candidate):
    course = CourseFactory(partner=partner, programme=programme, completed=True)
    EnrolmentFactory(partner=partner, course=course, learner=candidate.person, passed=True)

    promoted = services.promote_accreditation(by=coordinator, accreditation=candidate)

    assert (promoted.stage, promoted.granted_on, promoted.granted_by) == ("co_trainer", TODAY, coordinator)
    assert promoted.expires_on == TODAY + relativedelta(months=24)
    assert promoted.events.filter(kind="promoted").count() == 1


def test_a_trainer_does_not_promote_even_their_own_accreditation(trainer, partner, programme):
    accreditation = TrainerAccreditationFactory(
        partner=partner, programme=programme, candidate=True, person=PersonFactory(partner=partner, user=trainer)
    )

    with pytest.raises(NotPermitted):
        services.promote_accreditation(by=trainer, accreditation=accreditation)


# --- co_trainer -> accredited_trainer ---------------------------------------------------


@pytest.fixture
def taught_course(partner, programme, lead, co):
    return CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], completed=True)


def co_taught(co, course, signer, *, observed=False, count=1):
    records = []
    for _ in range(count):
        session = CourseSessionFactory(partner=course.partner, course=course)
        records.append(
            TeachingRecordFactory(
                partner=course.partner,
                session=session,
                person=co,
                role="co",
                observed=observed,
                signed_off_by=signer,
                signed_off_at=timezone.now() if signer else None,
            )
        )
    return records


def co_accreditation(co):
    return TrainerAccreditation.objects.get(person=co)


def test_a_co_trainer_without_evidence_is_told_everything_missing(coordinator, co):
    with pytest.raises(RuleNotMet) as refused:
        services.promote_accreditation(by=coordinator, accreditation=co_accreditation(co))

    assert unmet_codes(refused) == ["co_taught_sessions_short", "observed_delivery_missing"]


def test_unsigned_co_taught_sessions_do_not_count(coordinator, co, lead, taught_course):
    co_taught(co, taught_course, lead, count=1)
    co_taught(co, taught_course, None, count=3)
    co_taught(co, taught_course, lead, observed=True)

    with pytest.raises(RuleNotMet) as refused:
        services.promote_accreditation(by=coordinator, accreditation=co_accreditation(co))

    assert unmet_codes(refused) == ["co_taught_sessions_short"]
    assert refused.value.unmet[0].message.startswith("1 of the 2")


def test_co_teaching_on_another_programme_does_not_count(coordinator, partner, co, lead):
    other = CourseFactory(partner=partner, programme=ProgrammeFactory(), lead_trainer=lead, completed=True)
    co_taught(co, other, lead, count=2)
    co_taught(co, other, lead, observed=True)

    with pytest.raises(RuleNotMet) as refused:
        services.promote_accreditation(by=coordinator, accreditation=co_accreditation(co))
    assert unmet_codes(refused) == ["co_taught_sessions_short", "observed_delivery_missing"]


def test_with_the_sessions_and_an_observed_delivery_a_co_trainer_is_accredited(coordinator, co, lead, taught_course):
    co_taught(co, taught_course, lead, count=2)
    co_taught(co, taught_course, lead, observed=True)

    assert services.promote_accreditation(by=coordinator, accreditation=co_accreditation(co)).stage == (
        "accredited_trainer"
    )


def test_the_number_of_co_taught_sessions_is_the_licensors_setting(licensor, coordinator, co, lead, taught_course):
    franchise_services.update_baseline(by=licensor, changes={"co_taught_sessions_required": 3})
    co_taught(co, taught_course, lead, count=2)
    co_taught(co, taught_course, lead, observed=True)

    with pytest.raises(RuleNotMet) as refused:
        services.promote_accreditation(by=coordinator, accreditation=co_accreditation(co))
    assert refused.value.unmet[0].message.startswith("2 of the 3")


def test_an_inactive_accreditation_is_not_promoted(coordinator, partner, programme):
    accreditation = TrainerAccreditationFactory(partner=partner, programme=programme, candidate=True, suspended=True)

    with pytest.raises(RuleNotMet) as refused:
        services.promote_accreditation(by=coordinator, accreditation=accreditation)
    assert "accreditation_not_active" in unmet_codes(refused)


# --- accredited_trainer -> trainer_of_trainers ------------------------------------------


def test_becoming_a_trainer_of_trainers_is_the_licensors_decision(coordinator, licensor, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)

    with pytest.raises(NotPermitted):
        services.promote_accreditation(by=coordinator, accreditation=accreditation)
    assert services.promote_accreditation(by=licensor, accreditation=accreditation).stage == "trainer_of_trainers"

    with pytest.raises(Invalid) as refused:
        services.promote_accreditation(by=licensor, accreditation=accreditation)
    assert refused.value.code == "highest_stage"


# --- teaching records and sign-off ------------------------------------------------------


def test_a_co_trainer_logs_their_session_and_the_role_comes_from_the_course(co_user, co, partner, taught_course):
    session = CourseSessionFactory(partner=partner, course=taught_course)

    record = services.log_teaching(by=co_user, session=session)

    assert (record.person, record.role, record.signed_off_at) == (co, "co", None)


def test_someone_outside_the_course_team_has_no_teaching_to_log(verifier_user, verifier, partner, taught_course):
    session = CourseSessionFactory(partner=partner, course=taught_course)

    with pytest.raises(Invalid) as refused:
        services.log_teaching(by=verifier_user, session=session)
    assert refused.value.code == "not_course_trainer"


def test_teaching_is_logged_after_the_session(co_user, co, partner, course):
    session = CourseSessionFactory(partner=partner, course=course)

    with pytest.raises(Invalid) as refused:
        services.log_teaching(by=co_user, session=session)
    assert refused.value.code == "session_ahead"


def test_an_accredited_trainer_signs_off_a_co_taught_session(trainer, lead, co, taught_course):
    (record,) = co_taught(co, taught_course, None)

    signed = services.sign_off_teaching(by=trainer, record=record)

    assert signed.signed_off_by == lead and signed.signed_off_at is not None


def test_a_co_trainer_does_not_sign_off_anyones_teaching(co_user, co, partner, programme, lead, taught_course):
    other = PersonFactory(partner=partner)
    TrainerAccreditationFactory(partner=partner, person=other, programme=programme, co_trainer=True)
    (record,) = co_taught(other, taught_course, None)

    with pytest.raises(NotPermitted) as refused:
        services.sign_off_teaching(by=co_user, record=record)
    assert refused.value.code == "signer_stage"


def test_an_observed_delivery_needs_a_trainer_of_trainers(trainer, lead, co, partner, programme, taught_course):
    (record,) = co_taught(co, taught_course, None, observed=True)
    with pytest.raises(NotPermitted):
        services.sign_off_teaching(by=trainer, record=record)

    TrainerAccreditation.objects.filter(person=lead).update(stage="trainer_of_trainers")
    assert services.sign_off_teaching(by=trainer, record=record).signed_off_by == lead


def test_nobody_signs_off_their_own_teaching(trainer, lead, partner, taught_course):
    record = TeachingRecordFactory(partner=partner, session=CourseSessionFactory(partner=partner, course=taught_course))

    with pytest.raises(NotPermitted) as refused:
        services.sign_off_teaching(by=trainer, record=record)
    assert refused.value.code == "own_record"
    assert TeachingRecord.objects.get(pk=record.pk).signed_off_at is None


# --- standing, renewal, lapse -----------------------------------------------------------


def test_standing_counts_deliveries_and_cpd_hours_in_the_current_period(partner, programme, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)
    CourseFactory(partner=partner, programme=programme, lead_trainer=lead, completed=True)
    CourseFactory(partner=partner, programme=programme, lead_trainer=lead, running=True)  # not delivered yet
    CPDRecordFactory(partner=partner, person=lead, hours=Decimal("2.5"))
    CPDRecordFactory(partner=partner, person=lead, date=accreditation.period_starts_on - timedelta(days=1))

    standing = rules.standing(accreditation)

    assert (standing.deliveries, standing.cpd_hours) == (1, Decimal("2.5"))
    assert [item.code for item in standing.missing] == ["cpd_hours_short"]


def test_co_teaching_a_completed_course_is_a_delivery(partner, programme, lead, verifier):
    CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[verifier], completed=True)
    CPDRecordFactory(partner=partner, person=verifier, hours=Decimal("6"))

    standing = rules.standing(TrainerAccreditation.objects.get(person=verifier))

    assert standing.met and standing.deliveries == 1


def test_a_trainer_with_nothing_done_misses_both_requirements(lead):
    standing = rules.standing(TrainerAccreditation.objects.get(person=lead))

    assert [item.code for item in standing.missing] == ["deliveries_short", "cpd_hours_short"]
    assert (standing.deliveries_required, standing.cpd_hours_required) == (1, 6)


def test_renewal_extends_by_the_validity_period_when_the_standing_is_met(coordinator, partner, programme, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)
    old_expiry = accreditation.expires_on
    CourseFactory(partner=partner, programme=programme, lead_trainer=lead, completed=True)
    CPDRecordFactory(partner=partner, person=lead, hours=Decimal("6"))

    renewed = services.renew_accreditation(by=coordinator, accreditation=accreditation)

    assert (renewed.period_starts_on, renewed.expires_on) == (old_expiry, old_expiry + relativedelta(months=24))
    assert renewed.events.filter(kind="renewed").exists()


def test_renewal_without_the_standing_lists_what_is_missing_and_changes_nothing(coordinator, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)
    expiry = accreditation.expires_on

    with pytest.raises(RuleNotMet) as refused:
        services.renew_accreditation(by=coordinator, accreditation=accreditation)

    assert unmet_codes(refused) == ["deliveries_short", "cpd_hours_short"]
    accreditation.refresh_from_db()
    assert accreditation.expires_on == expiry


def test_a_lapsed_accreditation_with_its_standing_met_is_renewed_to_active(coordinator, partner, programme):
    person = PersonFactory(partner=partner)
    granted = TODAY - timedelta(days=740)
    accreditation = TrainerAccreditationFactory(
        partner=partner, person=person, programme=programme, lapsed=True, granted_on=granted
    )
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=person, completed=True)
    course.starts_on, course.ends_on = granted + timedelta(days=100), granted + timedelta(days=120)
    course.save()
    CPDRecordFactory(partner=partner, person=person, hours=Decimal("6"), date=granted + timedelta(days=200))

    renewed = services.renew_accreditation(by=coordinator, accreditation=accreditation)

    assert renewed.status == "active" and renewed.expires_on > TODAY


def test_the_lapse_task_lapses_expired_accreditations_once(partner):
    expired = TrainerAccreditationFactory(partner=partner, past_expiry=True)
    current = TrainerAccreditationFactory(partner=partner)

    assert services.lapse_accreditations() == 1
    assert services.lapse_accreditations() == 0

    expired.refresh_from_db()
    current.refresh_from_db()
    assert (expired.status, current.status) == ("lapsed", "active")
    assert AccreditationEvent.objects.filter(accreditation=expired, kind="lapsed").count() == 1


def test_the_celery_task_calls_the_lapse_sweep(partner):
    from training.tasks import lapse_accreditations

    TrainerAccreditationFactory(partner=partner, past_expiry=True)

    assert lapse_accreditations() == 1
    assert lapse_accreditations() == 0


def test_accreditations_expiring_within_n_days(partner):
    soon = TrainerAccreditationFactory(partner=partner, expires_on=TODAY + timedelta(days=7))
    TrainerAccreditationFactory(partner=partner, expires_on=TODAY + timedelta(days=8))
    TrainerAccreditationFactory(partner=partner, expires_on=TODAY + timedelta(days=3), suspended=True)
    TrainerAccreditationFactory(partner=partner, past_expiry=True)

    assert list(TrainerAccreditation.objects.expiring_within(7)) == [soon]


def test_the_licensor_suspends_reinstates_and_revokes(licensor, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)

    for status in ("suspended", "active", "revoked"):
        accreditation = services.set_accreditation_status(by=licensor, accreditation=accreditation, to=status)
    assert accreditation.status == "revoked"

    with pytest.raises(IllegalTransition):
        services.set_accreditation_status(by=licensor, accreditation=accreditation, to="active")


def test_beat_runs_the_lapse_sweep_daily(settings):
    from config.celery import app

    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "training.tasks.lapse_accreditations"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {2}
