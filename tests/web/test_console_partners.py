"""The console's partners overview and partner page, on hand-built worlds: the figures the licensor reads are the
domain's, the table sorts, nobody else gets in, and the page costs the same queries for 2 partners as for 6."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchise.models import Role
from supervision.fidelity.models import CorrectiveAction
from supervision.fidelity.scorecard import partner_scores, set_weights
from supervision.models import BoundaryIncident
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import LicenceFactory, LicenceFeeFactory
from tests.supervision.factories import (
    AuditFactory,
    BoundaryIncidentFactory,
    CorrectiveActionFactory,
    PersonFactory,
    ScoreSnapshotFactory,
    SupervisionSessionFactory,
)
from tests.supervision.fidelity.test_scorecard import overdue_mentor, supervised_mentor
from tests.training.factories import TrainerAccreditationFactory
from tests.web.test_accounts import sign_in
from web.console.base import CONSOLE_AREAS

pytestmark = pytest.mark.django_db

PARTNER_ROLES = (Role.COORDINATOR, Role.SUPERVISOR, Role.TRAINER, Role.MENTOR)


def _text(fragment):
    fragment = re.sub(r"<svg.*?</svg>", " ", fragment, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def rows_of(response):
    """[{column: text}] of the overview's table, in the order shown."""
    body = re.search(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S).group(1)
    return [
        {
            label: _text(cell)
            for label, cell in re.findall(r'<t[hd][^>]*data-label="([^"]+)"[^>]*>(.*?)</t[hd]>', row, re.S)
        }
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def row_for(response, name):
    (row,) = [row for row in rows_of(response) if row["Partner"] == name]
    return row


def busy_partner(name="Northfield"):
    """A partner with a little of everything the overview counts, and some that it must not count."""
    partner = PartnerFactory(name=name)
    licence = LicenceFactory(partner=partner, ends_on=timezone.localdate() + timedelta(days=200))
    LicenceFactory(partner=partner, expired=True)
    mentor = supervised_mentor(partner)
    supervised_mentor(partner)
    overdue_mentor(partner)
    PersonFactory(partner=partner, applicant=True)  # not an active mentor
    now = timezone.now()
    for severity in ("high", "low", "high"):
        BoundaryIncidentFactory(partner=partner, mentor=mentor, severity=severity, occurred_at=now - timedelta(days=10))
    BoundaryIncidentFactory(partner=partner, mentor=mentor, severity="critical", occurred_at=now - timedelta(days=120))
    TrainerAccreditationFactory(partner=partner)
    TrainerAccreditationFactory(partner=partner, expires_on=timezone.localdate() + timedelta(days=30))
    TrainerAccreditationFactory(partner=partner, candidate=True)
    TrainerAccreditationFactory(partner=partner, lapsed=True)
    audit = AuditFactory(partner=partner, completed=True)
    CorrectiveActionFactory(partner=partner, audit=audit)
    CorrectiveActionFactory(partner=partner, audit=audit, overdue=True)
    CorrectiveActionFactory(partner=partner, audit=audit, status=CorrectiveAction.Status.ACCEPTED)
    LicenceFeeFactory(partner=partner, licence=licence, overdue=True)
    LicenceFeeFactory(partner=partner, licence=licence)
    return partner, licence, audit


def test_a_licensor_admin_signs_in_to_the_console_overview(client, licensor):
    sign_in(client, licensor.email)

    assert client.get("/", follow=True).redirect_chain == [("/console/partners/", 302)]


def test_a_licensor_who_also_works_at_a_partner_chooses_between_it_and_every_area_of_the_console(
    client, licensor, partner
):
    licensor.memberships.create(partner=partner, role=Role.TRAINER)
    client.force_login(licensor)
    start = client.get("/")

    assert start.status_code == 200
    html = start.content.decode()
    assert f'href="/{partner.slug}/"' in html
    unlinked = [label for _key, label, url_name in CONSOLE_AREAS if f'href="{reverse(url_name)}"' not in html]
    assert not unlinked, f"The start page names no link to: {', '.join(unlinked)}"


def test_the_console_typed_as_an_address_opens_the_partners_overview(client, licensor, coordinator):
    client.force_login(licensor)
    assert client.get("/console/", follow=True).redirect_chain == [("/console/partners/", 302)]

    client.force_login(coordinator)
    assert client.get("/console/").status_code == 404


def test_the_overview_shows_each_partners_figures_as_the_domain_counts_them(page_for, licensor):
    partner, licence, _ = busy_partner()
    PartnerFactory(name="Quiet Harbour")
    (score,) = partner_scores(licensor, partner_ids=[partner.pk])

    response = page_for(licensor).get("/console/partners/")

    assert response.status_code == 200
    row = row_for(response, "Northfield")
    assert row["Score"] == str(score.score)
    assert row["Licence"] == f"Active ends {licence.ends_on:%-d %b %Y}"
    assert row["Active mentors"] == "3"
    assert row["Supervision overdue"] == "1"
    assert row["Incidents, last 90 days"] == "3 2 high, 1 low"
    assert row["Accredited trainers"] == "2"
    assert row["Trainers expiring in 60 days"] == "1"
    assert row["Open corrective actions"] == "2 (1 overdue)"
    assert row["Fees overdue"] == "1"
    quiet = row_for(response, "Quiet Harbour")
    assert quiet["Licence"] == "No licence" and quiet["Active mentors"] == "0"


def test_each_figure_leads_to_where_it_comes_from(page_for, licensor):
    partner, licence, _ = busy_partner()

    page = page_for(licensor).get("/console/partners/").content.decode()

    here = f"/console/partners/{partner.pk}/"
    for target in (f"{here}#scorecard", f"{here}#figures", f"{here}#actions", f"{here}#fees"):
        assert f'href="{target}"' in page
    assert f'href="/console/licences/{licence.pk}/"' in page
    assert f'href="/console/figures/?partner={partner.pk}"' in page


def test_the_score_carries_its_trend_over_twelve_months_in_words(page_for, licensor):
    partner = PartnerFactory(name="Northfield")
    today = timezone.localdate()
    ScoreSnapshotFactory(partner=partner, taken_on=today - timedelta(days=400), score=10)  # too old to count
    ScoreSnapshotFactory(partner=partner, taken_on=(today.replace(day=1) - timedelta(days=200)), score=90)
    ScoreSnapshotFactory(partner=partner, taken_on=today, score=70)

    page = page_for(licensor).get("/console/partners/").content.decode()

    (label,) = re.findall(r'<svg class="sparkline" role="img" aria-label="([^"]+)"', page)
    first = today.replace(day=1) - timedelta(days=200)
    assert html.unescape(label) == f"Score: 90 in {first:%b %Y}, 70 in {today:%b %Y} — falling by 20"


def _sortable_world():
    a = PartnerFactory(name="Alder")
    b = PartnerFactory(name="Birch")
    c = PartnerFactory(name="Cedar")
    supervised_mentor(a)
    overdue_mentor(b)
    overdue_mentor(b)
    overdue_mentor(c)
    supervised_mentor(c)
    for _ in range(3):
        LicenceFeeFactory(partner=a, overdue=True)
    return a, b, c


def _names(response):
    return [row["Partner"] for row in rows_of(response)]


def test_the_overview_sorts_by_each_column_both_ways(page_for, licensor):
    _sortable_world()
    client = page_for(licensor)

    assert _names(client.get("/console/partners/?sort=partner")) == ["Alder", "Birch", "Cedar"]
    assert _names(client.get("/console/partners/?sort=-partner")) == ["Cedar", "Birch", "Alder"]
    # Alder 100, Cedar 50, Birch 0 on supervision coverage; the other components are missing for all three.
    assert _names(client.get("/console/partners/?sort=score")) == ["Birch", "Cedar", "Alder"]
    assert _names(client.get("/console/partners/?sort=-score")) == ["Alder", "Cedar", "Birch"]
    assert _names(client.get("/console/partners/?sort=-overdue")) == ["Birch", "Cedar", "Alder"]
    assert _names(client.get("/console/partners/?sort=-fees")) == ["Alder", "Birch", "Cedar"]
    assert _names(client.get("/console/partners/?sort=nonsense")) == ["Birch", "Cedar", "Alder"]  # the default


def test_the_sorted_column_says_so_and_its_link_reverses_it(page_for, licensor):
    _sortable_world()

    page = page_for(licensor).get("/console/partners/?sort=-overdue").content.decode()

    sorted_headers = re.findall(r'<th scope="col"[^>]*aria-sort="(\w+)"[^>]*><a class="sort-link" href="([^"]+)"', page)
    assert sorted_headers == [("descending", "?sort=overdue")]
    assert 'href="?sort=-fees"' in page and 'href="?sort=partner"' in page
    # A phone, where the headings are hidden, sorts from a menu.
    assert '<option value="-overdue" selected>Supervision overdue, highest first</option>' in page


def test_a_partner_without_a_score_goes_last_whichever_way_the_scores_sort(page_for, licensor):
    _sortable_world()
    PartnerFactory(name="Aspen")  # no mentor: with the licence weighing nothing, nothing to score
    set_weights(licensor, {"licence": 0})

    client = page_for(licensor)

    assert _names(client.get("/console/partners/?sort=score"))[-1] == "Aspen"
    assert _names(client.get("/console/partners/?sort=-score"))[-1] == "Aspen"


def test_the_partner_page_shows_every_component_with_its_figures(page_for, licensor):
    partner, licence, audit = busy_partner()
    (score,) = partner_scores(licensor, partner_ids=[partner.pk])

    response = page_for(licensor).get(f"/console/partners/{partner.pk}/")

    assert response.status_code == 200
    scorecard = re.search(r'<section class="card" id="scorecard".*?</section>', response.content.decode(), re.S)
    rows = [_text(row) for row in re.findall(r"<tr>(.*?)</tr>", scorecard.group(0), re.S)][1:]
    assert len(rows) == len(score.components) == 6
    for component, row in zip(score.components, rows, strict=True):
        figures = f"{component.numerator} of {component.denominator}" if component.denominator else "none to count"
        value = "Missing — left out, the others re-weighted" if component.value is None else f"{component.value:g}%"
        assert row == f"{component.label} {figures} {component.weight} {value}"
    assert f"Score {score.score} out of 100" in _text(response.content.decode())


def test_the_partner_page_links_its_audits_actions_licences_and_fees(page_for, licensor):
    partner, licence, audit = busy_partner()
    open_actions = CorrectiveAction.objects.filter(partner=partner).exclude(status="accepted")
    accepted = CorrectiveAction.objects.get(partner=partner, status="accepted")

    page = page_for(licensor).get(f"/console/partners/{partner.pk}/").content.decode()

    assert f'href="/console/audits/{audit.pk}/"' in page
    for action in open_actions:
        assert f'href="/console/corrective-actions/{action.pk}/"' in page
    assert f"/console/corrective-actions/{accepted.pk}/" not in page
    assert f'href="/console/licences/{licence.pk}/"' in page
    overdue_fee = licence.fees.get(status="overdue")
    assert f'href="/console/fees/{overdue_fee.pk}/"' in page and overdue_fee.reference in page
    figures = _text(re.search(r'id="figures".*?</section>', page, re.S).group(0))
    assert "3 active mentors" in figures and "1 overdue for supervision" in figures
    assert "3 incidents in the last 90 days (2 high, 1 low)" in figures
    assert "2 accredited trainers 1 trainers expiring within 60 days" in figures


def test_the_partner_page_draws_its_trend_with_the_same_figures_in_a_table(page_for, licensor):
    partner = PartnerFactory()
    today = timezone.localdate()
    ScoreSnapshotFactory(partner=partner, taken_on=today, score=60)
    ScoreSnapshotFactory(partner=partner, taken_on=today - timedelta(days=today.day), score=80)

    page = page_for(licensor).get(f"/console/partners/{partner.pk}/").content.decode()

    trend = re.search(r'id="trend".*?</section>', page, re.S).group(0)
    points = re.findall(r'<circle class="chart__point"[^>]*><title>([^<]+)</title>', trend)
    last_month = today - timedelta(days=today.day)
    assert [html.unescape(point) for point in points] == [f"Score, {last_month:%b %Y}: 80", f"Score, {today:%b %Y}: 60"]
    table = _text(re.search(r"<table>.*?</table>", trend, re.S).group(0))
    assert f"{last_month:%b %Y} 80 {today:%b %Y} 60" in table


DISTINCT_NAME = "Zebediah Quillfeather"
DISTINCT_DESCRIPTION = "Purple-elephant confided account"
DISTINCT_NOTE = "Tangerine supervision remark"


def _private_world():
    partner = PartnerFactory(name="Northfield")
    mentor = PersonFactory(partner=partner, active_mentor=True, name=DISTINCT_NAME)
    BoundaryIncidentFactory(partner=partner, mentor=mentor, description=DISTINCT_DESCRIPTION, escalated=True)
    SupervisionSessionFactory(partner=partner, supervisee=mentor, held=True, notes=DISTINCT_NOTE)
    TrainerAccreditationFactory(partner=partner, person=mentor)
    return partner


@pytest.mark.parametrize(
    "url", ["/console/partners/", "/console/partners/{pk}/", "/console/figures/", "/console/figures/?partner={pk}"]
)
def test_no_page_shows_a_mentors_name_an_incident_description_or_a_supervision_note(page_for, licensor, url):
    partner = _private_world()
    assert BoundaryIncident.objects.filter(description=DISTINCT_DESCRIPTION).exists()

    response = page_for(licensor).get(url.format(pk=partner.pk))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    for private in (DISTINCT_NAME, "Zebediah", "Quillfeather", DISTINCT_DESCRIPTION, DISTINCT_NOTE):
        assert private not in page


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_every_partner_role_gets_a_404(page_for, partner, role):
    member = user_with_role(role, partner)
    client = page_for(member)

    for url in ("/console/partners/", f"/console/partners/{partner.pk}/", "/console/figures/"):
        assert client.get(url).status_code == 404, url


def test_an_unknown_partner_is_a_404(page_for, licensor):
    client = page_for(licensor)

    assert client.get("/console/partners/00000000-0000-0000-0000-000000000000/").status_code == 404


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_overview_and_a_partner_page_cost_the_same_queries_for_2_partners_as_for_6(page_for, licensor):
    client = page_for(licensor)
    first, *_ = [busy_partner(f"Partner {n}")[0] for n in range(2)]
    overview_for_2, page_for_2 = (
        _queries(client, "/console/partners/"),
        _queries(client, f"/console/partners/{first.pk}/"),
    )

    for n in range(2, 6):
        busy_partner(f"Partner {n}")
    for _ in range(3):
        busy_extra = AuditFactory(partner=first, completed=True)
        CorrectiveActionFactory(partner=first, audit=busy_extra)
        supervised_mentor(first)

    assert _queries(client, "/console/partners/") == overview_for_2
    assert _queries(client, f"/console/partners/{first.pk}/") == page_for_2


def test_the_overview_and_the_api_agree_on_every_demo_partners_score(demo, page_for, client_for):
    licensor = demo["licensor"]
    listed = client_for(licensor).get("/api/v1/partner-scores/", {"page_size": 100}).json()
    by_api = {row["partner"]: row["score"] for row in listed["results"]}
    assert len(by_api) == len(demo["partners"]) >= 2

    response = page_for(licensor).get("/console/partners/")

    page = response.content.decode()
    shown = {}
    for partner in demo["partners"]:
        found = re.search(
            rf'aria-label="{re.escape(html.escape(partner.name))}: (?:score (\d+) out of 100|no score yet)"', page
        )
        shown[str(partner.pk)] = int(found.group(1)) if found.group(1) else None
    assert shown == by_api
