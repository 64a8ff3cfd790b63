"""The licensor's figures per partner and across partners: what the console's partners overview, partner page and
fidelity figures show next to the scorecard.

Every figure is a count or a score, never a description, a note or a person's name. Each function reads all the
partners it is asked about in a fixed number of grouped queries (one per kind of record), whatever the number of
partners, mentors or incidents.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg, Count, DateField, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from franchise.models import BoundaryRule, Licence, LicenceFee, Partner
from supervision.fidelity import scorecard
from supervision.fidelity.models import CorrectiveAction, ScoreSnapshot
from supervision.incidents.stats import incident_stats, stats_scope
from supervision.models import BoundaryIncident
from training.models import TrainerAccreditation

TREND_MONTHS = 12
INCIDENT_DAYS = 90  # as the scorecard's incident review timeliness
TRAINER_EXPIRY_DAYS = 60
# The gravest first: what the licensor reads first in a partner's row.
SEVERITIES = [severity for severity, _ in reversed(BoundaryIncident.Severity.choices)]
# The licence a partner's row shows when it holds several: the one in force first, then one that could be.
LICENCE_RANK = {
    Licence.Status.ACTIVE: 0,
    Licence.Status.SUSPENDED: 1,
    Licence.Status.DRAFT: 2,
    Licence.Status.EXPIRED: 3,
    Licence.Status.TERMINATED: 4,
}


@dataclass
class PartnerFigures:
    partner: Partner
    score: object = None  # scorecard.PartnerScore, or None when the scorecard has nothing for the partner
    trend: list = field(default_factory=list)  # [(first day of the month, score or None)], oldest first
    licence: Licence | None = None
    active_mentors: int = 0
    supervision_overdue: int = 0
    incidents: dict = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))  # of the last INCIDENT_DAYS
    trainers: int = 0  # accredited trainers (or trainers of trainers) in force
    trainers_expiring: int = 0  # of those, whose accreditation ends within TRAINER_EXPIRY_DAYS
    open_actions: int = 0  # corrective actions not yet accepted
    overdue_actions: int = 0
    fees_overdue: int = 0

    @property
    def incidents_total(self):
        return sum(self.incidents.values())

    @property
    def incidents_by_severity(self):
        """ "2 high, 1 low": the severities that occurred, gravest first."""
        return ", ".join(f"{count} {severity}" for severity, count in self.incidents.items() if count)


def last_months(today, months=TREND_MONTHS):
    """The first days of the last `months` months, this one last."""
    first = today.replace(day=1)
    found = []
    for _ in range(months):
        found.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return found[::-1]


def monthly_scores(user, partner_ids, *, today, months=TREND_MONTHS):
    """{partner id: {month: the average of its daily snapshots that month, rounded}} over the last `months`
    months, one grouped query."""
    since = last_months(today, months)[0]
    rows = (
        ScoreSnapshot.objects.visible_to(user)
        .filter(partner__in=partner_ids, taken_on__gte=since, taken_on__lte=today, score__isnull=False)
        .order_by()
        .annotate(month=TruncMonth("taken_on", output_field=DateField()))
        .values("partner_id", "month")
        .annotate(score=Avg("score"))
    )
    found = defaultdict(dict)
    for row in rows:
        found[row["partner_id"]][_as_date(row["month"])] = round(row["score"])
    return found


def _as_date(value):
    # SQLite's month truncation of a date column comes back as a datetime on some versions.
    return value.date() if hasattr(value, "date") and not isinstance(value, date) else value


def partner_overview(user, *, partner_ids=None, today=None, now=None):
    """[PartnerFigures] of the partners `user` sees (those of `partner_ids` when given), by name."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    partners = Partner.objects.visible_to(user).order_by("name")
    if partner_ids is not None:
        partners = partners.filter(pk__in=partner_ids)
    figures = {partner.pk: PartnerFigures(partner) for partner in partners}
    ids = list(figures)
    if not ids:
        return []

    for score in scorecard.partner_scores(user, partner_ids=ids, on=today):
        if score.partner_id in figures:
            row = figures[score.partner_id]
            row.score = score
            # The scorecard has just counted them, on the compliance rows: the same figures, read once.
            coverage = score.component("supervision_coverage")
            row.active_mentors = coverage.denominator
            row.supervision_overdue = coverage.denominator - coverage.numerator

    months = last_months(today)
    by_month = monthly_scores(user, ids, today=today)
    for pk, row in figures.items():
        row.trend = [(month, by_month.get(pk, {}).get(month)) for month in months]

    for licence in Licence.objects.visible_to(user).filter(partner__in=ids).order_by("-ends_on", "reference"):
        row = figures[licence.partner_id]
        if row.licence is None or LICENCE_RANK[licence.status] < LICENCE_RANK[row.licence.status]:
            row.licence = licence

    recent = stats_scope(user).filter(partner__in=ids, occurred_at__gte=now - timedelta(days=INCIDENT_DAYS))
    for row in incident_stats(recent, now=now):
        figures[row["partner"]].incidents[row["severity"]] += row["count"]

    expiring_by = today + timedelta(days=TRAINER_EXPIRY_DAYS)
    trainers = (
        TrainerAccreditation.objects.visible_to(user)
        .filter(partner__in=ids)
        .at_least(TrainerAccreditation.Stage.ACCREDITED_TRAINER)
        .in_force_through(today)
        .order_by()
        .values("partner_id")
        .annotate(
            trainers=Count("person", distinct=True),
            expiring=Count("person", distinct=True, filter=Q(expires_on__lte=expiring_by)),
        )
    )
    for row in trainers:
        figures[row["partner_id"]].trainers = row["trainers"]
        figures[row["partner_id"]].trainers_expiring = row["expiring"]

    actions = (
        CorrectiveAction.objects.visible_to(user)
        .filter(partner__in=ids)
        .unresolved()
        .order_by()
        .values("partner_id")
        .annotate(
            open=Count("pk"), overdue=Count("pk", filter=Q(status=CorrectiveAction.Status.OPEN, due_on__lt=today))
        )
    )
    for row in actions:
        figures[row["partner_id"]].open_actions = row["open"]
        figures[row["partner_id"]].overdue_actions = row["overdue"]

    fees = (
        LicenceFee.objects.visible_to(user)
        .filter(partner__in=ids, status=LicenceFee.Status.OVERDUE)
        .order_by()
        .values("partner_id")
        .annotate(n=Count("pk"))
    )
    for row in fees:
        figures[row["partner_id"]].fees_overdue = row["n"]
    return list(figures.values())


