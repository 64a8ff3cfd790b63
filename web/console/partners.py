"""The console's partners: one row per partner with its score and the figures behind it, and a page per partner
with its scorecard, trend, audits and corrective actions, licences and fees.

Figures only, from supervision.fidelity (the scorecard and overview): no mentor's name, no incident description,
no supervision note.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone

from franchise.models import Licence, LicenceFee, Partner
from supervision.fidelity.models import Audit, CorrectiveAction
from supervision.fidelity.overview import INCIDENT_DAYS, TRAINER_EXPIRY_DAYS, partner_overview
from web.console import charts
from web.console.base import licensor_page
from web.console.figures import month_axis

AUDITS_SHOWN = 20
ACTIONS_SHOWN = 50
LICENCES_SHOWN = 20
FEES_SHOWN = 50


def _score(row):
    return row.score.score if row.score else None


# (key, heading, the value it sorts by, the direction of a first click): counts open on the largest first, the
# score on the lowest, so that the first click shows who needs attention.
COLUMNS = (
    ("partner", "Partner", lambda row: row.partner.name.casefold(), "ascending"),
    ("score", "Score", _score, "ascending"),
    ("licence", "Licence", lambda row: row.licence.ends_on if row.licence else None, "ascending"),
    ("mentors", "Active mentors", lambda row: row.active_mentors, "descending"),
    ("overdue", "Supervision overdue", lambda row: row.supervision_overdue, "descending"),
    ("incidents", f"Incidents, last {INCIDENT_DAYS} days", lambda row: row.incidents_total, "descending"),
    ("trainers", "Accredited trainers", lambda row: row.trainers, "descending"),
    ("expiring", f"Trainers expiring in {TRAINER_EXPIRY_DAYS} days", lambda row: row.trainers_expiring, "descending"),
    ("actions", "Open corrective actions", lambda row: row.open_actions, "descending"),
    ("fees", "Fees overdue", lambda row: row.fees_overdue, "descending"),
)
SORT_KEYS = {key: value for key, _, value, _ in COLUMNS}
DEFAULT_SORT = "score"


def sorted_rows(rows, sort):
    """`rows` sorted by `sort` (a column key, `-key` for descending); a row without the figure (no score yet, no
    licence) goes last either way, and partners with the same figure stay in name order."""
    descending = sort.startswith("-")
    key = SORT_KEYS[sort.removeprefix("-")]
    rows = sorted(rows, key=lambda row: row.partner.name.casefold())
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]
    return sorted(known, key=key, reverse=descending) + unknown


def _headers(sort):
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    headers = []
    for key, label, _, first in COLUMNS:
        if key == current:
            state = "descending" if descending else "ascending"
            next_sort = key if descending else f"-{key}"
        else:
            state = None
            next_sort = key if first == "ascending" else f"-{key}"
        headers.append({"key": key, "label": label, "aria_sort": state, "url": f"?sort={next_sort}"})
    return headers


def _sort_choices():
    """The sorts a phone offers in a menu, where the table's headings are not shown."""
    choices = []
    for key, label, _, _ in COLUMNS:
        ascending, descending = ("lowest first", "highest first") if key != "partner" else ("A to Z", "Z to A")
        if key == "licence":
            ascending, descending = "ending soonest first", "ending last first"
        in_order = [(key, ascending), (f"-{key}", descending)]
        choices += [{"value": value, "label": f"{label}, {words}"} for value, words in in_order]
    return choices


def console_url(name, pk, fallback):
    """The console page `name` of `pk` (a list when `pk` is None); `fallback` while that page is not in the URL
    configuration yet."""
    try:
        return reverse(name, args=[pk] if pk is not None else [])
    except NoReverseMatch:
        return fallback


def _trend_points(trend):
    return [(month.strftime("%b %Y"), score) for month, score in trend]


@licensor_page
def partners(request):
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.removeprefix("-") not in SORT_KEYS:
        sort = DEFAULT_SORT
    rows = partner_overview(request.user)
    accreditations = console_url("console-accreditations", None, None)
    for row in rows:
        row.sparkline = charts.sparkline(_trend_points(row.trend))
        row.url = reverse("console-partner", args=[row.partner.pk])
        row.trainers_url = f"{accreditations}?partner={row.partner.pk}" if accreditations else f"{row.url}#figures"
    return render(
        request,
        "web/console/partners.html",
        {
            "console_nav": "partners",
            "rows": sorted_rows(rows, sort),
            "headers": _headers(sort),
            "sort_choices": _sort_choices(),
            "sort": sort,
            "incident_days": INCIDENT_DAYS,
            "expiry_days": TRAINER_EXPIRY_DAYS,
            "figures_url": reverse("console-figures"),
        },
    )


@licensor_page
def partner_detail(request, partner_id):
    partner = get_object_or_404(Partner.objects.visible_to(request.user), pk=partner_id)
    (figures,) = partner_overview(request.user, partner_ids=[partner.pk])
    trend = _trend_points(figures.trend)
    ticks, axis = month_axis([month for month, _ in figures.trend])
    audits = list(Audit.objects.visible_to(request.user).filter(partner=partner)[:AUDITS_SHOWN])
    for audit in audits:
        audit.url = console_url("console-audit", audit.pk, f"/console/audits/{audit.pk}/")
    actions = list(
        CorrectiveAction.objects.visible_to(request.user)
        .filter(partner=partner)
        .unresolved()
        .select_related("question", "audit")[:ACTIONS_SHOWN]
    )
    for action in actions:
        action.url = console_url("console-corrective-action", action.pk, f"/console/corrective-actions/{action.pk}/")
    return render(
        request,
        "web/console/partner.html",
        {
            "console_nav": "partners",
            "partner": partner,
            "figures": figures,
            "trend": trend,
            "trend_words": charts.trend_in_words(trend),
            "trend_chart": charts.line_chart(
                title=f"{partner.name}: score by month",
                labels=[label for label, _ in trend],
                ticks=ticks,
                series=[("Score", [score for _, score in trend])],
                x_label=axis,
                y_label="Score",
            ),
            "audits": audits,
            "actions": actions,
            "licences": Licence.objects.visible_to(request.user)
            .filter(partner=partner)
            .select_related("programme")
            .order_by("-starts_on")[:LICENCES_SHOWN],
            "fees": LicenceFee.objects.visible_to(request.user)
            .filter(partner=partner)
            .select_related("partner", "licence")
            .order_by("-due_on", "reference")[:FEES_SHOWN],
            "today": timezone.localdate(),
            "incident_days": INCIDENT_DAYS,
            "expiry_days": TRAINER_EXPIRY_DAYS,
            "figures_url": reverse("console-figures"),
        },
    )


@licensor_page
def console_start(request):
    """`/console/` itself, as a licensor would type it: the overview of the partners, where the console starts."""
    return redirect("console-partners")


urlpatterns = [
    path("", console_start, name="console"),
    path("partners/", partners, name="console-partners"),
    path("partners/<uuid:partner_id>/", partner_detail, name="console-partner"),
]
