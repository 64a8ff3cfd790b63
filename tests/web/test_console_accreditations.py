"""The console's trainer accreditations: every partner's, with standing, filters, and the licensor's grant,
promotion, renewal, suspension and reinstatement."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from franchise.models import Role
from tests.factories import PartnerFactory, user_with_role
from tests.franchise.factories import ProgrammeFactory
from tests.supervision.factories import PersonFactory
from tests.training.factories import CourseFactory, CPDRecordFactory, EnrolmentFactory, TrainerAccreditationFactory
from tests.web.test_walkers import PARTNER_ROLES
from training.models import TrainerAccreditation

pytestmark = pytest.mark.django_db
URL = "/console/accreditations/"


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _listed(response):
    """The list's text, without the grant form (whose trainer choices name every trainer)."""
    return _text(response).split("Grant an accreditation")[0]


def _trainer(partner, name):
    user = user_with_role(Role.TRAINER, partner)
    return PersonFactory(partner=partner, name=name, user=user)


def test_every_partners_trainers_are_listed_with_what_their_standing_has_and_misses(page_for, licensor, partner):
    other = PartnerFactory(name="Harbour Justice Trust")
    good = TrainerAccreditationFactory(partner=partner, person=_trainer(partner, "Gwen Goodstanding"))
    CourseFactory(partner=partner, programme=good.programme, lead_trainer=good.person, completed=True)
    CPDRecordFactory(partner=partner, person=good.person, hours=Decimal("6"))
    TrainerAccreditationFactory(partner=other, person=_trainer(other, "Milo Missing"))

    page = _text(page_for(licensor).get(URL))

    assert re.search(r"Gwen Goodstanding Northside Women's Centre .*? In good standing 1 of 1 courses", page)
    assert re.search(r"Milo Missing Harbour Justice Trust .*? Missing 0 of 1 courses, 0 of 6 CPD hours", page)


def test_the_list_filters_by_partner_and_by_status(page_for, licensor, partner):
    other = PartnerFactory(name="Harbour Justice Trust")
    TrainerAccreditationFactory(partner=partner, person=_trainer(partner, "Ada Active"))
    TrainerAccreditationFactory(partner=partner, person=_trainer(partner, "Sam Suspended"), suspended=True)
    TrainerAccreditationFactory(partner=other, person=_trainer(other, "Olu Other"))
    client = page_for(licensor)

    by_partner = _listed(client.get(URL, {"partner": partner.pk}))
    by_status = _listed(client.get(URL, {"status": "suspended"}))

    assert "Ada Active" in by_partner and "Sam Suspended" in by_partner and "Olu Other" not in by_partner
    assert "Sam Suspended" in by_status and "Ada Active" not in by_status and "Olu Other" not in by_status


def test_the_licensor_grants_to_a_trainer_and_a_second_grant_is_refused_next_to_the_trainer(
    page_for, licensor, partner
):
    person = _trainer(partner, "Tess Trainer")
    programme = ProgrammeFactory()
    mentor_only = PersonFactory(partner=partner, name="Mona Mentoronly", active_mentor=True)
    client = page_for(licensor)
    form = {"person": person.pk, "programme": programme.pk, "stage": "candidate"}

    assert "Tess Trainer" in _text(client.get(URL)) and "Mona Mentoronly" not in _text(client.get(URL))
    granted = client.post(URL, form)
    accreditation = TrainerAccreditation.objects.get(person=person)
    assert granted.status_code == 302 and granted["Location"] == f"{URL}{accreditation.pk}/"

    again = client.post(URL, form)
    assert again.status_code == 400
    assert re.search(r'id="id_person_error_1"[^>]*>.*?already holds', again.content.decode(), re.S)
    not_a_trainer = client.post(URL, {**form, "person": mentor_only.pk})
    assert not_a_trainer.status_code == 400 and 'id="id_person_error_1"' in not_a_trainer.content.decode()
    assert TrainerAccreditation.objects.count() == 1


def test_promotion_lists_the_missing_evidence_then_goes_through_once_it_is_there(page_for, licensor, partner):
    accreditation = TrainerAccreditationFactory(
        partner=partner, person=_trainer(partner, "Cara Candidate"), candidate=True
    )
    client = page_for(licensor)
    url = f"{URL}{accreditation.pk}/promote/"

    refused = client.post(url, {"promote-note": ""})
    assert refused.status_code == 400 and "has not passed a course" in _text(refused)
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).stage == "candidate"

    EnrolmentFactory(
        partner=partner, learner=accreditation.person, course__programme=accreditation.programme, passed=True
    )
    assert client.post(url, {"promote-note": "Passed in June"}).status_code == 302
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).stage == "co_trainer"


def test_the_licensor_suspends_and_reinstates_and_must_say_why(page_for, licensor, partner):
    accreditation = TrainerAccreditationFactory(partner=partner, person=_trainer(partner, "Rhys Reinstated"))
    client = page_for(licensor)
    url = f"{URL}{accreditation.pk}/status/"

    no_reason = client.post(url, {"status-to": "suspended", "status-note": ""})
    assert no_reason.status_code == 400 and 'id="id_status-note_error_1"' in no_reason.content.decode()
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).status == "active"

    client.post(url, {"status-to": "suspended", "status-note": "Under review after a complaint"})
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).status == "suspended"
    page = _text(client.get(f"{URL}{accreditation.pk}/"))
    assert "Reinstate" in page and "Under review after a complaint" in page

    client.post(url, {"status-to": "active", "status-note": "Cleared"})
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).status == "active"


def test_renewal_without_the_standing_says_what_is_missing(page_for, licensor, partner):
    accreditation = TrainerAccreditationFactory(partner=partner, person=_trainer(partner, "Nell Norenewal"))
    expiry = accreditation.expires_on

    refused = page_for(licensor).post(f"{URL}{accreditation.pk}/renew/", {"renew-note": ""})

    assert refused.status_code == 400 and "0 of the 1 course deliveries required" in _text(refused)
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).expires_on == expiry


def test_the_list_makes_the_same_queries_whatever_the_partners_and_trainers(page_for, licensor, partner):
    client = page_for(licensor)
    TrainerAccreditationFactory(partner=partner, person=_trainer(partner, "First Trainer"))
    client.get(URL)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(URL)
        return len(captured)

    few = queries()
    for _ in range(3):
        other = PartnerFactory()
        accreditation = TrainerAccreditationFactory(partner=other, person=_trainer(other, "More Trainer"))
        CPDRecordFactory(partner=other, person=accreditation.person)
    assert queries() == few


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_partner_members_get_404_and_change_nothing(page_for, partner, role):
    accreditation = TrainerAccreditationFactory(partner=partner)
    client = page_for(user_with_role(role, partner))

    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}{accreditation.pk}/").status_code == 404
    response = client.post(f"{URL}{accreditation.pk}/status/", {"status-to": "suspended", "status-note": "x"})
    assert response.status_code == 404
    assert TrainerAccreditation.objects.get(pk=accreditation.pk).status == "active"
