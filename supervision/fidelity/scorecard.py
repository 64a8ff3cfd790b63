"""The partner scorecard: a score from 0 to 100 per partner, made of named components computed from records.

Each component is a percentage, numerator over denominator:

- supervision_coverage: active mentors not overdue for supervision (supervision.sessions.compliance) / active
  mentors;
- incident_timeliness: incidents that occurred in the last 90 days and were reviewed by their deadline / those
  of them whose review is due — reviewed already (on time or late) or still unreviewed past the deadline. An
  incident unreviewed but still within its deadline is in neither: nobody has failed it yet (the same rule as
  the incident figures, supervision.incidents.stats);
- policy_acknowledgement: active mentors who acknowledged their partner's policy version in force / active
  mentors (none acknowledged while a partner has no version yet);
- trainer_currency: the partner's accredited trainers (stage accredited trainer or trainer of trainers, active,
  lapsed or suspended, not exited) whose accreditation is active, unexpired and whose standing for the period is
  complete — the deliveries and CPD hours training.rules.standing asks for / those trainers;
- licence: 1/1 when an active licence covers today and the day after the next 30 days (a renewal in force
  counts), else 0/1 — a licence ending within 30 days, as the expiry reminders count them, scores nothing;
- audit: the latest completed audit's current points (supervision.fidelity.rules.latest_audit_points).

A component whose denominator is 0 (no active mentors, no incident due, no accredited trainer, never audited)
is missing: its value is None and the score is computed over the present ones, re-weighted:
score = round(Σ weight × value / Σ weight of the present components), None when no weight is present.

Every partner's score takes the same handful of queries (each component one grouped query over all the
partners asked for), however many partners and mentors there are.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.errors import Invalid, NotFound, NotPermitted
from core.tenancy import COORDINATOR, access_for
from franchise.models import Licence, Partner, PolicyAcknowledgement, PolicyVersion
from franchise.querysets import policy_value
from supervision.fidelity import rules
from supervision.fidelity.models import ScorecardWeight, ScoreSnapshot
from supervision.models import BoundaryIncident, MentorStatus, Person
from supervision.sessions.compliance import supervision_compliance
from training.models import Course, CPDRecord, TrainerAccreditation

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "INCIDENT_WINDOW_DAYS",
    "LICENCE_NOTICE_DAYS",
    "Component",
    "PartnerScore",
    "partner_scores",
    "score_history",
    "scored_partners",
    "set_weights",
    "take_snapshots",
    "weights",
]

# (code, label, default weight), in the order the scorecard shows them.
COMPONENTS = (
    ("supervision_coverage", "Supervision coverage", 30),
    ("incident_timeliness", "Incident review timeliness", 20),
    ("policy_acknowledgement", "Policy acknowledgement", 15),
    ("trainer_currency", "Trainer currency", 15),
    ("licence", "Licence in force", 10),
    ("audit", "Latest fidelity audit", 10),
)
DEFAULT_WEIGHTS = {code: weight for code, _label, weight in COMPONENTS}
LABELS = {code: label for code, label, _weight in COMPONENTS}
INCIDENT_WINDOW_DAYS = 90
LICENCE_NOTICE_DAYS = 30
HISTORY_MONTHS = 12
MAX_WEIGHT = 100


@dataclass(frozen=True)
class Component:
    """One component of a partner's score: `value` the percentage (one decimal), None when the denominator is 0."""

    code: str
    label: str
    weight: int
    value: float | None
    numerator: int | float
    denominator: int | float

    @property
    def present(self):
        return self.value is not None

    def as_dict(self):
        return {
            "code": self.code,
            "weight": self.weight,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class PartnerScore:
    partner_id: object
    score: int | None
    components: tuple
    computed_at: datetime

    def component(self, code):
        return next(component for component in self.components if component.code == code)


# --- weights ---------------------------------------------------------------------------


def weights():
    """{code: weight} for every component, in COMPONENTS order: the licensor's, else the default."""
    stored = dict(ScorecardWeight.objects.filter(code__in=DEFAULT_WEIGHTS).values_list("code", "weight"))
    return {code: stored.get(code, default) for code, default in DEFAULT_WEIGHTS.items()}


def set_weights(user, changes):
    """Change some components' weights (licensor admins only): `changes` is {code: weight}, each weight a whole
    number from 0 to 100, and at least one component keeps a weight. Nothing is written unless every change is
    valid. Returns the weights now in force."""
    if not access_for(user).is_licensor:
        raise NotPermitted("Only the licensing organisation sets the scorecard's weights.")
    if not isinstance(changes, dict) or not changes:
        raise Invalid("Give at least one component code and its weight.", code="no_changes")
    for code, weight in changes.items():
        if code not in DEFAULT_WEIGHTS:
            raise Invalid(
                f"{code!s} is not a scorecard component; the components are {', '.join(DEFAULT_WEIGHTS)}.",
                code="unknown_component",
                field=str(code),
            )
        # A JSON true is an int to Python; a weight is never a switch.
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
            raise Invalid(
                f"The weight of {code} is a whole number from 0 to {MAX_WEIGHT}.", code="invalid_weight", field=code
            )
    with transaction.atomic():
        merged = {**weights(), **changes}
        if not any(merged.values()):
            raise Invalid("At least one component keeps a weight above 0.", code="all_weights_zero")
        for code, weight in changes.items():
            ScorecardWeight.objects.update_or_create(code=code, defaults={"weight": weight})
    return merged


# --- scores ----------------------------------------------------------------------------


def scored_partners(user):
    """The partners whose scores `user` reads, by name: every partner for licensor admins, their own for
    coordinators, none for anybody else (as the snapshots' visibility)."""
    access = access_for(user)
    partners = Partner.objects.order_by("name", "pk")
    return partners if access.is_licensor else partners.filter(pk__in=access.partner_ids([COORDINATOR]))


def partner_scores(user, partner_ids=None, on=None):
    """The scores of every partner `user` may read (scored_partners), of `partner_ids` when given, by partner
    name, computed for the day `on` (today when None)."""
    partners = scored_partners(user)
    if partner_ids is not None:
        partners = partners.filter(pk__in=list(partner_ids))
    return _scores(partners, on=on, narrowed=not access_for(user).is_licensor or partner_ids is not None)


def score_history(user, partner, since=None):
    """[(date, score)] of `partner`'s daily snapshots from `since` (12 months ago when None), oldest first. A
    partner the user is no member of is NotFound; a member who is not its coordinator is NotPermitted."""
    partner_id = getattr(partner, "pk", partner)
    access = access_for(user)
    if not access.can_see_partner(partner_id):
        raise NotFound(code="partner_not_visible")
    if not access.is_licensor and not access.has_role(partner_id, [COORDINATOR]):
        raise NotPermitted("A partner's score history is for its coordinators and the licensing organisation.")
    since = since or timezone.localdate() - relativedelta(months=HISTORY_MONTHS)
    snapshots = ScoreSnapshot.objects.filter(partner_id=partner_id, taken_on__gte=since).order_by("taken_on")
    return list(snapshots.values_list("taken_on", "score"))


def take_snapshots(on=None):
    """Store every partner's score of the day `on` (today when None). Idempotent: a partner that already has its
    snapshot of that day keeps it, and two runs at once write each snapshot once (the unique constraint, with
    conflicts ignored). Returns how many snapshots this call computed and stored (fewer were new if another run
    stored some of them first)."""
    on = on or timezone.localdate()
    taken = set(ScoreSnapshot.objects.filter(taken_on=on).values_list("partner_id", flat=True))
    missing = Partner.objects.exclude(pk__in=taken)
    fresh = [
        ScoreSnapshot(
            partner_id=score.partner_id,
            taken_on=on,
            score=score.score,
            components=[component.as_dict() for component in score.components],
        )
        for score in _scores(missing, on=on, narrowed=bool(taken))
    ]
    ScoreSnapshot.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _scores(partners, *, on, narrowed):
    now = timezone.now()
    today = timezone.localdate(now)
    on = on or today
    if on != today:
        # A day other than today is read as at its end (a snapshot taken after midnight for yesterday).
        now = timezone.make_aware(datetime.combine(on, time.max))
    ahead = on + timedelta(days=LICENCE_NOTICE_DAYS + 1)
    partners = partners.order_by("name", "pk").annotate(
        licensed_now=Exists(Licence.objects.filter(partner=OuterRef("pk")).in_force_on(on)),
        licensed_ahead=Exists(Licence.objects.filter(partner=OuterRef("pk")).in_force_on(ahead)),
    )
    rows = list(partners.values_list("pk", "licensed_now", "licensed_ahead"))
    if not rows:
        return []
    ids = [pk for pk, _now, _ahead in rows] if narrowed else None
    in_force = weights()
    mentors = _mentor_counts(ids, on, now)
    incidents = _incident_counts(ids, now)
    trainers = _trainer_counts(ids, on, now)
    audits = rules.latest_audit_points(partner_ids=ids, on=on)
    scores = []
    for partner_id, licensed_now, licensed_ahead in rows:
        active, not_overdue, acknowledged = mentors.get(partner_id, (0, 0, 0))
        due, on_time = incidents.get(partner_id, (0, 0))
        accredited, current = trainers.get(partner_id, (0, 0))
        earned, applicable, _audit_id = audits.get(partner_id, (0, 0, None))
        figures = {
            "supervision_coverage": (not_overdue, active),
            "incident_timeliness": (on_time, due),
            "policy_acknowledgement": (acknowledged, active),
            "trainer_currency": (current, accredited),
            "licence": (int(licensed_now and licensed_ahead), 1),
            "audit": (earned, applicable),
        }
        scores.append(_score(partner_id, figures, in_force, now))
    return scores


def _score(partner_id, figures, in_force, now):
    components, weighted, weight_present = [], Fraction(0), 0
    for code, _label, _default in COMPONENTS:
        numerator, denominator = figures[code]
        share = Fraction(numerator) / Fraction(denominator) * 100 if denominator else None
        if share is not None:
            weighted += in_force[code] * share
            weight_present += in_force[code]
        components.append(
            Component(
                code=code,
                label=LABELS[code],
                weight=in_force[code],
                value=None if share is None else float(_rounded(share, "0.1")),
                numerator=_number(numerator),
                denominator=_number(denominator),
            )
        )
    score = int(_rounded(weighted / weight_present, "1")) if weight_present else None
    return PartnerScore(partner_id=partner_id, score=score, components=tuple(components), computed_at=now)


def _rounded(fraction, places):
    """Half away from zero, as people round a percentage (Python's round() rounds half to even)."""
    return (Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(Decimal(places), ROUND_HALF_UP)


def _number(figure):
    figure = Decimal(figure)
    return int(figure) if figure == figure.to_integral_value() else float(figure)


def _of(rows, ids, path="partner_id"):
    return rows if ids is None else rows.filter(**{f"{path}__in": ids})


def _mentor_counts(ids, on, now):
    """{partner_id: (active mentors, not overdue, acknowledged the version in force)}: the compliance rows
    grouped by partner, and the acknowledgements of each partner's version in force by its active mentors, one
    query each. Overdue is the compliance rows' own rule: the next due date has passed."""
    rows = supervision_compliance(_of(Person.objects.all(), ids), today=on, now=now).order_by().values("partner_id")
    rows = rows.annotate(active=Count("pk"), not_overdue=Count("pk", filter=Q(next_due_on__gte=on)))
    in_force = Partner.objects.annotate(version=PolicyVersion.objects.in_force_subquery(OuterRef("pk"), at=now))
    acknowledged = PolicyAcknowledgement.objects.filter(
        policy_version__in=in_force.values("version"), person__mentor_status=MentorStatus.ACTIVE
    )
    acknowledged = _of(acknowledged, ids).order_by().values("partner_id").annotate(n=Count("pk"))
    acknowledged = {row["partner_id"]: row["n"] for row in acknowledged}
    return {
        row["partner_id"]: (row["active"], row["not_overdue"], acknowledged.get(row["partner_id"], 0)) for row in rows
    }


def _incident_counts(ids, now):
    """{partner_id: (incidents due for review, reviewed by their deadline)} of the last 90 days."""
    incidents = _of(BoundaryIncident.objects.all(), ids).filter(
        occurred_at__gt=now - timedelta(days=INCIDENT_WINDOW_DAYS), occurred_at__lte=now
    )
    due = Q(reviewed_at__isnull=False) | Q(review_due_at__lt=now)
    rows = (
        incidents.order_by()
        .values("partner_id")
        .annotate(due=Count("pk", filter=due), on_time=Count("pk", filter=Q(reviewed_at__lte=F("review_due_at"))))
    )
    return {row["partner_id"]: (row["due"], row["on_time"]) for row in rows}


def _count(rows):
    """An expression: how many `rows` (a queryset correlated with OuterRef) there are, 0 for none."""
    counted = rows.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted), Value(0))


