"""/api/v1/certificates/: scoped reads, public verification (no login, only five fields, throttled),
the printable page and revocation."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from franchise.models import Role
from tests.factories import user_with_role
from tests.training.factories import CertificateFactory, CourseFactory, EnrolmentFactory
from tests.training.scenario import *  # noqa: F403
from training.models import Certificate

URL = "/api/v1/certificates/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def certificate(partner, lead, co, learner):
    course = CourseFactory(partner=partner, lead_trainer=lead, co_trainers=[co], completed=True)
    enrolment = EnrolmentFactory(partner=partner, course=course, learner=learner, passed=True)
    return CertificateFactory(partner=partner, enrolment=enrolment)


def test_the_public_check_answers_only_the_five_fields_without_a_login(certificate, partner):
    response = APIClient().get(f"{URL}verify/{certificate.code}/")

    assert response.status_code == 200
    assert response.json() == {
        "holder": certificate.holder_name,
        "programme": certificate.enrolment.course.programme.name,
        "issued_on": certificate.issued_on.isoformat(),
        "partner": partner.name,
        "status": "valid",
    }


def test_an_unknown_code_is_404(db):
    assert APIClient().get(f"{URL}verify/not-a-real-code/").status_code == 404


def test_a_revoked_certificate_says_so(client_for, licensor, certificate):
    revoked = client_for(licensor).post(f"{URL}{certificate.pk}/revoke/", {"reason": "Issued in error."})
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")

    assert APIClient().get(f"{URL}verify/{certificate.code}/").json()["status"] == "revoked"


def test_the_public_check_is_rate_limited(monkeypatch, certificate):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"certificate_verify": "3/minute"})
    client = APIClient()

    statuses = [client.get(f"{URL}verify/guess-{n}/").status_code for n in range(4)]

    assert statuses == [404, 404, 404, 429]


def test_a_coordinator_does_not_revoke(client_for, coordinator, certificate):
    assert client_for(coordinator).post(f"{URL}{certificate.pk}/revoke/", {"reason": "x"}).status_code == 403
    assert Certificate.objects.get(pk=certificate.pk).status == "valid"


def test_the_learner_sees_their_certificate_in_the_list(client_for, learner_user, certificate, partner):
    CertificateFactory(partner=partner)

    body = client_for(learner_user).get(URL).json()

    assert [row["id"] for row in body["results"]] == [str(certificate.pk)]
    assert set(body["results"][0]) == {"id", "enrolment", "code", "holder_name", "issued_on", "status", "revoked_at"}


@pytest.mark.parametrize("who", ["coordinator", "trainer", "co_user"])
def test_the_coordinators_and_trainers_print_the_certificate(request, client_for, who, certificate):
    response = client_for(request.getfixturevalue(who)).get(f"{URL}{certificate.pk}/print/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert certificate.holder_name in page and certificate.code in page and "training/certificate.css" in page
    assert f'aria-label="QR code of https://tandem.test/verify/{certificate.code}/"' in page


def test_the_learner_prints_their_own_certificate(client_for, learner_user, certificate):
    response = client_for(learner_user).get(f"{URL}{certificate.pk}/print/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200 and certificate.code in response.content.decode()


def test_a_learner_of_the_same_course_may_not_print_anothers(client_for, partner, certificate):
    classmate_user = user_with_role(Role.MENTOR, partner, email="classmate@example.org", name="Cass Classmate")
    classmate = person_for(classmate_user, partner)  # noqa: F405
    EnrolmentFactory(partner=partner, course=certificate.enrolment.course, learner=classmate, passed=True)

    assert client_for(classmate_user).get(f"{URL}{certificate.pk}/print/").status_code == 404


def test_another_partner_cannot_print_it(client_for, other_coordinator, certificate):
    response = client_for(other_coordinator).get(f"{URL}{certificate.pk}/print/", HTTP_ACCEPT="text/html")

    assert response.status_code == 404


def test_a_revoked_certificate_is_not_printed(client_for, coordinator, partner):
    certificate = CertificateFactory(partner=partner, revoked=True)

    assert client_for(coordinator).get(f"{URL}{certificate.pk}/print/").status_code == 400