@dataclass
class IncidentFigures:
    months: list  # [(first day of the month, count)], oldest first
    categories: list  # [(category, label, count)], in the policy's order
    severities: list  # [(severity, label, count)], low to critical
    total: int


def incident_figures(user, *, partner_ids=None, today=None, now=None, months=TREND_MONTHS):
    """Incidents of the last `months` months (this one included) across the partners `user` counts (of
    `partner_ids` when given): per month, category and severity. One grouped query (supervision.incidents.stats)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    shown = last_months(today, months)
    incidents = stats_scope(user).filter(occurred_at__date__gte=shown[0])
    if partner_ids is not None:
        incidents = incidents.filter(partner__in=partner_ids)
    per_month = dict.fromkeys(shown, 0)
    per_category = defaultdict(int)
    per_severity = defaultdict(int)
    for row in incident_stats(incidents, now=now):
        month = _as_date(row["month"])
        if month in per_month:
            per_month[month] += row["count"]
            per_category[row["category"]] += row["count"]
            per_severity[row["severity"]] += row["count"]
    return IncidentFigures(
        months=list(per_month.items()),
        categories=[(value, label, per_category[value]) for value, label in BoundaryRule.Category.choices],
        severities=[(value, label, per_severity[value]) for value, label in BoundaryIncident.Severity.choices],
        total=sum(per_month.values()),
    )


@dataclass
class MonthOfScores:
    month: date
    partners: int  # how many partners have a snapshot that month
    average: int | None
    lowest: int | None
    highest: int | None


def score_figures(user, *, partner_ids=None, today=None, months=TREND_MONTHS):
    """Per month of the last `months`, the partners' scores (each partner's monthly average of its daily
    snapshots): how many partners, their average, the lowest and the highest."""
    today = today or timezone.localdate()
    partners = Partner.objects.visible_to(user)
    if partner_ids is not None:
        partners = partners.filter(pk__in=partner_ids)
    by_partner = monthly_scores(user, partners.values("pk"), today=today, months=months)
    found = []
    for month in last_months(today, months):
        scores = [scores[month] for scores in by_partner.values() if month in scores]
        found.append(
            MonthOfScores(
                month,
                len(scores),
                round(sum(scores) / len(scores)) if scores else None,
                min(scores, default=None),
                max(scores, default=None),
            )
        )
    return found
