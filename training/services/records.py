"""Training use cases for trainers' teaching records and CPD."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from core.tenancy import COORDINATOR, access_for, require_role
from training.models import CPDRecord, TeachingRecord, TrainerAccreditation
from training.services._common import _accreditation_in_force, _person_model, person_of

Stage = TrainerAccreditation.Stage


def _own_or_coordinated(by, person, what):
    """The caller logs their own records; a coordinator (or the licensor) logs anyone's of their partner."""
    if (
        person.user_id is not None
        and person.user_id == by.pk
        and access_for(by).roles_by_partner.get(person.partner_id)
    ):
        return
    require_role(by, person.partner_id, (COORDINATOR,), message=f"You log your own {what}; coordinators log anyone's.")


def _callers_person(by, partner_id=None):
    access = access_for(by)
    people = _person_model().objects.filter(user_id=by.pk, partner_id__in=access.partner_ids())
    if partner_id is not None:
        people = people.filter(partner_id=partner_id)
    found = list(people[:2])
    if len(found) != 1:
        raise Invalid("Name the person the record is for.", field="person", code="person_required")
    return found[0]


@transaction.atomic
def log_teaching(*, by, session, person=None, observed=False, note=""):
    """Record a trainer's part in a held session; the role (lead or co) comes from the course's team."""
    course = session.course
    person = person or _callers_person(by, course.partner_id)
    _own_or_coordinated(by, person, "teaching")
    if person.pk == course.lead_trainer_id:
        role = TeachingRecord.Role.LEAD
    elif course.co_trainers.filter(pk=person.pk).exists():
        role = TeachingRecord.Role.CO
    else:
        raise Invalid(f"{person.name} is not a trainer of this course.", field="person", code="not_course_trainer")
    if session.date > timezone.localdate():
        raise Invalid("Teaching is recorded once the session has taken place.", field="session", code="session_ahead")
    if observed and role != TeachingRecord.Role.CO:
        raise Invalid("An observed delivery is a co-trainer's.", field="observed")
    if TeachingRecord.objects.filter(person=person, session=session).exists():
        raise Invalid("This session is already recorded for this trainer.", field="session", code="already_recorded")
    return TeachingRecord.objects.create(
        partner_id=person.partner_id, person=person, session=session, role=role, observed=observed, note=note
    )


def sign_off_stage(observed):
    """The stage a signer holds to sign a record off: a trainer of trainers for an observed delivery, an
    accredited trainer (or higher) for co-teaching."""
    return Stage.TRAINER_OF_TRAINERS if observed else Stage.ACCREDITED_TRAINER


def records_to_sign_off(by, partner):
    """The teaching records of `partner` that `by` may sign off (sign_off_teaching's rules), oldest session first:
    not their own, not signed yet, of a programme in which they hold the stage the record asks for. Two queries."""
    signer = person_of(by, partner.pk)
    if signer is None:
        return TeachingRecord.objects.none()
    held = list(
        TrainerAccreditation.objects.filter(person=signer)
        .in_force_through(timezone.localdate())
        .values_list("programme_id", "stage")
    )

    def programmes_for(observed):
        allowed = TrainerAccreditation.stages_from(sign_off_stage(observed))
        return [programme for programme, stage in held if stage in allowed]

    return (
        TeachingRecord.objects.visible_to(by)
        .filter(partner=partner, signed_off_at__isnull=True)
        .exclude(person=signer)
        .filter(
            Q(observed=False, session__course__programme__in=programmes_for(False))
            | Q(observed=True, session__course__programme__in=programmes_for(True))
        )
        .select_related("person", "session__course")
        .order_by("session__date", "pk")
    )


@transaction.atomic
def sign_off_teaching(*, by, record):
    """A more senior trainer signs a teaching record off.

    A co-taught session is signed off by an accredited trainer (or higher) of the
    programme, an observed delivery by a trainer of trainers; never by the record's own trainer.
    """
    record = (
        TeachingRecord.objects.select_for_update(of=("self",))
        .select_related("session__course__programme")
        .get(pk=record.pk)
    )
    programme = record.session.course.programme
    signer = person_of(by, record.partner_id)
    needed = sign_off_stage(record.observed)
    if signer is None or _accreditation_in_force(signer, programme, needed) is None:
        label = TrainerAccreditation.Stage(needed).label.lower()
        raise NotPermitted(f"This record is signed off by an active {label} of {programme.name}.", code="signer_stage")
    if signer.pk == record.person_id:
        raise NotPermitted("Your own teaching is signed off by someone else.", code="own_record")
    if record.signed_off_at is not None:
        raise Invalid("This record is already signed off.", code="already_signed_off")
    record.signed_off_by, record.signed_off_at = signer, timezone.now()
    record.save(update_fields=["signed_off_by", "signed_off_at", "updated_at"])
    return record


@transaction.atomic
def delete_teaching_record(*, by, record):
    _own_or_coordinated(by, record.person, "teaching")
    if record.signed_off_at is not None:
        raise Invalid("A signed-off record is evidence and is kept.", code="signed_off")
    record.delete()


@transaction.atomic
def log_cpd(*, by, date, hours, activity, person=None):
    person = person or _callers_person(by)
    _own_or_coordinated(by, person, "CPD")
    errors = {}
    if date > timezone.localdate():
        errors["date"] = ["CPD is logged once it has taken place."]
    if hours <= 0 or hours > 100:
        errors["hours"] = ["Hours are more than 0 and at most 100 for one activity."]
    if not (activity or "").strip():
        errors["activity"] = ["Say what the activity was."]
    if errors:
        raise ValidationError(errors)
    return CPDRecord.objects.create(
        partner_id=person.partner_id, person=person, date=date, hours=hours, activity=activity.strip()
    )


@transaction.atomic
def delete_cpd(*, by, record):
    _own_or_coordinated(by, record.person, "CPD")
    record.delete()
