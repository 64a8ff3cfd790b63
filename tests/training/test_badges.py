"""Certificates as Open Badges 3.0 credentials, checked the way a wallet or an employer's verifier checks one:
from the public documents alone (the credential, the issuer's profile with its key, the revocation list), with the
W3C Data Integrity algorithm for `eddsa-jcs-2022` written out here rather than borrowed from training/badges.py."""

import base64
import copy
import hashlib
import os
import stat

import base58
import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from franchise.models import Criterion, User
from tests.training.factories import CertificateFactory, CourseFactory, EnrolmentFactory
from tests.training.scenario import *  # noqa: F403
from training import badges, services

SITE = "https://tandem.test"
pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(partner, programme, lead, learner):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, completed=True)
    enrolment = EnrolmentFactory(partner=partner, course=course, learner=learner, passed=True)
    return CertificateFactory(partner=partner, enrolment=enrolment)


def fetch(url):
    """What a verifier on the internet gets at `url`, Tandem's public addresses only."""
    assert url.startswith(SITE), url
    response = APIClient().get(url.removeprefix(SITE).split("#")[0])
    assert response.status_code == 200, (url, response.status_code)
    return response.json()


def public_key(multibase):
    assert multibase.startswith("z")
    raw = base58.b58decode(multibase[1:])
    assert raw[:2] == b"\xed\x01", "not an Ed25519 Multikey"
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify_proof(credential):
    """Data Integrity, eddsa-jcs-2022: resolve the key through the issuer, then check the signature over the JCS
    hashes of the proof options and of the credential without its proof. Raises on any failure."""
    document = copy.deepcopy(credential)
    proof = document.pop("proof")
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof",
        "eddsa-jcs-2022",
        "assertionMethod",
    )
    controller = fetch(proof["verificationMethod"])
    assert controller["id"] == document["issuer"]["id"], "the key is not the issuer's"
    assert proof["verificationMethod"] in controller["assertionMethod"]
    method = next(m for m in controller["verificationMethod"] if m["id"] == proof["verificationMethod"])
    assert method["controller"] == controller["id"] and method["type"] == "Multikey"
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    options["@context"] = document["@context"]
    signed = hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()
    assert proof["proofValue"].startswith("z")
    public_key(method["publicKeyMultibase"]).verify(base58.b58decode(proof["proofValue"][1:]), signed)


def revoked(credential):
    status = credential["credentialStatus"]
    assert status["type"] == "1EdTechRevocationList"
    listed = fetch(status["id"])
    assert listed["issuer"] == credential["issuer"]["id"]
    return any(entry["id"] == credential["id"] and entry["revoked"] for entry in listed["revokedCredentials"])


def test_a_valid_certificate_is_an_open_badge_a_verifier_accepts(certificate, partner):
    credential = fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/")

    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in credential["@context"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["name"] == partner.name and "Profile" in credential["issuer"]["type"]
    assert credential["validFrom"].startswith(certificate.issued_on.isoformat()[:7])
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == certificate.holder_name
    verify_proof(credential)
    assert not revoked(credential)


def test_the_achievement_is_the_programme_aligned_to_every_unit_and_criterion(certificate):
    programme = certificate.enrolment.course.programme
    achievement = fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/")["credentialSubject"][
        "achievement"
    ]

    assert achievement["type"] == ["Achievement"] and programme.name in achievement["name"]
    assert achievement["criteria"]["narrative"]
    codes = {alignment["targetCode"] for alignment in achievement["alignment"]}
    criteria = Criterion.objects.filter(unit__programme=programme).select_related("unit")
    assert criteria.exists()
    assert {f"{c.unit.code}/{c.code}" for c in criteria} | {c.unit.code for c in criteria} == codes
    for alignment in achievement["alignment"]:
        assert alignment["type"] == ["Alignment"] and alignment["targetName"] and alignment["targetUrl"]
    assert fetch(achievement["id"])["alignment"] == achievement["alignment"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Someone Else"),
        lambda c: c["credentialSubject"]["achievement"].update(name="A Degree in Medicine"),
        lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
        lambda c: c["proof"].update(created="2020-01-01T00:00:00Z"),
    ],
    ids=["holder", "achievement", "date", "proof-options"],
)
def test_a_tampered_credential_is_refused(certificate, tamper):
    credential = fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/")
    tamper(credential)

    with pytest.raises(InvalidSignature):
        verify_proof(credential)


