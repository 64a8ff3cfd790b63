"""Trainer accreditation expiring: to the trainer and the licensor admins, 90, 30 and 7 days before."""

from django.utils import timezone

from reminders.messages import content, days_phrase, site_link
from reminders.models import Kind
from reminders.planner import (
    expiry_thresholds,
    insert,
    licensor_admins,
    planner,
    reachable,
    reminder_row,
    subject_type,
    threshold_expression,
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
    accreditation_type = subject_type(TrainerAccreditation)
    expiring = TrainerAccreditation.objects.expiring_within(thresholds[-1], today=today).annotate(
        threshold=threshold_expression("expires_on", today, thresholds)
    )

    def row(item, partner_id, user_id=None, email=""):
        return reminder_row(
            KIND,
            subject_type=accreditation_type,
            subject_id=item["pk"],
            partner_id=partner_id,
            due_at=now,
            key=(item["pk"], item["expires_on"].isoformat(), item["threshold"]),
            user_id=user_id,
            email=email,
            details={"days": item["threshold"], "expires_on": item["expires_on"].isoformat()},
        )

    rows = [
        row(item, item["partner_id"], item["person__user_id"], item["person__email"])
        for item in reachable(expiring, KIND, "person").values(
            "pk", "partner_id", "expires_on", "threshold", "person__user_id", "person__email"
        )
    ]
    admins = licensor_admins(KIND)
    if admins:
        for item in expiring.values("pk", "expires_on", "threshold"):
            rows.extend(row(item, None, user_id) for user_id in admins)
    return insert(KIND, rows, now=now)


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
