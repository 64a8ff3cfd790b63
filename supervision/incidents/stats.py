"""Fidelity figures: how many incidents, of which category and severity, per partner and month.

The licensor monitors fidelity across partners without reading anybody's
story: these figures carry counts only — never a description, never a person.
"""

import zoneinfo

from django.conf import settings
from django.db.models import Case, Count, DateField, F, FloatField, Q, Value, When
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from core.errors import NotPermitted
from core.tenancy import COORDINATOR, access_for
from supervision.models import BoundaryIncident

STATS_FIELDS = ("partner", "month", "category", "severity")


def stats_scope(user):
    """The incidents whose figures `user` may read: every partner's for the licensor, their own partners'
    for coordinators. Counting is not reading: the licensor counts incidents it may not open."""
    access = access_for(user)
    if access.is_licensor:
        return BoundaryIncident.objects.all()
    coordinated = access.partner_ids([COORDINATOR])
    if not coordinated:
        raise NotPermitted("Incident figures are for the licensing organisation and the partners' coordinators.")
    return BoundaryIncident.objects.filter(partner__in=coordinated)


def incident_stats(incidents, now=None):
    """Counts per (partner, month, category, severity) of `incidents`, in one grouped query.

    `month` is the first day of the month the incident occurred in, in the
    project's time zone (one zone for every partner, so that a month means the
    same thing in every row). Per group also:

    - `review_due`: incidents whose review is due by now — reviewed already, or past their deadline;
    - `reviewed_on_time`: incidents reviewed by their deadline;
    - `reviewed_on_time_share`: reviewed_on_time / review_due (null when nothing is due yet).
    """
    now = now or timezone.now()
    month = TruncMonth("occurred_at", output_field=DateField(), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    due = Q(reviewed_at__isnull=False) | Q(review_due_at__lt=now)
    return (
        incidents.order_by()
        .annotate(month=month)
        .values(*STATS_FIELDS)
        .annotate(
            count=Count("pk"),
            review_due=Count("pk", filter=due),
            reviewed_on_time=Count("pk", filter=Q(reviewed_at__lte=F("review_due_at"))),
        )
        .annotate(
            reviewed_on_time_share=Case(
                When(review_due=0, then=Value(None, output_field=FloatField())),
                default=Cast("reviewed_on_time", FloatField()) / Cast("review_due", FloatField()),
                output_field=FloatField(),
            )
        )
        .order_by("-month", "partner_id", "category", "severity")
    )