def _trainer_counts(ids, on, now):
    """{partner_id: (accredited trainers, current ones)}, standing computed in the database as
    training.rules.standing computes it for one accreditation."""
    stage, status = TrainerAccreditation.Stage, TrainerAccreditation.Status
    # Led and co-taught counted apart, each through its own index (a course's lead, a co-trainer's rows): one
    # condition "led or co-taught" would read every course of the programme for every trainer.
    period = {"ends_on__gte": OuterRef("period_starts_on"), "ends_on__lte": OuterRef("expires_on")}
    led = Course.objects.filter(
        lead_trainer=OuterRef("person"), programme=OuterRef("programme"), status=Course.Status.COMPLETED, **period
    )
    co_taught = Course.co_trainers.through.objects.filter(
        person=OuterRef("person"),
        course__programme=OuterRef("programme"),
        course__status=Course.Status.COMPLETED,
        **{f"course__{name}": value for name, value in period.items()},
    ).exclude(course__lead_trainer=OuterRef("person"))
    hours = (
        CPDRecord.objects.filter(
            person=OuterRef("person"), date__gte=OuterRef("period_starts_on"), date__lte=OuterRef("expires_on")
        )
        .order_by()
        .values("person")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    accreditations = (
        _of(TrainerAccreditation.objects.all(), ids)
        .filter(
            stage__in=TrainerAccreditation.stages_from(stage.ACCREDITED_TRAINER),
            status__in=(status.ACTIVE, status.LAPSED, status.SUSPENDED),
        )
        .exclude(person__mentor_status=MentorStatus.EXITED)
        .annotate(
            deliveries=_count(led) + _count(co_taught),
            cpd_hours=Coalesce(Subquery(hours), Value(Decimal(0))),
            deliveries_required=policy_value("deliveries_required_per_period", at=now),
            cpd_hours_required=policy_value("cpd_hours_required_per_period", at=now),
        )
    )
    current = Q(
        status=status.ACTIVE,
        expires_on__gte=on,
        deliveries__gte=F("deliveries_required"),
        cpd_hours__gte=F("cpd_hours_required"),
    )
    rows = (
        accreditations.order_by().values("partner_id").annotate(total=Count("pk"), current=Count("pk", filter=current))
    )
    return {row["partner_id"]: (row["total"], row["current"]) for row in rows}
