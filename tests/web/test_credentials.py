"""Certificates in a browser: the certificate page a holder, coordinator or trainer opens and prints, and the
public verification page anyone reaches from the QR code printed on it."""

import html
import re

import pytest
import segno
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from franchise import rules
from franchise.models import Role
from tests.factories import user_with_role
from tests.training.factories import CertificateFactory, CourseFactory, EnrolmentFactory
from tests.training.scenario import *  # noqa: F403
from training import services
from training.models import Certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(partner, lead, co, learner):
    course = CourseFactory(partner=partner, lead_trainer=lead, co_trainers=[co], completed=True)
    enrolment = EnrolmentFactory(partner=partner, course=course, learner=learner, passed=True)
    return CertificateFactory(partner=partner, enrolment=enrolment)


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_anyone_with_the_code_sees_who_holds_what_from_whom_and_that_it_is_valid(certificate):
    response = Client().get(f"/verify/{certificate.code}/")

    assert response.status_code == 200
    text = _text(response)
    programme = certificate.enrolment.course.programme
    for shown in (certificate.holder_name, programme.name, certificate.partner.name, "Valid"):
        assert shown in text
    assert certificate.issued_on.strftime("%-d %B %Y") in text


def test_the_verification_page_tells_nothing_but_the_five_facts(certificate, learner):
    text = _text(Client().get(f"/verify/{certificate.code}/"))

    assert certificate.enrolment.course.title not in text
    assert learner.email not in text
    assert "Sign out" not in text


def test_the_verification_page_is_kept_out_of_search_engines_and_shared_caches(certificate):
    response = Client().get(f"/verify/{certificate.code}/")

    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in response.content.decode()
    assert response["Cache-Control"] == "no-cache"


def test_a_revoked_certificate_says_so_with_its_date(certificate, licensor):
    services.revoke_certificate(by=licensor, certificate=certificate, reason="Issued in error.")
    certificate.refresh_from_db()

    text = _text(Client().get(f"/verify/{certificate.code}/"))

    assert "Revoked" in text and "Valid." not in text
    assert f"Revoked on {timezone.localdate(certificate.revoked_at).strftime('%-d %B %Y')}" in text
    assert "Issued in error" not in text


def test_an_unknown_code_is_a_404_page_that_says_so_plainly(db):
    response = Client().get("/verify/not-a-real-code/")

    assert response.status_code == 404
    assert "No certificate has this code" in _text(response)
    assert "noindex" in response["X-Robots-Tag"]


def test_guessing_codes_is_throttled_per_address_and_shares_the_apis_rate(certificate, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"certificate_verify": "3/minute"})
    client = Client(REMOTE_ADDR="203.0.113.9")

    assert client.get("/api/v1/certificates/verify/guess-1/").status_code == 404
    assert client.get("/verify/guess-2/").status_code == 404
    assert client.get("/verify/guess-3/").status_code == 404
    refused = client.get(f"/verify/{certificate.code}/")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many checks" in _text(refused)
    assert Client(REMOTE_ADDR="198.51.100.4").get(f"/verify/{certificate.code}/").status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "trainer", "co_user", "learner_user"])
def test_the_holder_their_coordinator_and_the_courses_trainers_open_the_certificate_with_its_qr_code(
    request, page_for, partner, certificate, who
):
    response = page_for(request.getfixturevalue(who)).get(f"/{partner.slug}/certificates/{certificate.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert certificate.holder_name in page and certificate.code in page
    verify_url = f"https://tandem.test/verify/{certificate.code}/"
    assert verify_url in page
    assert f'role="img" aria-label="QR code of {verify_url}"><svg' in page
    assert "Print this certificate" in page
    assert f'href="https://tandem.test/api/v1/certificates/verify/{certificate.code}/badge/" download' in page


def test_a_classmate_and_another_partner_get_a_404(page_for, partner, certificate, other_partner, other_coordinator):
    classmate_user = user_with_role(Role.MENTOR, partner, email="classmate@example.org", name="Cass Classmate")
    classmate = person_for(classmate_user, partner)  # noqa: F405
    EnrolmentFactory(partner=partner, course=certificate.enrolment.course, learner=classmate, passed=True)

    assert page_for(classmate_user).get(f"/{partner.slug}/certificates/{certificate.pk}/").status_code == 404
    assert page_for(other_coordinator).get(f"/{other_partner.slug}/certificates/{certificate.pk}/").status_code == 404


def test_a_revoked_certificate_page_says_so_and_offers_nothing_to_print(
    page_for, partner, coordinator, certificate, licensor
):
    services.revoke_certificate(by=licensor, certificate=certificate, reason="Issued in error.")

    response = page_for(coordinator).get(f"/{partner.slug}/certificates/{certificate.pk}/")

    assert response.status_code == 200
    text = _text(response)
    assert "This certificate was revoked" in text and "Print this certificate" not in text
    assert Certificate.objects.get(pk=certificate.pk).status == Certificate.Status.REVOKED


def _top_level_segments():
    segments = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver | URLPattern):
            first = str(pattern.pattern).split("/")[0]
            if first and not first.startswith("<"):
                segments.add(first.removesuffix(".ics"))
    return segments


def test_every_address_of_tandems_own_is_a_slug_no_partner_may_take():
    assert _top_level_segments() <= rules.RESERVED_SLUGS | {""}


def test_the_qr_code_holds_exactly_the_verification_address(page_for, partner, coordinator, certificate):
    page = page_for(coordinator).get(f"/{partner.slug}/certificates/{certificate.pk}/").content.decode()

    drawn = re.search(r'class="qrline"[^>]* d="([^"]+)"', page).group(1)
    expected = segno.make(f"https://tandem.test/verify/{certificate.code}/", error="m", micro=False)
    assert drawn == re.search(r' d="([^"]+)"', expected.svg_inline(scale=4, border=4)).group(1)
