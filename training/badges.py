"""Certificates as Open Badges 3.0: an `OpenBadgeCredential` (a W3C Verifiable Credential) per certificate.

A learner keeps it in a wallet; anyone can check it without asking Tandem, from the credential alone and the
issuer's public key:

- the issuer is the issuing partner, as an Open Badges `Profile` served at a stable address that also lists
  its verification method (the public key, as a Multikey);
- the achievement is the certificate's programme, aligned to each of its units and each unit's criteria;
- the proof is a W3C Data Integrity proof with the `eddsa-jcs-2022` cryptosuite: Ed25519 over the SHA-256
  hashes of the proof options and of the credential, both canonicalised by the JSON Canonicalization Scheme
  (RFC 8785). JCS rather than RDF canonicalisation, so a verifier needs no JSON-LD context documents;
- revocation shows in `credentialStatus`, a 1EdTech revocation list per partner, and in the verification
  page and endpoint.

The signing key comes from TANDEM_BADGE_SIGNING_KEY (the 32-byte Ed25519 private key, base64) or from the file
TANDEM_BADGE_SIGNING_KEY_FILE, which `manage.py create_badge_signing_key` writes (and the first credential
served writes, if nobody ran it). It is never committed: var/ is not in the repository.
"""

import base64
import hashlib
import os
from datetime import UTC, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import base58
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from franchise.models import Criterion, Partner, Unit
from training.models import Certificate

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
CRYPTOSUITE = "eddsa-jcs-2022"
# The multicodec prefix of an Ed25519 public key (0xed, varint-encoded), as Multikey's publicKeyMultibase asks.
ED25519_PUBLIC_KEY_PREFIX = b"\xed\x01"


# --- the signing key -------------------------------------------------------------------------


def _key_file():
    return Path(settings.TANDEM_BADGE_SIGNING_KEY_FILE)


def create_signing_key(path=None):
    """Write a new Ed25519 private key (PEM, PKCS#8) readable by its owner only; refuse to replace one."""
    path = Path(path or _key_file())
    if path.exists():
        raise FileExistsError(f"{path} exists already: a new key would make every credential issued unverifiable.")
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    signing_key.cache_clear()
    return path


@lru_cache(maxsize=1)
def signing_key():
    raw = settings.TANDEM_BADGE_SIGNING_KEY
    if raw:
        try:
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(raw, validate=True))
        except ValueError as error:
            raise ImproperlyConfigured(
                "TANDEM_BADGE_SIGNING_KEY must be a 32-byte Ed25519 private key, base64-encoded."
            ) from error
    path = _key_file()
    if not path.exists():
        try:
            create_signing_key(path)
        except FileExistsError:
            pass  # another process wrote it meanwhile: read theirs
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} holds no Ed25519 private key.")
    return key


def public_key_multibase(public_key: Ed25519PublicKey):
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_PUBLIC_KEY_PREFIX + raw).decode()


# --- addresses -------------------------------------------------------------------------------


def badge_url(certificate):
    """Where the holder (or their wallet) fetches the credential again: the verification address, plus badge/."""
    return f"{settings.TANDEM_SITE_URL}/api/v1/certificates/verify/{certificate.code}/badge/"


def credential_id(certificate):
    # Not the badge URL: that carries the code, and the public revocation list names credentials by their id.
    return f"urn:uuid:{certificate.pk}"


def issuer_url(partner):
    return f"{settings.TANDEM_SITE_URL}/api/v1/badges/issuers/{partner.slug}/"


def revocation_list_url(partner):
    return f"{settings.TANDEM_SITE_URL}/api/v1/badges/issuers/{partner.slug}/revocations/"


def achievement_url(programme):
    return f"{settings.TANDEM_SITE_URL}/api/v1/badges/achievements/{programme.pk}/"


def verification_method_id(partner):
    return f"{issuer_url(partner)}#key-1"


# --- documents -------------------------------------------------------------------------------


def issuing_partner(slug):
    """The partner with this slug if it has issued a certificate, else None: only issuers have a public profile,
    so the badge addresses tell nobody which other partners use Tandem."""
    partner = Partner.objects.filter(slug=slug).first()
    if partner is None or not Certificate.objects.filter(partner=partner).exists():
        return None
    return partner


def issuer_profile(partner):
    """The partner as an Open Badges Profile, with the key that verifies its credentials (a controller
    document in the sense of Data Integrity)."""
    profile_id = issuer_url(partner)
    return {
        "@context": CONTEXTS,
        "id": profile_id,
        "type": ["Profile"],
        "name": partner.name,
        "url": f"{settings.TANDEM_SITE_URL}/",
        "verificationMethod": [
            {
                "id": verification_method_id(partner),
                "type": "Multikey",
                "controller": profile_id,
                "publicKeyMultibase": public_key_multibase(signing_key().public_key()),
            }
        ],
        "assertionMethod": [verification_method_id(partner)],
    }


