"""Training use cases for assessment against the criteria and internal verification."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Invalid, NotPermitted, RuleNotMet
from core.tenancy import COORDINATOR, TRAINER, access_for
from training import rules
from training.models import Certificate, CriterionAssessment, Enrolment, TrainerAccreditation
from training.services._common import _accreditation_in_force, person_of, require_course_trainer
from training.services.certificates import new_certificate_code

Stage = TrainerAccreditation.Stage


ASSESSABLE = (Enrolment.Status.ENROLLED, Enrolment.Status.REFERRED)


def _check_assessment(enrolment, *, criterion, decision, evidence, assessed_on):
    errors = {}
    if enrolment.track != Enrolment.Track.QUALIFICATION:
        raise Invalid("Non-accredited learners are not assessed.", field="enrolment", code="not_on_qualification_track")
    if enrolment.status not in ASSESSABLE:
        raise Invalid(
            f"The enrolment is {enrolment.status}; its assessment is closed.",
            field="enrolment",
            code="enrolment_closed",
        )
    if criterion.unit.programme_id != enrolment.course.programme_id:
        errors["criterion"] = [f"{criterion.code} is not a criterion of the course's programme."]
    if decision == CriterionAssessment.Decision.MET and not (evidence or "").strip():
        errors["evidence"] = ["Say what the decision rests on (a workbook page, an observation, a note)."]
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = ["An assessment cannot be dated in the future."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assess(*, by, enrolment, criterion, decision, evidence="", assessed_on=None):
    """A trainer of the course records a decision on one criterion. Only the lead and co-trainers assess."""
    enrolment = _locked_enrolment(enrolment.pk)
    assessor = require_course_trainer(by, enrolment.course, "Only the trainers of this course assess its learners.")
    assessed_on = assessed_on or timezone.localdate()
    _check_assessment(enrolment, criterion=criterion, decision=decision, evidence=evidence, assessed_on=assessed_on)
    if CriterionAssessment.objects.filter(enrolment=enrolment, criterion=criterion).exists():
        raise Invalid(
            f"{criterion.code} is already assessed for this learner; change that assessment instead.",
            field="criterion",
            code="already_assessed",
        )
    try:
        with transaction.atomic():
            return CriterionAssessment.objects.create(
                partner_id=enrolment.partner_id,
                enrolment=enrolment,
                criterion=criterion,
                decision=decision,
                evidence=evidence,
                assessor=assessor,
                assessed_on=assessed_on,
            )
    except IntegrityError:
        raise Invalid(
            f"{criterion.code} has just been assessed by someone else; change that assessment instead.",
            field="criterion",
            code="already_assessed",
        )


@transaction.atomic
def update_assessment(*, by, assessment, **changes):
    """A trainer of the course revises a decision; they become its assessor."""
    enrolment = _locked_enrolment(assessment.enrolment_id)
    assessor = require_course_trainer(by, enrolment.course, "Only the trainers of this course assess its learners.")
    if "criterion" in changes and changes["criterion"].pk != assessment.criterion_id:
        raise Invalid("Assess another criterion with a new assessment.", field="criterion")
    if "enrolment" in changes and changes["enrolment"].pk != enrolment.pk:
        raise Invalid("An assessment cannot move to another enrolment.", field="enrolment")
    values = {
        "decision": changes.get("decision", assessment.decision),
        "evidence": changes.get("evidence", assessment.evidence),
        "assessed_on": changes.get("assessed_on") or timezone.localdate(),
    }
    _check_assessment(enrolment, criterion=assessment.criterion, **values)
    for name, value in values.items():
        setattr(assessment, name, value)
    assessment.assessor = assessor
    assessment.save()
    return assessment


def _locked_enrolment(enrolment_id):
    """The enrolment as it stands, locked: assessment and verification of one learner never interleave."""
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("course__programme", "learner", "partner")
        .get(pk=enrolment_id)
    )


@transaction.atomic
def verify_enrolment(*, by, enrolment):
    """Internal verification: a second accredited trainer signs a qualification enrolment off.

    The verifier holds an active accreditation of accredited_trainer or higher
    for the programme and assessed at most half of its criteria themselves. The
    enrolment passes when every criterion is met, and its certificate is issued
    in the same transaction; otherwise a RuleNotMet lists the criteria not yet
    met. The enrolment row is locked, so two verifiers cannot issue two certificates.
    """
    enrolment = _locked_enrolment(enrolment.pk)
    programme = enrolment.course.programme
    verifier = person_of(by, enrolment.partner_id)
    if (
        verifier is None
        or not access_for(by).has_role(enrolment.partner_id, (TRAINER, COORDINATOR))
        or _accreditation_in_force(verifier, programme, Stage.ACCREDITED_TRAINER) is None
    ):
        raise NotPermitted(
            f"Only a trainer of {enrolment.partner.name} accredited for {programme.name} verifies enrolments.",
            code="verifier_not_accredited",
        )
    if enrolment.track != Enrolment.Track.QUALIFICATION:
        raise Invalid(
            "A non-accredited learner completes on attendance; there is nothing to verify.",
            code="not_on_qualification_track",
        )
    if enrolment.status not in ASSESSABLE:
        raise Invalid(f"The enrolment is {enrolment.status}; it cannot be verified.", code="enrolment_closed")
    for refusal in rules.verifier_independent(enrolment, verifier):
        raise NotPermitted(refusal.message, code=refusal.code)
    unmet = rules.qualification_criteria_met(enrolment)
    if unmet:
        raise RuleNotMet(unmet, "Not every criterion is met yet.")
    now = timezone.now()
    enrolment.status, enrolment.status_changed_at = Enrolment.Status.PASSED, now
    enrolment.verified_by, enrolment.verified_at = verifier, now
    enrolment.save(update_fields=["status", "status_changed_at", "verified_by", "verified_at", "updated_at"])
    certificate = Certificate.objects.create(
        partner_id=enrolment.partner_id,
        enrolment=enrolment,
        code=new_certificate_code(),
        holder_name=enrolment.learner.name,
        issued_on=timezone.localdate(),
    )
    return enrolment, certificate


@transaction.atomic
def record_decisions(*, by, enrolment, criteria, decision, evidence="", assessed_on=None):
    """Record one decision, on the same evidence, for several criteria of one learner (a workbook section marked
    at once): a new assessment where there is none, a changed one where there is. All or nothing: one refusal
    (a criterion of another programme, no evidence for `met`) leaves every decision as it was.
    """
    criteria = list(criteria)
    if not criteria:
        raise Invalid("Choose at least one criterion.", field="criteria", code="no_criteria")
    existing = {
        row.criterion_id: row
        for row in CriterionAssessment.objects.filter(enrolment=enrolment, criterion__in=criteria).select_related(
            "criterion__unit"
        )
    }
    recorded = []
    for criterion in criteria:
        if criterion.pk in existing:
            recorded.append(
                update_assessment(
                    by=by,
                    assessment=existing[criterion.pk],
                    decision=decision,
                    evidence=evidence,
                    assessed_on=assessed_on,
                )
            )
        else:
            recorded.append(
                assess(
                    by=by,
                    enrolment=enrolment,
                    criterion=criterion,
                    decision=decision,
                    evidence=evidence,
                    assessed_on=assessed_on,
                )
            )
    return recorded


@transaction.atomic
def record_criterion(*, by, criterion, decisions, assessed_on=None):
    """One criterion decided for several learners at once (a workbook question marked across the cohort).

    `decisions` is [(enrolment, decision, evidence)]. All or nothing: a refusal for any learner leaves every
    decision as it was, and a ValidationError keyed by the enrolment's id names each learner refused and why.
    """
    errors = {}
    for enrolment, decision, evidence in decisions:
        try:
            with transaction.atomic():
                record_decisions(
                    by=by,
                    enrolment=enrolment,
                    criteria=[criterion],
                    decision=decision,
                    evidence=evidence,
                    assessed_on=assessed_on,
                )
        except ValidationError as error:
            errors[str(enrolment.pk)] = [f"{enrolment.learner.name}: {message}" for message in error.messages]
        except Invalid as error:
            errors[str(enrolment.pk)] = [f"{enrolment.learner.name}: {error.message}"]
    if errors:
        raise ValidationError(errors)
