"""The console's fidelity figures: incidents by month, category and severity, and the partners' scores over time,
each as a chart with the same figures in a table beside it. Across every partner, or one (`?partner=<id>`)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from franchise.models import Partner
from supervision.fidelity.overview import TREND_MONTHS, incident_figures, score_figures
from web.console import charts
from web.console.base import licensor_page


def _month(day):
    return day.strftime("%b %Y")


def month_axis(months):
    """The x-axis of a chart by month: its ticks ("Jan") and its label, which says the years they span."""
    if not months:
        return [], "Month"
    return [month.strftime("%b") for month in months], f"Month, {_month(months[0])} to {_month(months[-1])}"


def _chosen_partner(request):
    wanted = request.GET.get("partner", "")
    if not wanted:
        return None
    try:
        return Partner.objects.visible_to(request.user).get(pk=wanted)
    except (Partner.DoesNotExist, ValidationError) as error:
        raise Http404("No such partner.") from error


@licensor_page
def figures(request):
    partner = _chosen_partner(request)
    partner_ids = [partner.pk] if partner else None
    incidents = incident_figures(request.user, partner_ids=partner_ids)
    scores = score_figures(request.user, partner_ids=partner_ids)
    whose = partner.name if partner else "All partners"
    months = [_month(month.month) for month in scores]
    score_ticks, score_axis = month_axis([month.month for month in scores])
    incident_ticks, incident_axis = month_axis([month for month, _ in incidents.months])
    score_series = [("Average", [month.average for month in scores])]
    if not partner:
        score_series += [
            ("Lowest", [month.lowest for month in scores]),
            ("Highest", [month.highest for month in scores]),
        ]
    return render(
        request,
        "web/console/figures.html",
        {
            "console_nav": "figures",
            "partner": partner,
            "partners": Partner.objects.visible_to(request.user).order_by("name").only("pk", "name"),
            "months_shown": TREND_MONTHS,
            "incidents": incidents,
            "scores": scores,
            "by_month_chart": charts.bar_chart(
                title=f"{whose}: incidents by month",
                bars=[(_month(month), count) for month, count in incidents.months],
                ticks=incident_ticks,
                x_label=incident_axis,
                y_label="Incidents",
            ),
            "by_category_chart": charts.bar_chart(
                title=f"{whose}: incidents by category, last {TREND_MONTHS} months",
                bars=[(label, count) for _, label, count in incidents.categories],
                x_label="Category",
                y_label="Incidents",
                horizontal=True,
            ),
            "by_severity_chart": charts.bar_chart(
                title=f"{whose}: incidents by severity, last {TREND_MONTHS} months",
                bars=[(label, count) for _, label, count in incidents.severities],
                x_label="Severity",
                y_label="Incidents",
            ),
            "scores_chart": charts.line_chart(
                title=f"{whose}: scores by month",
                labels=months,
                ticks=score_ticks,
                series=score_series,
                x_label=score_axis,
                y_label="Score",
            ),
        },
    )


urlpatterns = [path("figures/", figures, name="console-figures")]
