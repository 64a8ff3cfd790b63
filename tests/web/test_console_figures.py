"""The console's fidelity figures: incidents by month, category and severity and the partners' scores over time,
each chart showing the same figures as the table beside it, across partners or for one."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchise.models import Role
from supervision.fidelity.overview import last_months
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import BoundaryRuleFactory
from tests.supervision.factories import BoundaryIncidentFactory, ScoreSnapshotFactory

pytestmark = pytest.mark.django_db


def _text(fragment):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(page, section_id):
    return re.search(rf'<section class="card" id="{section_id}".*?</section>', page, re.S).group(0)


def bars(fragment):
    """{label: value} of a bar chart's bars."""
    return {
        html.unescape(label): int(value)
        for value, label in re.findall(r'data-value="(\d+)"><title>([^<]+?): \d+</title>', fragment)
    }


def table(fragment):
    """{row heading: [cells]} of the table beside the chart."""
    body = re.search(r"<tbody>(.*?)</tbody>", fragment, re.S).group(1)
    return {
        _text(heading): [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
        for heading, cells in re.findall(r'<tr><th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', body, re.S)
    }


def _months_ago(months, day=10):
    """A moment in the month `months` before this one."""
    month = last_months(timezone.localdate(), months + 1)[0]
    return timezone.make_aware(timezone.datetime(month.year, month.month, day, 12))


@pytest.fixture
def incidents_world():
    north, south = PartnerFactory(name="Northfield"), PartnerFactory(name="Southbank")
    gifts = BoundaryRuleFactory(category="gifts_money")
    contact = BoundaryRuleFactory(category="contact")
    now = timezone.now()
    BoundaryIncidentFactory(partner=north, rule=gifts, category="gifts_money", severity="high", occurred_at=now)
    BoundaryIncidentFactory(partner=north, rule=contact, category="contact", severity="low", occurred_at=now)
    BoundaryIncidentFactory(partner=south, rule=contact, category="contact", severity="low", occurred_at=_months_ago(2))
    BoundaryIncidentFactory(
        partner=south, rule=contact, category="contact", severity="critical", occurred_at=_months_ago(14)
    )
    return north, south


def test_incidents_by_month_category_and_severity_across_partners(page_for, licensor, incidents_world):
    response = page_for(licensor).get("/console/figures/")

    assert response.status_code == 200
    page = response.content.decode()
    this_month, two_ago = (f"{day:%b %Y}" for day in (last_months(timezone.localdate())[i] for i in (-1, -3)))
    by_month = section(page, "incidents-by-month")
    assert len(bars(by_month)) == 12
    assert bars(by_month)[this_month] == 2 and bars(by_month)[two_ago] == 1 and sum(bars(by_month).values()) == 3
    assert {month: cells[0] for month, cells in table(by_month).items()} == {
        label: str(value) for label, value in bars(by_month).items()
    }
    by_category = section(page, "incidents-by-category")
    assert bars(by_category)["Contact"] == 2 and bars(by_category)["Gifts Money"] == 1
    assert table(by_category)["Contact"] == ["2"] and table(by_category)["Gifts Money"] == ["1"]
    by_severity = section(page, "incidents-by-severity")
    assert bars(by_severity) == {"Low": 2, "Medium": 0, "High": 1, "Critical": 0}  # the one of 14 months ago is out
    assert table(by_severity) == {"Low": ["2"], "Medium": ["0"], "High": ["1"], "Critical": ["0"]}


def test_one_partners_figures(page_for, licensor, incidents_world):
    north, _ = incidents_world

    page = page_for(licensor).get(f"/console/figures/?partner={north.pk}").content.decode()

    assert "<h1>Fidelity figures: Northfield</h1>" in page
    assert bars(section(page, "incidents-by-severity")) == {"Low": 1, "Medium": 0, "High": 1, "Critical": 0}
    assert f'<option value="{north.pk}" selected>Northfield</option>' in page


def test_an_unknown_partner_is_a_404(page_for, licensor):
    client = page_for(licensor)

    assert client.get("/console/figures/?partner=00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/console/figures/?partner=not-an-id").status_code == 404


def test_scores_over_time_per_month_average_lowest_and_highest(page_for, licensor):
    north, south = PartnerFactory(name="Northfield"), PartnerFactory(name="Southbank")
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    ScoreSnapshotFactory(partner=north, taken_on=today, score=90)
    ScoreSnapshotFactory(partner=south, taken_on=today, score=60)
    ScoreSnapshotFactory(partner=north, taken_on=last_month, score=70)
    ScoreSnapshotFactory(partner=north, taken_on=last_month - timedelta(days=1), score=80)  # a month averages its days

    page = page_for(licensor).get("/console/figures/").content.decode()

    scores = section(page, "scores")
    rows = table(scores)
    assert rows[f"{today:%b %Y}"] == ["2", "75", "60", "90"]
    assert rows[f"{last_month:%b %Y}"] == ["1", "75", "75", "75"]
    points = [html.unescape(p) for p in re.findall(r"<title>((?:Average|Lowest|Highest), [^<]+)</title>", scores)]
    assert f"Average, {today:%b %Y}: 75" in points and f"Lowest, {today:%b %Y}: 60" in points
    assert f"Highest, {today:%b %Y}: 90" in points and f"Average, {last_month:%b %Y}: 75" in points
    assert len(points) == 6


def test_every_chart_is_an_image_with_a_title_and_its_figures_in_words(page_for, licensor, incidents_world):
    page = page_for(licensor).get("/console/figures/").content.decode()

    titles = re.findall(r'<svg class="chart"[^>]*role="img"[^>]*>\s*<title id="[^"]+">([^<]+)</title><desc', page)
    assert [html.unescape(title) for title in titles] == [
        "All partners: incidents by month",
        "All partners: incidents by category, last 12 months",
        "All partners: incidents by severity, last 12 months",
        "All partners: scores by month",
    ]
    assert "<script" not in page.split("</head>", 1)[1]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR, Role.TRAINER, Role.MENTOR])
def test_partner_members_get_a_404(page_for, partner, role):
    assert page_for(user_with_role(role, partner)).get("/console/figures/").status_code == 404


def test_the_figures_cost_the_same_queries_for_2_partners_as_for_6(page_for, licensor):
    client = page_for(licensor)

    def world(n):
        partner = PartnerFactory(name=f"Partner {n}")
        BoundaryIncidentFactory(partner=partner)
        ScoreSnapshotFactory(partner=partner, taken_on=timezone.localdate())

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/console/figures/").status_code == 200
        return len(captured)

    for n in range(2):
        world(n)
    for_2 = queries()
    for n in range(2, 6):
        world(n)

    assert queries() == for_2