def test_a_credential_signed_by_another_key_is_refused(certificate):
    credential = fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/")
    forged = Ed25519PrivateKey.generate().sign(b"anything")
    credential["proof"]["proofValue"] = "z" + base58.b58encode(forged).decode()

    with pytest.raises(InvalidSignature):
        verify_proof(credential)


def test_after_revocation_the_credential_still_verifies_but_its_status_says_revoked(certificate, licensor):
    url = f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/"
    before = fetch(url)

    services.revoke_certificate(by=licensor, certificate=certificate, reason="Issued in error.")

    assert revoked(before), "a wallet holding the old copy learns of the revocation"
    after = fetch(url)
    verify_proof(after)
    assert revoked(after)
    assert fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/")["status"] == "revoked"


def test_the_revocation_list_names_credentials_by_an_id_that_reveals_no_code_or_holder(certificate, licensor):
    services.revoke_certificate(by=licensor, certificate=certificate, reason="Issued in error.")
    credential = fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/")

    listed = str(fetch(credential["credentialStatus"]["id"]))

    assert certificate.code not in listed and certificate.holder_name not in listed
    assert "Issued in error" not in listed


def test_unknown_codes_and_partners_that_never_issued_are_404(certificate, other_partner):
    client = APIClient()

    assert client.get("/api/v1/certificates/verify/no-such-code/badge/").status_code == 404
    assert client.get(f"/api/v1/badges/issuers/{other_partner.slug}/").status_code == 404
    assert client.get("/api/v1/badges/issuers/no-such-partner/revocations/").status_code == 404


def test_the_key_is_created_once_for_its_owner_only_and_never_replaced(tmp_path, settings):
    settings.TANDEM_BADGE_SIGNING_KEY = ""
    settings.TANDEM_BADGE_SIGNING_KEY_FILE = str(tmp_path / "keys" / "badge.pem")
    badges.signing_key.cache_clear()
    try:
        call_command("create_badge_signing_key")
        path = tmp_path / "keys" / "badge.pem"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        first = path.read_bytes()
        with pytest.raises(CommandError, match="exists already"):
            call_command("create_badge_signing_key")
        assert path.read_bytes() == first
        assert badges.signing_key().public_key() is not None
    finally:
        badges.signing_key.cache_clear()


def test_a_key_given_in_the_environment_signs(certificate, settings):
    key = Ed25519PrivateKey.generate()
    settings.TANDEM_BADGE_SIGNING_KEY = base64.b64encode(key.private_bytes_raw()).decode()
    badges.signing_key.cache_clear()
    try:
        credential = fetch(f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/")
        verify_proof(credential)
        profile = fetch(credential["proof"]["verificationMethod"])
        assert public_key(profile["verificationMethod"][0]["publicKeyMultibase"]).public_bytes_raw() == (
            key.public_key().public_bytes_raw()
        )
    finally:
        badges.signing_key.cache_clear()


def test_a_demo_certificate_verifies_as_a_page_and_a_badge_and_both_say_revoked_after_revocation(demo):
    certificate = demo["certificates"][0]
    licensor = User.objects.get(email="admin@licensor.example")
    badge = f"{SITE}/api/v1/certificates/verify/{certificate.code}/badge/"

    assert "Valid." in APIClient().get(f"/verify/{certificate.code}/").content.decode()
    verify_proof(fetch(badge))
    assert not revoked(fetch(badge))

    services.revoke_certificate(by=licensor, certificate=certificate, reason="Demo revocation.")

    assert "Revoked." in APIClient().get(f"/verify/{certificate.code}/").content.decode()
    assert revoked(fetch(badge))
