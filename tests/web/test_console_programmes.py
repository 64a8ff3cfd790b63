"""The console's programmes: the list with its counts, and one programme's units with their criteria by kind."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from franchise.models import Criterion, Programme
from tests.factories import user_with_role
from tests.franchise.factories import CriterionFactory, ProgrammeFactory, UnitFactory
from tests.web.test_walkers import PARTNER_ROLES

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_list_counts_each_programmes_units_and_criteria(page_for, licensor):
    programme = ProgrammeFactory(name="Peer Mentoring Level 3", code="PM-L3")
    UnitFactory(programme=programme, criteria=(3, 2))
    UnitFactory(programme=programme, criteria=(1, 0))

    page = _text(page_for(licensor).get("/console/programmes/"))

    assert "Peer Mentoring Level 3 PM-L3 Level 3 Open Awards 1 2 4 performance, 2 knowledge" in page


def test_a_programme_shows_each_unit_with_its_performance_and_knowledge_criteria(page_for, licensor):
    programme = ProgrammeFactory()
    unit = UnitFactory(programme=programme, code="U1", title="Peer training and mentoring")
    CriterionFactory(unit=unit, code="P1", text="Agrees boundaries with the mentee.")
    CriterionFactory(unit=unit, code="K1", kind=Criterion.Kind.KNOWLEDGE, text="Explains why supervision matters.")

    page = _text(page_for(licensor).get(f"/console/programmes/{programme.pk}/"))

    assert "U1 Peer training and mentoring" in page
    assert "Performance criteria (1) P1 Agrees boundaries with the mentee." in page
    assert "Knowledge criteria (1) K1 Explains why supervision matters." in page


def test_the_pages_make_the_same_queries_whatever_the_programmes_and_criteria(page_for, licensor):
    client = page_for(licensor)
    programme = ProgrammeFactory()
    UnitFactory(programme=programme, criteria=(1, 1))
    urls = ("/console/programmes/", f"/console/programmes/{programme.pk}/")

    def queries(url):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    few = [queries(url) for url in urls]
    UnitFactory(programme=programme, criteria=(4, 3))
    UnitFactory(programme=ProgrammeFactory(), criteria=(2, 2))
    assert [queries(url) for url in urls] == few


def test_the_licensor_adds_a_programme_and_a_taken_code_is_refused_next_to_it(page_for, licensor):
    ProgrammeFactory(code="PM-L3")
    client = page_for(licensor)
    form = {"name": "Peer Mentoring Level 2", "code": "PM-L3", "level": "Level 2", "version": "1"}

    refused = client.post("/console/programmes/", form)
    assert refused.status_code == 400
    assert re.search(r'id="id_code_error_1"[^>]*>.*?taken', refused.content.decode(), re.S)
    assert not Programme.objects.filter(name="Peer Mentoring Level 2").exists()

    added = client.post("/console/programmes/", {**form, "code": "PM-L2"})
    programme = Programme.objects.get(code="PM-L2")
    assert added.status_code == 302 and added["Location"] == f"/console/programmes/{programme.pk}/"


def test_the_licensor_adds_a_unit_and_a_criterion_each_refused_next_to_its_field_when_wrong(page_for, licensor):
    programme = ProgrammeFactory()
    unit = UnitFactory(programme=programme, code="U1", title="Peer training and mentoring")
    client = page_for(licensor)
    base = f"/console/programmes/{programme.pk}"

    taken = client.post(f"{base}/units/", {"unit-code": "U1", "unit-title": "Again"})
    assert taken.status_code == 400 and re.search(
        r'id="id_unit-code_error_1"[^>]*>.*?already', taken.content.decode(), re.S
    )
    no_words = client.post(
        f"{base}/criteria/", {"criterion-unit": unit.pk, "criterion-kind": "knowledge", "criterion-code": "K1"}
    )
    assert no_words.status_code == 400 and 'id="id_criterion-text_error_1"' in no_words.content.decode()
    other_unit = UnitFactory()
    foreign = client.post(
        f"{base}/criteria/",
        {"criterion-unit": other_unit.pk, "criterion-kind": "knowledge", "criterion-code": "K1", "criterion-text": "x"},
    )
    assert foreign.status_code == 400 and 'id="id_criterion-unit_error_1"' in foreign.content.decode()
    assert not Criterion.objects.exists()

    client.post(f"{base}/units/", {"unit-code": "U2", "unit-title": "Supervision and reflection"})
    client.post(
        f"{base}/criteria/",
        {
            "criterion-unit": unit.pk,
            "criterion-kind": "knowledge",
            "criterion-code": "K1",
            "criterion-text": "Knows why.",
        },
    )
    page = _text(client.get(f"{base}/"))
    assert "U2 Supervision and reflection" in page and "Knowledge criteria (1) K1 Knows why." in page


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_members_get_404(page_for, partner, role):
    programme = ProgrammeFactory()
    client = page_for(user_with_role(role, partner))

    assert client.get("/console/programmes/").status_code == 404
    assert client.get(f"/console/programmes/{programme.pk}/").status_code == 404
    assert (
        client.post(f"/console/programmes/{programme.pk}/units/", {"unit-code": "U1", "unit-title": "Mine"}).status_code
        == 404
    )
    assert not programme.units.exists()
