"""Factories of the training domain: one per model, traits for states.

Every model builds a complete, valid row from `partner=` alone (the course,
learner and trainers all in that partner), so the tenant-isolation walker can
make one in any partner. Factories write rows directly: they neither check a
licence nor an accreditation; tests of those rules go through training.services.
"""

import secrets
from datetime import time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from tests.factories import PartnerFactory
from tests.franchise.factories import CriterionFactory, ProgrammeFactory, UnitFactory
from tests.supervision.factories import PersonFactory
from training.models import (
    AccreditationEvent,
    Certificate,
    Course,
    CourseAttendance,
    CourseSession,
    CPDRecord,
    CriterionAssessment,
    Enrolment,
    TeachingRecord,
    TrainerAccreditation,
)


def _today():
    return timezone.localdate()


class CourseFactory(factory.django.DjangoModelFactory):
    """A planned course starting in two weeks, for three weeks, led by a person of the partner."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Peer mentoring cohort {n}")
    starts_on = factory.LazyFunction(lambda: _today() + timedelta(days=14))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + timedelta(days=21))
    capacity = 12
    mode = Course.Mode.IN_PERSON
    venue = "Community room, 12 Mill Street"
    status = Course.Status.PLANNED
    lead_trainer = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"))

    class Params:
        open = factory.Trait(status=Course.Status.OPEN)
        running = factory.Trait(
            status=Course.Status.RUNNING,
            starts_on=factory.LazyFunction(lambda: _today() - timedelta(days=7)),
        )
        completed = factory.Trait(
            status=Course.Status.COMPLETED,
            starts_on=factory.LazyFunction(lambda: _today() - timedelta(days=60)),
            ends_on=factory.LazyFunction(lambda: _today() - timedelta(days=30)),
        )

    @factory.post_generation
    def co_trainers(course, create, extracted, **kwargs):
        if create and extracted:
            course.co_trainers.set(extracted)


class CourseSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseSession
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    course = factory.SubFactory(CourseFactory, partner=factory.SelfAttribute("..partner"))
    date = factory.LazyAttribute(lambda o: o.course.starts_on)
    starts_at = time(10, 0)
    ends_at = time(13, 0)
    topic = "Boundaries and confidentiality"

    @factory.post_generation
    def units(session, create, extracted, **kwargs):
        if create and extracted:
            session.units.set(extracted)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """An enrolled qualification learner. Traits: passed (a verified pass), non_accredited, withdrawn."""

    class Meta:
        model = Enrolment

    partner = factory.SubFactory(PartnerFactory)
    course = factory.SubFactory(CourseFactory, partner=factory.SelfAttribute("..partner"))
    learner = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"))
    track = Enrolment.Track.QUALIFICATION
    status = Enrolment.Status.ENROLLED

    class Params:
        passed = factory.Trait(
            status=Enrolment.Status.PASSED,
            verified_at=factory.LazyFunction(timezone.now),
            status_changed_at=factory.LazyFunction(timezone.now),
        )
        non_accredited = factory.Trait(track=Enrolment.Track.NON_ACCREDITED)
        withdrawn = factory.Trait(status=Enrolment.Status.WITHDRAWN)


class CourseAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseAttendance

    partner = factory.SubFactory(PartnerFactory)
    session = factory.SubFactory(CourseSessionFactory, partner=factory.SelfAttribute("..partner"))
    enrolment = factory.LazyAttribute(lambda o: EnrolmentFactory(partner=o.partner, course=o.session.course))
    status = CourseAttendance.Status.PRESENT


class CriterionAssessmentFactory(factory.django.DjangoModelFactory):
    """A `met` decision by the course's lead trainer on a criterion of the course's programme."""

    class Meta:
        model = CriterionAssessment

    partner = factory.SubFactory(PartnerFactory)
    enrolment = factory.SubFactory(EnrolmentFactory, partner=factory.SelfAttribute("..partner"))
    criterion = factory.LazyAttribute(
        lambda o: CriterionFactory(unit=UnitFactory(programme=o.enrolment.course.programme))
    )
    evidence = "Workbook p. 12; observed role play."
    decision = CriterionAssessment.Decision.MET
    assessor = factory.LazyAttribute(lambda o: o.enrolment.course.lead_trainer)
    assessed_on = factory.LazyFunction(_today)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    partner = factory.SubFactory(PartnerFactory)
    enrolment = factory.SubFactory(EnrolmentFactory, partner=factory.SelfAttribute("..partner"), passed=True)
    code = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    holder_name = factory.LazyAttribute(lambda o: o.enrolment.learner.name)
    issued_on = factory.LazyFunction(_today)
    status = Certificate.Status.VALID

    class Params:
        revoked = factory.Trait(status=Certificate.Status.REVOKED, revoked_at=factory.LazyFunction(timezone.now))


class TrainerAccreditationFactory(factory.django.DjangoModelFactory):
    """An active accredited trainer, granted a month ago for two years.

    Traits: candidate, co_trainer, trainer_of_trainers (stages); lapsed, suspended,
    past_expiry (still active but expired yesterday).
    """

    class Meta:
        model = TrainerAccreditation

    partner = factory.SubFactory(PartnerFactory)
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"))
    programme = factory.SubFactory(ProgrammeFactory)
    stage = TrainerAccreditation.Stage.ACCREDITED_TRAINER
    status = TrainerAccreditation.Status.ACTIVE
    granted_on = factory.LazyFunction(lambda: _today() - timedelta(days=30))
    period_starts_on = factory.SelfAttribute("granted_on")
    expires_on = factory.LazyAttribute(lambda o: o.granted_on + timedelta(days=730))

    class Params:
        candidate = factory.Trait(stage=TrainerAccreditation.Stage.CANDIDATE)
        co_trainer = factory.Trait(stage=TrainerAccreditation.Stage.CO_TRAINER)
        trainer_of_trainers = factory.Trait(stage=TrainerAccreditation.Stage.TRAINER_OF_TRAINERS)
        lapsed = factory.Trait(
            status=TrainerAccreditation.Status.LAPSED,
            granted_on=factory.LazyFunction(lambda: _today() - timedelta(days=800)),
        )
        suspended = factory.Trait(status=TrainerAccreditation.Status.SUSPENDED)
        past_expiry = factory.Trait(granted_on=factory.LazyFunction(lambda: _today() - timedelta(days=731)))


class AccreditationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccreditationEvent

    partner = factory.SubFactory(PartnerFactory)
    accreditation = factory.SubFactory(TrainerAccreditationFactory, partner=factory.SelfAttribute("..partner"))
    kind = AccreditationEvent.Kind.GRANTED
    stage = factory.SelfAttribute("accreditation.stage")
    status = factory.SelfAttribute("accreditation.status")
    expires_on = factory.SelfAttribute("accreditation.expires_on")
    note = "Granted by the licensor."


class TeachingRecordFactory(factory.django.DjangoModelFactory):
    """The lead trainer's record of a session; pass `person=` a co-trainer with `role="co"`."""

    class Meta:
        model = TeachingRecord

    partner = factory.SubFactory(PartnerFactory)
    session = factory.SubFactory(CourseSessionFactory, partner=factory.SelfAttribute("..partner"))
    person = factory.LazyAttribute(lambda o: o.session.course.lead_trainer)
    role = TeachingRecord.Role.LEAD
    observed = False

    class Params:
        signed_off = factory.Trait(
            signed_off_by=factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner")),
            signed_off_at=factory.LazyFunction(timezone.now),
        )


class CPDRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CPDRecord

    partner = factory.SubFactory(PartnerFactory)
    person = factory.SubFactory(PersonFactory, partner=factory.SelfAttribute("..partner"))
    date = factory.LazyFunction(lambda: _today() - timedelta(days=7))
    hours = Decimal("3.0")
    activity = "Trauma-informed practice workshop"
