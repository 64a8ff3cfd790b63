"""Training use cases for certificates: their codes, revocation, verification and printing."""

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Invalid, NotPermitted
from core.tenancy import COORDINATOR, access_for, can_write
from training.models import Certificate
from training.services._common import require_course_trainer


def new_certificate_code():
    """192 random bits, URL-safe: a code is unguessable, so verification cannot be used to enumerate certificates."""
    return secrets.token_urlsafe(24)


@transaction.atomic
def revoke_certificate(*, by, certificate, reason):
    """The licensor withdraws a certificate (issued in error, or obtained by fraud); verification then says so."""
    if not access_for(by).is_licensor:
        raise NotPermitted("Only the licensing organisation revokes certificates.")
    if not (reason or "").strip():
        raise Invalid("Give the reason for revoking the certificate.", field="reason")
    changed = Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
        status=Certificate.Status.REVOKED,
        revoked_at=timezone.now(),
        revoked_by=by,
        revocation_reason=reason.strip(),
        updated_at=timezone.now(),
    )
    if not changed:
        raise Invalid("This certificate is already revoked.", code="already_revoked")
    certificate.refresh_from_db()
    return certificate


def verification_url(certificate):
    """Where anyone can check the certificate, a page for people: printed on it and in its QR code."""
    return f"{settings.TANDEM_SITE_URL}/verify/{certificate.code}/"


def require_certificate_printer(by, certificate):
    """The holder, their coordinators and the course's trainers print certificates: the holder shows it to an
    employer or a college, who check it by its code; the licensor revokes, it does not print."""
    if can_write(by, certificate.partner_id, (COORDINATOR,)):
        return
    learner = certificate.enrolment.learner
    if learner.user_id is not None and learner.user_id == by.pk:
        return
    require_course_trainer(
        by, certificate.enrolment.course, "Only the learner's coordinators and trainers print the certificate."
    )
