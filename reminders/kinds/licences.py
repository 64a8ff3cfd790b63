"""Licence expiring: to the partner's coordinators and the licensor admins, 90, 30 and 7 days before."""

from django.db.models import Value
from django.utils import timezone

from franchise.models import Licence
from reminders.messages import content, days_phrase, site_link
from reminders.models import Kind
from reminders.planner import (
    KeyText,
    expiry_thresholds,
    insert,
    planner,
    rows,
    subject_type,
    threshold_expression,
    to_licensor_admins,
    with_coordinators,
)

KIND = Kind.LICENCE_EXPIRING


@planner(KIND, daily=True)
def plan_licence_expiring(now):
    """Licences ending within 90, 30 or 7 days: one reminder per threshold to each of the partner's
    coordinators (the partner's row) and to each licensor admin (a licensor-wide row).

    Only the smallest threshold a licence has reached is planned, so a licence
    found 20 days before its end gets its 30-day reminder, not the 90-day one
    too. Its end date is in the key: a licence extended after a reminder gets
    fresh ones for its new end.
    """
    thresholds = expiry_thresholds()
    if not thresholds:
        return 0
    today = timezone.localdate(now)
    expiring = Licence.objects.expiring_within(thresholds[-1], today=today).annotate(
        threshold=threshold_expression("ends_on", today, thresholds)
    )

    columns = dict(
        subject="pk",
        due_at=Value(now),
        key=("pk", "ends_on", "threshold"),
        details={"days": "threshold", "ends_on": KeyText("ends_on")},
    )
    return insert(
        KIND,
        rows(
            with_coordinators(expiring, KIND),
            KIND,
            partner="partner_id",
            user="coordinator_id",
            distinct=True,
            **columns,
        ),
        *to_licensor_admins(expiring, KIND, **columns),
        subject_type=subject_type(Licence),
    )


def _licences(ids):
    return Licence.objects.select_related("partner", "programme", "renewal").in_bulk(ids)


@content(KIND, load=_licences)
def licence_expiring(reminder, licence, now):
    # A licence extended, suspended or ended since the reminder was planned is no longer "expiring on that day".
    if licence.status != Licence.Status.ACTIVE or licence.ends_on.isoformat() != reminder.details.get("ends_on"):
        return None
    days_left = (licence.ends_on - timezone.localdate(now)).days
    if days_left < 0:
        return None
    when = days_phrase(days_left)
    return {
        "title": f"Licence {licence.reference} for {licence.partner.name} ends {when}",
        "licence": licence,
        "days_left": days_left,
        "when": when,
        "renewal": getattr(licence, "renewal", None),
        "link": site_link(
            f"/console/licences/{licence.pk}/" if reminder.partner_id is None else f"/api/v1/licences/{licence.pk}/"
        ),
    }
