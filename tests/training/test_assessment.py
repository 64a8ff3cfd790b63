"""Assessment against the programme's criteria, internal verification, the pass and its certificate."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Invalid, NotPermitted, RuleNotMet
from franchise.models import Criterion
from supervision.models import Person
from tests.franchise.factories import CriterionFactory
from tests.training.factories import CriterionAssessmentFactory, EnrolmentFactory, TrainerAccreditationFactory
from training import rules, services
from training.models import Certificate, CriterionAssessment, Enrolment
from training.querysets import finished_course_exists


def criteria_of(enrolment):
    return list(Criterion.objects.filter(unit__programme=enrolment.course.programme).order_by("position"))


def assess_all(enrolment, assessor, decision="met", only=None):
    for criterion in only or criteria_of(enrolment):
        CriterionAssessmentFactory(
            partner=enrolment.partner, enrolment=enrolment, criterion=criterion, assessor=assessor, decision=decision
        )


def test_a_trainer_of_the_course_assesses_a_criterion(co_user, co, enrolment):
    criterion = criteria_of(enrolment)[0]

    assessment = services.assess(
        by=co_user, enrolment=enrolment, criterion=criterion, decision="met", evidence="Workbook p. 4"
    )

    assert (assessment.assessor, assessment.assessed_on) == (co, timezone.localdate())


@pytest.mark.parametrize("who", ["coordinator", "verifier_user"])
def test_only_the_courses_trainers_assess(request, who, enrolment):
    user = request.getfixturevalue(who)

    with pytest.raises(NotPermitted):
        services.assess(by=user, enrolment=enrolment, criterion=criteria_of(enrolment)[0], decision="met", evidence="x")
    assert not CriterionAssessment.objects.exists()


def test_a_criterion_of_another_programme_is_refused(trainer, lead, enrolment):
    with pytest.raises(ValidationError) as refused:
        services.assess(by=trainer, enrolment=enrolment, criterion=CriterionFactory(), decision="met", evidence="x")

    assert set(refused.value.message_dict) == {"criterion"}


def test_met_needs_evidence_but_not_yet_does_not(trainer, lead, enrolment):
    first, second = criteria_of(enrolment)[:2]
    with pytest.raises(ValidationError) as refused:
        services.assess(by=trainer, enrolment=enrolment, criterion=first, decision="met", evidence=" ")
    assert set(refused.value.message_dict) == {"evidence"}

    assert services.assess(by=trainer, enrolment=enrolment, criterion=second, decision="not_yet").decision == "not_yet"


def test_an_assessment_is_not_dated_in_the_future(trainer, lead, enrolment):
    with pytest.raises(ValidationError) as refused:
        services.assess(
            by=trainer,
            enrolment=enrolment,
            criterion=criteria_of(enrolment)[0],
            decision="met",
            evidence="x",
            assessed_on=timezone.localdate() + timedelta(days=1),
        )
    assert "assessed_on" in refused.value.message_dict


def test_a_criterion_is_assessed_once_then_revised_by_whoever_revises_it(trainer, co_user, lead, co, enrolment):
    criterion = criteria_of(enrolment)[0]
    assessment = services.assess(by=trainer, enrolment=enrolment, criterion=criterion, decision="not_yet")

    with pytest.raises(Invalid) as refused:
        services.assess(by=co_user, enrolment=enrolment, criterion=criterion, decision="met", evidence="x")
    assert refused.value.code == "already_assessed"

    revised = services.update_assessment(by=co_user, assessment=assessment, decision="met", evidence="Observed")
    assert (revised.decision, revised.assessor) == ("met", co)


def test_non_accredited_learners_are_not_assessed(trainer, lead, partner, running_course):
    enrolment = EnrolmentFactory(partner=partner, course=running_course, non_accredited=True)

    with pytest.raises(Invalid) as refused:
        services.assess(by=trainer, enrolment=enrolment, criterion=criteria_of(enrolment)[0], decision="not_yet")
    assert refused.value.code == "not_on_qualification_track"


# --- verification -------------------------------------------------------------------------


def test_a_second_accredited_trainer_verifies_and_the_learner_passes_with_a_certificate(
    verifier_user, verifier, lead, enrolment
):
    assess_all(enrolment, lead)

    passed, certificate = services.verify_enrolment(by=verifier_user, enrolment=enrolment)

    assert (passed.status, passed.verified_by) == (Enrolment.Status.PASSED, verifier)
    assert (certificate.enrolment, certificate.status, certificate.holder_name) == (
        passed,
        "valid",
        enrolment.learner.name,
    )
    assert certificate.issued_on == timezone.localdate()
    assert Person.objects.filter(finished_course_exists()).get() == enrolment.learner


def test_verification_lists_every_criterion_not_yet_met_and_changes_nothing(verifier_user, verifier, lead, enrolment):
    criteria = criteria_of(enrolment)
    assess_all(enrolment, lead, only=criteria[:2])
    CriterionAssessmentFactory(
        partner=enrolment.partner, enrolment=enrolment, criterion=criteria[2], assessor=lead, decision="not_yet"
    )

    with pytest.raises(RuleNotMet) as refused:
        services.verify_enrolment(by=verifier_user, enrolment=enrolment)

    assert [item.code for item in refused.value.unmet] == ["criterion_not_met"] * 3
    assert [item.message.split()[1] for item in refused.value.unmet] == [c.code for c in criteria[2:]]
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.verified_at) == ("enrolled", None)
    assert not Certificate.objects.exists()


def test_a_verifier_who_assessed_most_criteria_is_not_independent(trainer, lead, verifier, enrolment):
    assess_all(enrolment, lead)

    with pytest.raises(NotPermitted) as refused:
        services.verify_enrolment(by=trainer, enrolment=enrolment)

    assert refused.value.code == "verifier_not_independent"
    assert not Certificate.objects.exists()


def test_a_verifier_who_assessed_a_minority_may_verify(verifier_user, verifier, lead, enrolment):
    criteria = criteria_of(enrolment)  # five: two by the verifier is not most
    assess_all(enrolment, verifier, only=criteria[:2])
    assess_all(enrolment, lead, only=criteria[2:])

    assert services.verify_enrolment(by=verifier_user, enrolment=enrolment)[0].status == "passed"


@pytest.mark.parametrize("trait", [{"co_trainer": True}, {"lapsed": True}, {"suspended": True}])
def test_only_an_active_accredited_trainer_verifies(trait, partner, programme, verifier_user, lead, enrolment):
    from tests.training.scenario import person_for

    TrainerAccreditationFactory(
        partner=partner, person=person_for(verifier_user, partner), programme=programme, **trait
    )
    assess_all(enrolment, lead)

    with pytest.raises(NotPermitted) as refused:
        services.verify_enrolment(by=verifier_user, enrolment=enrolment)
    assert refused.value.code == "verifier_not_accredited"


def test_a_coordinator_without_an_accreditation_does_not_verify(coordinator, lead, enrolment):
    assess_all(enrolment, lead)

    with pytest.raises(NotPermitted):
        services.verify_enrolment(by=coordinator, enrolment=enrolment)


def test_a_passed_enrolment_is_not_verified_again(verifier_user, verifier, lead, enrolment):
    assess_all(enrolment, lead)
    services.verify_enrolment(by=verifier_user, enrolment=enrolment)

    with pytest.raises(Invalid) as refused:
        services.verify_enrolment(by=verifier_user, enrolment=enrolment)

    assert refused.value.code == "enrolment_closed"
    assert Certificate.objects.count() == 1


def test_a_non_accredited_enrolment_has_nothing_to_verify(verifier_user, verifier, partner, running_course):
    enrolment = EnrolmentFactory(partner=partner, course=running_course, non_accredited=True)

    with pytest.raises(Invalid) as refused:
        services.verify_enrolment(by=verifier_user, enrolment=enrolment)
    assert refused.value.code == "not_on_qualification_track"


def test_a_referred_learner_passes_once_reassessed(coordinator, verifier_user, verifier, lead, trainer, enrolment):
    assess_all(enrolment, lead, decision="not_yet")
    services.transition_enrolment(by=coordinator, enrolment=enrolment, to="referred")
    for assessment in enrolment.assessments.all():
        services.update_assessment(by=trainer, assessment=assessment, decision="met", evidence="Resubmitted")

    assert services.verify_enrolment(by=verifier_user, enrolment=enrolment)[0].status == "passed"


def test_assessment_closes_once_the_enrolment_has_passed(trainer, verifier_user, verifier, lead, enrolment):
    assess_all(enrolment, lead)
    services.verify_enrolment(by=verifier_user, enrolment=enrolment)

    with pytest.raises(Invalid) as refused:
        services.update_assessment(by=trainer, assessment=enrolment.assessments.first(), decision="not_yet")
    assert refused.value.code == "enrolment_closed"


# --- several criteria at once, and the verifier's independence as a rule ----------------------------------------------


def test_one_decision_is_recorded_on_several_criteria_new_and_changed_alike(trainer, lead, enrolment):
    first, second, third = criteria_of(enrolment)[:3]
    CriterionAssessmentFactory(partner=enrolment.partner, enrolment=enrolment, criterion=first, decision="not_yet")

    services.record_decisions(
        by=trainer, enrolment=enrolment, criteria=[first, second, third], decision="met", evidence="Workbook pp. 3–9"
    )

    rows = CriterionAssessment.objects.filter(enrolment=enrolment).values_list("criterion", "decision", "evidence")
    assert sorted(rows) == sorted((c.pk, "met", "Workbook pp. 3–9") for c in (first, second, third))


def test_several_decisions_are_all_or_nothing(trainer, lead, enrolment):
    mine = criteria_of(enrolment)[0]
    foreign = CriterionFactory()

    with pytest.raises(ValidationError):
        services.record_decisions(
            by=trainer, enrolment=enrolment, criteria=[mine, foreign], decision="met", evidence="Workbook p. 3"
        )

    assert not CriterionAssessment.objects.exists()


def test_several_decisions_need_a_criterion(trainer, lead, enrolment):
    with pytest.raises(Invalid) as refused:
        services.record_decisions(by=trainer, enrolment=enrolment, criteria=[], decision="met", evidence="x")

    assert refused.value.field == "criteria"


def test_the_verifier_is_independent_up_to_half_of_the_criteria(lead, verifier, enrolment):
    criteria = criteria_of(enrolment)  # five
    assess_all(enrolment, verifier, only=criteria[:2])
    assert rules.verifier_independent(enrolment, verifier) == []

    assess_all(enrolment, verifier, only=criteria[2:3])
    (refusal,) = rules.verifier_independent(enrolment, verifier)
    assert refusal.code == "verifier_not_independent"
    assert "3 of the 5 criteria" in refusal.message


def test_enrolments_carry_their_criteria_progress_and_the_complete_ones_are_ready_to_verify(
    partner, lead, enrolment, running_course
):
    other = EnrolmentFactory(partner=partner, course=running_course)
    criteria = criteria_of(enrolment)
    assess_all(enrolment, lead)
    assess_all(other, lead, only=criteria[:2])
    assess_all(other, lead, decision="not_yet", only=criteria[2:3])

    progress = {row.pk: (row.criteria_met, row.criteria_total) for row in Enrolment.objects.with_criteria_progress()}

    assert progress == {enrolment.pk: (5, 5), other.pk: (2, 5)}
    assert list(Enrolment.objects.ready_to_verify()) == [enrolment]


def test_one_criterion_is_recorded_across_learners_all_or_nothing_naming_who_was_refused(
    partner, trainer, lead, enrolment, running_course
):
    other = EnrolmentFactory(partner=partner, course=running_course)
    p1 = criteria_of(enrolment)[0]

    with pytest.raises(ValidationError) as refused:
        services.record_criterion(
            by=trainer, criterion=p1, decisions=[(enrolment, "met", "Workbook p. 2"), (other, "met", "")]
        )
    assert list(refused.value.message_dict) == [str(other.pk)]
    assert refused.value.message_dict[str(other.pk)][0].startswith(f"{other.learner.name}: Say what the decision")
    assert not CriterionAssessment.objects.exists()

    services.record_criterion(
        by=trainer, criterion=p1, decisions=[(enrolment, "met", "Workbook p. 2"), (other, "not_yet", "")]
    )
    assert sorted(CriterionAssessment.objects.values_list("decision", flat=True)) == ["met", "not_yet"]
