"""The console's escalated incidents: figures in the list, the account only on an escalated incident's own page
(each read logged as the API logs it), and nothing confidential on any other console page."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from supervision.models import BoundaryIncident, IncidentAccess
from tests.factories import PartnerFactory, user_with_role
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    IncidentDiscussionFactory,
    PersonFactory,
    SupervisionSessionFactory,
)
from tests.training.factories import TrainerAccreditationFactory
from tests.web.test_walkers import PARTNER_ROLES, _walk

pytestmark = pytest.mark.django_db

DESCRIPTION = "Zanzibar-quokka description 5521"
NOTE = "Marmalade-heron supervision note 7730"
MENTOR = "Ottoline Quillfeather"


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_list_shows_escalated_incidents_across_partners_by_their_figures_only(page_for, licensor, partner):
    other = PartnerFactory(name="Harbour Justice Trust")
    mentor = PersonFactory(partner=partner, name=MENTOR, active_mentor=True)
    BoundaryIncidentFactory(partner=partner, mentor=mentor, escalated=True, critical=True, description=DESCRIPTION)
    BoundaryIncidentFactory(partner=other, escalated=True)
    BoundaryIncidentFactory(partner=other, description="Not escalated 9914")

    response = page_for(licensor).get("/console/incidents/")
    page = _text(response)

    assert partner.name in page and "Harbour Justice Trust" in page and "Critical" in page and "Escalated" in page
    assert len(re.findall(r'href="/console/incidents/[0-9a-f-]{36}/"', response.content.decode())) == 2
    for secret in (DESCRIPTION, MENTOR, "Not escalated 9914"):
        assert secret not in page


def test_opening_an_escalated_incident_shows_its_account_and_logs_each_read(page_for, licensor, partner):
    incident = BoundaryIncidentFactory(partner=partner, escalated=True, description=DESCRIPTION)
    client = page_for(licensor)

    first = client.get(f"/console/incidents/{incident.pk}/")
    client.get(f"/console/incidents/{incident.pk}/")

    assert first.status_code == 200 and DESCRIPTION in _text(first)
    reads = IncidentAccess.objects.filter(incident=incident, action="read")
    assert list(reads.values_list("user", flat=True)) == [licensor.pk, licensor.pk]
    assert "Read the incident" in _text(client.get(f"/console/incidents/{incident.pk}/"))


def test_an_incident_not_escalated_is_not_found_and_its_reading_not_logged(page_for, licensor, partner):
    incident = BoundaryIncidentFactory(partner=partner, under_review=True)

    response = page_for(licensor).get(f"/console/incidents/{incident.pk}/")

    assert response.status_code == 404
    assert not IncidentAccess.objects.filter(incident=incident).exists()


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_members_get_404(page_for, partner, role):
    incident = BoundaryIncidentFactory(partner=partner, escalated=True)
    client = page_for(user_with_role(role, partner))

    assert client.get("/console/incidents/").status_code == 404
    assert client.get(f"/console/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/console/incidents/{incident.pk}/transition/", {"to": "closed"}).status_code == 404
    assert not IncidentAccess.objects.filter(incident=incident, action="read").exists()


def test_the_licensor_moves_an_escalated_incident_on_and_needs_to_say_why(page_for, licensor, partner):
    incident = BoundaryIncidentFactory(partner=partner, escalated=True)
    client = page_for(licensor)
    url = f"/console/incidents/{incident.pk}/transition/"

    refused = client.post(url, {"to": "action_agreed", "note": ""})
    assert refused.status_code == 400
    assert re.search(r'id="id_note_error_1"', refused.content.decode())
    assert BoundaryIncident.objects.get(pk=incident.pk).status == "escalated"

    illegal = client.post(url, {"to": "under_review", "note": "Back to them"})
    assert illegal.status_code == 409 and 'id="id_to_error_1"' in illegal.content.decode()

    done = client.post(url, {"to": "action_agreed", "note": "Agreed a safety plan with the coordinator."})
    assert done.status_code == 302
    assert BoundaryIncident.objects.get(pk=incident.pk).status == "action_agreed"
    after = _text(client.get(f"/console/incidents/{incident.pk}/"))
    assert "Agreed a safety plan with the coordinator." in after and "Move the incident on" not in after


def test_the_list_makes_the_same_queries_whatever_the_incidents(page_for, licensor, partner):
    client = page_for(licensor)
    BoundaryIncidentFactory(partner=partner, escalated=True)
    client.get("/console/incidents/")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get("/console/incidents/")
        return len(captured)

    few = queries()
    for _ in range(3):
        BoundaryIncidentFactory(partner=PartnerFactory(), escalated=True)
    assert queries() == few


def test_no_console_page_but_the_incidents_own_shows_a_description_a_supervision_note_or_a_mentor(
    page_for, licensor, partner
):
    mentor = PersonFactory(partner=partner, name=MENTOR, active_mentor=True)
    escalated = BoundaryIncidentFactory(partner=partner, mentor=mentor, escalated=True, description=DESCRIPTION)
    BoundaryIncidentFactory(partner=partner, mentor=mentor, description=DESCRIPTION)
    SupervisionSessionFactory(partner=partner, supervisee=mentor, held=True, notes=NOTE)
    IncidentDiscussionFactory(partner=partner, incident=escalated, note=NOTE)
    accreditation = TrainerAccreditationFactory(partner=partner)
    client = page_for(licensor)
    own_page = f"/console/incidents/{escalated.pk}/"
    pages = [
        f"/{page.route}"
        for page in _walk(get_resolver().url_patterns)
        if page.route.startswith("console/") and "<" not in page.route
    ]
    pages += [f"/console/accreditations/{accreditation.pk}/", f"/console/programmes/{accreditation.programme_id}/"]

    assert "/console/incidents/" in pages and "/console/policy/" in pages
    for url in pages:
        response = client.get(url, follow=True)  # /console/ itself leads to the overview
        assert response.status_code == 200, url
        for secret in (DESCRIPTION, NOTE, MENTOR):
            assert secret not in _text(response), f"{secret!r} on {url}"
    assert DESCRIPTION in _text(client.get(own_page))


def test_where_the_licensor_must_sign_in_with_a_second_factor_nothing_is_shown_or_logged(
    page_for, licensor, partner, settings
):
    settings.TANDEM_LICENSOR_REQUIRES_TWO_FACTOR = True
    incident = BoundaryIncidentFactory(partner=partner, escalated=True, description=DESCRIPTION)

    response = page_for(licensor).get(f"/console/incidents/{incident.pk}/")

    assert response.status_code == 403 and "second factor" in _text(response)
    assert DESCRIPTION not in _text(response)
    assert not IncidentAccess.objects.filter(incident=incident, action="read").exists()
