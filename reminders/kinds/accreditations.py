"""Trainer accreditation expiring: to the trainer and the licensor admins, 90, 30 and 7 days before."""

from django.db.models import Value
from django.utils import timezone

from reminders.messages import content, days_phrase, site_link
from reminders.models import Kind
from reminders.planner import (
    KeyText,
    expiry_thresholds,
    insert,
    planner,
    reachable,
    rows,
    subject_type,
    threshold_expression,
    to_licensor_admins,
)
from training.models import TrainerAccreditation

KIND = Kind.ACCREDITATION_EXPIRING


@planner(KIND, daily=True)
def plan_accreditation_expiring(now):
    """Active accreditations expiring within 90, 30 or 7 days: to the trainer (their login, or their email
    address) as the partner's row, and to each licensor admin, who grants and renews accreditations."""
    thresholds = expiry_thresholds()
    if not thresholds:
        return 0
    today = timezone.localdate(now)
    expiring = TrainerAccreditation.objects.expiring_within(thresholds[-1], today=today).annotate(
        threshold=threshold_expression("expires_on", today, thresholds)
    )

    columns = dict(
        subject="pk",
        due_at=Value(now),
        key=("pk", "expires_on", "threshold"),
        details={"days": "threshold", "expires_on": KeyText("expires_on")},
    )
    return insert(
        KIND,
        rows(
            reachable(expiring, KIND, "person"),
            KIND,
            partner="partner_id",
            user="person__user_id",
            email="person__email",
            **columns,
        ),
        *to_licensor_admins(expiring, KIND, **columns),
        subject_type=subject_type(TrainerAccreditation),
    )


def _accreditations(ids):
    return TrainerAccreditation.objects.select_related("person", "programme", "partner").in_bulk(ids)


@content(KIND, load=_accreditations)
def accreditation_expiring(reminder, accreditation, now):
    if (
        accreditation.status != TrainerAccreditation.Status.ACTIVE
        or accreditation.expires_on.isoformat() != reminder.details.get("expires_on")
    ):
        return None  # renewed, lapsed, suspended or revoked since
    days_left = (accreditation.expires_on - timezone.localdate(now)).days
    if days_left < 0:
        return None
    when = days_phrase(days_left)
    to_trainer = reminder.partner_id is not None
    whose = "Your" if to_trainer else f"{accreditation.person.name}'s"
    return {
        "title": f"{whose} accreditation as {accreditation.get_stage_display().lower()} ends {when}",
        "accreditation": accreditation,
        "to_trainer": to_trainer,
        "when": when,
        "link": site_link(f"/api/v1/accreditations/{accreditation.pk}/standing/"),
    }
