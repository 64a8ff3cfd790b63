"""Training's reminders: accreditations expiring (trainer and licensor), certificates issued (learner)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reminders.kinds.accreditations import plan_accreditation_expiring
from reminders.kinds.certificates import plan_certificate_issued
from reminders.models import Kind, Reminder
from tests.reminders.helpers import html, rows, send, to
from tests.supervision.factories import PersonFactory
from tests.training.factories import CertificateFactory, EnrolmentFactory, TrainerAccreditationFactory
from training.models import Certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def accreditation(partner, trainer):
    person = PersonFactory(partner=partner, user=trainer, email=trainer.email, name="Tariq Trainer")
    today = timezone.localdate()
    return TrainerAccreditationFactory(
        partner=partner,
        person=person,
        granted_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=25),
    )


def test_an_accreditation_ending_soon_reminds_the_trainer_and_the_licensor(accreditation, licensor):
    assert plan_accreditation_expiring(timezone.now()) == 2
    assert {(r.recipient_user_id, r.partner_id) for r in rows(Kind.ACCREDITATION_EXPIRING)} == {
        (accreditation.person.user_id, accreditation.partner_id),
        (licensor.pk, None),
    }
    assert {r.details["days"] for r in rows(Kind.ACCREDITATION_EXPIRING)} == {30}

    sent = send()

    trainers = to(sent, "trainer@example.org")
    assert trainers.subject == "Your accreditation as accredited trainer ends in 25 days"
    assert f"/api/v1/accreditations/{accreditation.pk}/standing/" in trainers.body
    licensors = to(sent, "licensor@example.org")
    assert licensors.subject == "Tariq Trainer's accreditation as accredited trainer ends in 25 days"
    assert "Tariq Trainer" in html(licensors)


def test_a_trainer_without_a_login_is_written_to_at_their_address(partner):
    person = PersonFactory(partner=partner, email="no.login@example.org")
    TrainerAccreditationFactory(partner=partner, person=person, expires_on=timezone.localdate() + timedelta(days=5))
    plan_accreditation_expiring(timezone.now())
    assert [r.recipient_email for r in rows(Kind.ACCREDITATION_EXPIRING)] == ["no.login@example.org"]


def test_accreditations_not_active_or_far_from_expiry_are_not_reminded(partner):
    TrainerAccreditationFactory(partner=partner, expires_on=timezone.localdate() + timedelta(days=200))
    TrainerAccreditationFactory(partner=partner, expires_on=timezone.localdate() + timedelta(days=5), suspended=True)
    assert plan_accreditation_expiring(timezone.now()) == 0


def test_an_accreditation_renewed_before_the_reminder_goes_is_not_reminded(accreditation):
    plan_accreditation_expiring(timezone.now())
    accreditation.expires_on += timedelta(days=730)
    accreditation.save()
    assert send() == []
    assert {r.status for r in rows(Kind.ACCREDITATION_EXPIRING)} == {Reminder.Status.CANCELLED}


@pytest.fixture
def certificate(partner):
    learner = PersonFactory(partner=partner, email="learner@example.org", name="Lee Learner")
    enrolment = EnrolmentFactory(partner=partner, learner=learner, passed=True)
    return CertificateFactory(partner=partner, enrolment=enrolment)


def test_a_new_certificate_is_announced_to_its_holder_with_its_verification_link(certificate):
    assert plan_certificate_issued(timezone.now()) == 1
    assert plan_certificate_issued(timezone.now()) == 0

    (message,) = send()

    programme = certificate.enrolment.course.programme
    assert message.to == ["learner@example.org"]
    assert message.subject == f"Your certificate for {programme.name}"
    assert f"https://tandem.test/verify/{certificate.code}/" in message.body
    assert certificate.code in html(message)


def test_a_certificate_revoked_before_the_message_goes_is_not_announced(certificate):
    plan_certificate_issued(timezone.now())
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.REVOKED)
    assert send() == []


def test_certificates_issued_long_ago_are_not_announced_late(certificate):
    Certificate.objects.filter(pk=certificate.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert plan_certificate_issued(timezone.now()) == 0
