"""The console's programmes: the list with its counts, and one programme's units with their criteria by kind."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from franchise.models import Criterion
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


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_members_get_404(page_for, partner, role):
    programme = ProgrammeFactory()
    client = page_for(user_with_role(role, partner))

    assert client.get("/console/programmes/").status_code == 404
    assert client.get(f"/console/programmes/{programme.pk}/").status_code == 404
