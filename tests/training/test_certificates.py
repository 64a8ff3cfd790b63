"""Certificates: unguessable codes, public verification, revocation, who may print."""

import pytest

from core.errors import Invalid, NotPermitted
from tests.training.factories import CertificateFactory, CourseFactory, EnrolmentFactory
from training import services
from training.models import Certificate


def test_a_certificate_code_carries_at_least_128_random_bits():
    codes = {services.new_certificate_code() for _ in range(50)}

    assert len(codes) == 50
    # URL-safe base64: six bits a character.
    assert all(len(code) * 6 >= 128 for code in codes)


def test_the_public_lookup_finds_a_certificate_by_its_exact_code_only(partner):
    certificate = CertificateFactory(partner=partner)

    assert Certificate.objects.by_code(certificate.code) == certificate
    assert Certificate.objects.by_code(certificate.code.upper() + "x") is None
    assert Certificate.objects.by_code("") is None


def test_the_licensor_revokes_a_certificate_once(licensor, partner):
    certificate = CertificateFactory(partner=partner)

    revoked = services.revoke_certificate(by=licensor, certificate=certificate, reason="Issued in error.")
    assert (revoked.status, revoked.revoked_by, revoked.revocation_reason) == ("revoked", licensor, "Issued in error.")

    with pytest.raises(Invalid) as refused:
        services.revoke_certificate(by=licensor, certificate=certificate, reason="Again.")
    assert refused.value.code == "already_revoked"


def test_a_coordinator_does_not_revoke(coordinator, partner):
    certificate = CertificateFactory(partner=partner)

    with pytest.raises(NotPermitted):
        services.revoke_certificate(by=coordinator, certificate=certificate, reason="No.")
    certificate.refresh_from_db()
    assert certificate.status == "valid"


@pytest.fixture
def certificate_of_course(partner, lead, co):
    course = CourseFactory(partner=partner, lead_trainer=lead, co_trainers=[co], completed=True)
    enrolment = EnrolmentFactory(partner=partner, course=course, passed=True)
    return CertificateFactory(partner=partner, enrolment=enrolment)


@pytest.mark.parametrize("who", ["coordinator", "trainer", "co_user", "licensor"])
def test_the_learners_coordinators_and_trainers_print_the_certificate(request, who, certificate_of_course):
    services.require_certificate_printer(request.getfixturevalue(who), certificate_of_course)


@pytest.mark.parametrize("who", ["verifier_user", "mentor_user"])
def test_others_of_the_partner_do_not_print_it(request, who, certificate_of_course):
    with pytest.raises(NotPermitted):
        services.require_certificate_printer(request.getfixturevalue(who), certificate_of_course)