def _programme_units(programme):
    """The programme's units with their criteria, in order: two queries whatever their number."""
    units = list(Unit.objects.filter(programme=programme).order_by("position", "code"))
    criteria = {}
    for criterion in Criterion.objects.filter(unit__programme=programme).order_by("position", "code"):
        criteria.setdefault(criterion.unit_id, []).append(criterion)
    return [(unit, criteria.get(unit.pk, [])) for unit in units]


def achievement(programme):
    """The programme as an Open Badges Achievement: what a holder did, aligned to each unit and criterion."""
    url = achievement_url(programme)
    units = _programme_units(programme)
    unit_names = "; ".join(f"{unit.code} {unit.title}" for unit, _ in units)
    level = f" ({programme.level})" if programme.level else ""
    alignment = []
    for unit, criteria in units:
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": f"{unit.code} {unit.title}",
                "targetCode": unit.code,
                "targetFramework": programme.name,
                "targetType": "ext:Unit",
                "targetUrl": f"{url}#{unit.code}",
            }
        )
        for criterion in criteria:
            alignment.append(
                {
                    "type": ["Alignment"],
                    "targetName": f"{criterion.code} {criterion.text}",
                    "targetCode": f"{unit.code}/{criterion.code}",
                    "targetDescription": criterion.get_kind_display(),
                    "targetFramework": f"{programme.name}, {unit.code}",
                    "targetType": "ceasn:Competency",
                    "targetUrl": f"{url}#{unit.code}-{criterion.code}",
                }
            )
    document = {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": f"{programme.name}{level}",
        "description": f"Met every assessment criterion of {programme.name}{level}: {unit_names}.",
        "criteria": {
            "narrative": "Every performance and knowledge criterion of the units above met, as assessed by an "
            "accredited trainer from the learner's evidence, and internally verified by a second trainer."
        },
        "alignment": alignment,
    }
    if programme.awarding_body:
        document["creator"] = {"id": f"{url}#awarding-body", "type": ["Profile"], "name": programme.awarding_body}
    return document


def unsigned_credential(certificate):
    partner = certificate.partner
    programme = certificate.enrolment.course.programme
    return {
        "@context": CONTEXTS,
        "id": credential_id(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{programme.name} — {certificate.holder_name}",
        "issuer": {"id": issuer_url(partner), "type": ["Profile"], "name": partner.name},
        "validFrom": _iso(_issued_at(certificate)),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # The certificate names its holder as printed on the day; no email or other identifier leaves Tandem.
            "identifier": [
                {
                    "type": ["IdentityObject"],
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.holder_name,
                }
            ],
            "achievement": achievement(programme),
        },
        "credentialStatus": {
            "id": revocation_list_url(partner),
            "type": "1EdTechRevocationList",
        },
    }


def _issued_at(certificate):
    """Midnight of the issue date where the partner is, the moment the credential counts from."""
    return datetime.combine(certificate.issued_on, time.min, tzinfo=ZoneInfo(certificate.partner.time_zone))


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(document):
    return hashlib.sha256(rfc8785.dumps(document)).digest()


def sign(credential, partner, created=None):
    """Add a DataIntegrityProof (eddsa-jcs-2022) to `credential` as its issuer, `partner`, and return it."""
    created = created or timezone.now()
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _iso(created),
        "verificationMethod": verification_method_id(partner),
        "proofPurpose": "assertionMethod",
        "@context": credential["@context"],
    }
    signature = signing_key().sign(_hash(options) + _hash(credential))
    proof = {key: value for key, value in options.items() if key != "@context"}
    proof["proofValue"] = "z" + base58.b58encode(signature).decode()
    return {**credential, "proof": proof}


def credential(certificate):
    """The certificate's OpenBadgeCredential, signed. The same certificate always yields the same credential
    body; the proof's `created` is the certificate's issue date, so a wallet that fetches it again gets the
    same document."""
    certificate = Certificate.objects.select_related("partner", "enrolment__course__programme").get(pk=certificate.pk)
    return sign(unsigned_credential(certificate), certificate.partner, created=_issued_at(certificate))


def revocation_list(partner):
    """The partner's 1EdTech revocation list: every revoked credential of theirs, by its id."""
    revoked = Certificate.objects.filter(partner=partner, status=Certificate.Status.REVOKED).order_by("revoked_at")
    return {
        "id": revocation_list_url(partner),
        "issuer": issuer_url(partner),
        "revokedCredentials": [
            {
                "id": credential_id(certificate),
                "revoked": True,
                "revocationDate": _iso(certificate.revoked_at),
            }
            for certificate in revoked
        ],
    }
