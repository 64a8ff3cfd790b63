"""Training use cases for trainers' accreditations (the train-the-trainer path)."""

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from core.errors import Invalid, NotPermitted, RuleNotMet, Unmet, check_transition
from core.tenancy import COORDINATOR, access_for, require_role
from franchise.policy import effective_policy
from training import rules
from training.models import AccreditationEvent, TrainerAccreditation
from training.services._common import _lock

Stage = TrainerAccreditation.Stage


def _validity(partner_id):
    return relativedelta(months=effective_policy(partner_id).accreditation_validity_months)


def _record(accreditation, kind, by, note=""):
    AccreditationEvent.objects.create(
        partner_id=accreditation.partner_id,
        accreditation=accreditation,
        kind=kind,
        stage=accreditation.stage,
        status=accreditation.status,
        expires_on=accreditation.expires_on,
        by=by,
        note=note,
    )


def _require_licensor(by, message):
    if not access_for(by).is_licensor:
        raise NotPermitted(message)


@transaction.atomic
def grant_accreditation(*, by, person, programme, stage=Stage.CANDIDATE, granted_on=None, note=""):
    """The licensor grants an accreditation at any stage (the first trainers), valid for the licensor's period."""
    _require_licensor(by, "Only the licensing organisation grants accreditations.")
    if stage not in Stage.values:
        raise Invalid(f"{stage!r} is not a stage.", field="stage")
    if TrainerAccreditation.objects.filter(person=person, programme=programme).exists():
        raise Invalid(
            f"{person.name} already holds an accreditation for {programme.name}; promote or renew it.",
            field="person",
            code="already_accredited",
        )
    granted_on = granted_on or timezone.localdate()
    accreditation = TrainerAccreditation.objects.create(
        partner_id=person.partner_id,
        person=person,
        programme=programme,
        stage=stage,
        granted_on=granted_on,
        period_starts_on=granted_on,
        expires_on=granted_on + _validity(person.partner_id),
        granted_by=by,
        status_changed_at=timezone.now(),
    )
    _record(accreditation, AccreditationEvent.Kind.GRANTED, by, note)
    return accreditation


@transaction.atomic
def promote_accreditation(*, by, accreditation, note=""):
    """Move an active accreditation one stage up when the evidence is there (rules.promotion_evidence).

    The partner's coordinators and the licensor promote to co_trainer and to
    accredited_trainer; trainer_of_trainers is the licensor's decision alone.
    A promotion starts a new validity period at the new stage.
    """
    accreditation = _lock(TrainerAccreditation, accreditation.pk)
    require_role(by, accreditation.partner_id, (COORDINATOR,), message="Only coordinators and the licensor promote.")
    target = accreditation.next_stage
    if target is None:
        raise Invalid("A trainer of trainers is already at the highest stage.", code="highest_stage")
    if target == Stage.TRAINER_OF_TRAINERS and not access_for(by).is_licensor:
        raise NotPermitted("Becoming a trainer of trainers is the licensing organisation's decision.")
    unmet = []
    if accreditation.status != TrainerAccreditation.Status.ACTIVE:
        unmet.append(Unmet("accreditation_not_active", f"The accreditation is {accreditation.status}."))
    unmet += rules.promotion_evidence(accreditation)
    if unmet:
        raise RuleNotMet(
            unmet, f"The evidence for {TrainerAccreditation.Stage(target).label.lower()} is not there yet."
        )
    today = timezone.localdate()
    accreditation.stage = target
    accreditation.granted_on = accreditation.period_starts_on = today
    accreditation.expires_on = today + _validity(accreditation.partner_id)
    accreditation.granted_by = by
    accreditation.save()
    _record(accreditation, AccreditationEvent.Kind.PROMOTED, by, note)
    return accreditation


@transaction.atomic
def renew_accreditation(*, by, accreditation, note=""):
    """Extend an active (or lapsed) accreditation by the validity period when its standing is met.

    The new period starts where the old one ended. A lapsed accreditation whose
    renewed period would already be over is granted afresh by the licensor instead.
    """
    accreditation = _lock(TrainerAccreditation, accreditation.pk)
    require_role(by, accreditation.partner_id, (COORDINATOR,), message="Only coordinators and the licensor renew.")
    if accreditation.status not in (TrainerAccreditation.Status.ACTIVE, TrainerAccreditation.Status.LAPSED):
        raise Invalid(f"A {accreditation.status} accreditation cannot be renewed.", code="accreditation_not_renewable")
    new_expiry = accreditation.expires_on + _validity(accreditation.partner_id)
    if new_expiry < timezone.localdate():
        raise Invalid(
            "The accreditation lapsed more than a validity period ago; the licensor grants it afresh.",
            code="lapsed_too_long",
        )
    standing = rules.standing(accreditation)
    if standing.missing:
        raise RuleNotMet(standing.missing, "The standing for renewal is not met.")
    accreditation.period_starts_on = accreditation.expires_on
    accreditation.expires_on = new_expiry
    if accreditation.status != TrainerAccreditation.Status.ACTIVE:
        accreditation.status, accreditation.status_changed_at = TrainerAccreditation.Status.ACTIVE, timezone.now()
    accreditation.save()
    _record(accreditation, AccreditationEvent.Kind.RENEWED, by, note)
    return accreditation


@transaction.atomic
def set_accreditation_status(*, by, accreditation, to, note=""):
    """The licensor suspends, reinstates or revokes an accreditation."""
    _require_licensor(by, "Only the licensing organisation suspends, reinstates or revokes accreditations.")
    accreditation = _lock(TrainerAccreditation, accreditation.pk)
    check_transition(TrainerAccreditation.STATUS_TRANSITIONS, accreditation.status, to)
    if to == TrainerAccreditation.Status.ACTIVE and accreditation.expires_on < timezone.localdate():
        raise Invalid("The accreditation has expired meanwhile; renew it instead.", code="expired")
    accreditation.status, accreditation.status_changed_at = to, timezone.now()
    accreditation.save(update_fields=["status", "status_changed_at", "updated_at"])
    _record(accreditation, AccreditationEvent.Kind.STATUS_CHANGED, by, note)
    return accreditation


def lapse_accreditations(*, today=None, batch_size=500):
    """Lapse active accreditations past their expiry date; returns how many this call lapsed.

    Idempotent: rows are claimed by a conditional UPDATE (still active, still
    expired), and the run's timestamp tells which rows this call changed, so each
    lapse is recorded once even when two runs overlap.
    """
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                TrainerAccreditation.objects.past_expiry(today)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            stamp = timezone.now()
            TrainerAccreditation.objects.filter(pk__in=ids).past_expiry(today).update(
                status=TrainerAccreditation.Status.LAPSED, status_changed_at=stamp, updated_at=stamp
            )
            claimed = list(
                TrainerAccreditation.objects.filter(
                    pk__in=ids, status=TrainerAccreditation.Status.LAPSED, status_changed_at=stamp
                )
            )
            AccreditationEvent.objects.bulk_create(
                AccreditationEvent(
                    partner_id=row.partner_id,
                    accreditation=row,
                    kind=AccreditationEvent.Kind.LAPSED,
                    stage=row.stage,
                    status=row.status,
                    expires_on=row.expires_on,
                    at=stamp,
                    note=f"Lapsed: expired on {row.expires_on.isoformat()}.",
                )
                for row in claimed
            )
            total += len(claimed)
            if len(ids) < batch_size:
                return total
