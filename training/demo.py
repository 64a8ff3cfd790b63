"""Demo data for training: Northside's completed spring cohort (six sessions, six learners, five passed
and certified, one studied without the qualification), its two accredited trainers, and two of its
graduates now co-trainers on the current cohort (running, six learners part-assessed), on their way to
accreditation.

Everything goes through the services, so the demo exercises the same rules as the API (licence on the
course dates, the lead's accreditation, internal verification by a second trainer, promotion evidence).

Fills for later steps:
  world["courses"]       {"spring": Course, "current": Course}
  world["certificates"]  [Certificate]
  world["trainers"]      {"lead": Person, "verifier": Person} (accredited trainers at Northside)
  world["co_trainers"]   [Person] (graduates now at the co_trainer stage)
"""

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from franchise import services as franchise_services
from franchise.demo import DEMO_PASSWORD
from franchise.models import Criterion, Membership, Role, User
from supervision.models import Person
from training import services
from training.models import Course, Enrolment, TrainerAccreditation

SPRING_TOPICS = [
    "What peer mentoring is, and what lived experience brings",
    "Boundaries, confidentiality and safeguarding",
    "Listening, questions and summaries",
    "Agreeing goals the mentee owns",
    "Records, feedback and reflective practice",
    "Endings, signposting and looking after yourself",
]
# (name, track, logs in)
SPRING_LEARNERS = [
    ("Jade Morris", Enrolment.Track.QUALIFICATION, True),
    ("Kayleigh Ward", Enrolment.Track.QUALIFICATION, False),
    ("Nadia Rahman", Enrolment.Track.QUALIFICATION, False),
    ("Rosie Flynn", Enrolment.Track.QUALIFICATION, False),
    ("Tanya Okoro", Enrolment.Track.QUALIFICATION, False),
    ("Yasmin Ali", Enrolment.Track.NON_ACCREDITED, False),
]
CURRENT_LEARNERS = ["Abi Nolan", "Carmen Diaz", "Priti Patel", "Dee Campbell", "Lorna Fitzgerald", "Mo Hussain"]
# How far the lead has got through each current learner's workbook: criteria met (in order), then one not yet.
# Abi's is complete, so she waits for internal verification by the second trainer.
CURRENT_PROGRESS = {"Abi Nolan": None, "Carmen Diaz": 12, "Priti Patel": 8, "Dee Campbell": 5, "Mo Hussain": 3}


def _email(name):
    return name.lower().replace(" ", ".") + "@learners.example"


def seed(world):
    today = timezone.localdate()
    licensor, partner, programme = world["licensor"], world["northside"], world["programme"]
    coordinator = world["staff"][("northside", Role.COORDINATOR)]
    lead_user = world["staff"][("northside", Role.TRAINER)]

    verifier_user = User.objects.create_user("trainer2@northside.example", DEMO_PASSWORD, name="Sarah Lindqvist")
    Membership.objects.create(user=verifier_user, partner=partner, role=Role.TRAINER)
    world["accounts"].append(("trainer2@northside.example", f"trainer at {partner.name} (internal verifier)"))
    lead = franchise_services.person_for_user(partner, lead_user)
    verifier = franchise_services.person_for_user(partner, verifier_user)
    for person in (lead, verifier):
        services.grant_accreditation(
            by=licensor,
            person=person,
            programme=programme,
            stage=TrainerAccreditation.Stage.ACCREDITED_TRAINER,
            granted_on=today - timedelta(days=200),
            note="One of the partner's first trainers, accredited by the licensor.",
        )
    world["trainers"] = {"lead": lead, "verifier": verifier}

    spring, learners = _spring_cohort(world, today, coordinator, lead, verifier_user)
    co_trainers = _graduates_become_co_trainers(world, coordinator, learners[:2])
    current = _current_cohort(world, today, coordinator, lead_user, lead, co_trainers)
    world["courses"] = {"spring": spring, "current": current}

    # CPD towards the trainers' standing: the lead is still short of the six hours a period asks.
    services.log_cpd(
        by=lead_user, date=today - timedelta(days=60), hours=Decimal("4"), activity="Trauma-informed practice day"
    )
    services.log_cpd(
        by=verifier_user, date=today - timedelta(days=45), hours=Decimal("7"), activity="Assessor and IQA refresher"
    )


def _spring_cohort(world, today, coordinator, lead, verifier_user):
    partner, programme = world["northside"], world["programme"]
    starts_on = today - timedelta(days=120)
    course = services.create_course(
        by=coordinator,
        programme=programme,
        lead_trainer=lead,
        title="Peer Training and Mentoring — spring cohort",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=35),
        capacity=8,
        mode=Course.Mode.IN_PERSON,
        venue="Northside Women's Centre, group room",
    )
    course = services.transition_course(by=coordinator, course=course, to=Course.Status.OPEN)

    learner_user = User.objects.create_user("learner@northside.example", DEMO_PASSWORD, name=SPRING_LEARNERS[0][0])
    Membership.objects.create(user=learner_user, partner=partner, role=Role.MENTOR)
    world["accounts"].append(("learner@northside.example", f"learner at {partner.name} (passed the spring cohort)"))
    learners, enrolments = [], []
    for name, track, logs_in in SPRING_LEARNERS:
        user = learner_user if logs_in else None
        person = Person.objects.create(
            partner=partner, name=name, email=user.email if user else _email(name), user=user
        )
        learners.append(person)
        enrolments.append(services.enrol(by=coordinator, course=course, learner=person, track=track))
    course = services.transition_course(by=coordinator, course=course, to=Course.Status.RUNNING)

    unit = world["unit"]
    for week, topic in enumerate(SPRING_TOPICS):
        session = services.create_session(
            by=coordinator,
            course=course,
            date=starts_on + timedelta(days=7 * week),
            starts_at=time(10, 0),
            ends_at=time(14, 0),
            topic=topic,
            units=[unit],
        )
        services.record_attendance(
            by=coordinator, session=session, entries=[(enrolment, "present") for enrolment in enrolments]
        )

    criteria = list(Criterion.objects.filter(unit__programme=programme).order_by("position"))
    lead_user = world["staff"][("northside", Role.TRAINER)]
    certificates = []
    for enrolment in enrolments:
        if enrolment.track != Enrolment.Track.QUALIFICATION:
            continue
        for criterion in criteria:
            services.assess(
                by=lead_user,
                enrolment=enrolment,
                criterion=criterion,
                decision="met",
                evidence=f"Workbook {criterion.code}; observed in the week {1 + criterion.position % 6} role play.",
                assessed_on=starts_on + timedelta(days=35),
            )
        _, certificate = services.verify_enrolment(by=verifier_user, enrolment=enrolment)
        certificates.append(certificate)
    # Completing the course completes the non-accredited learner on her full attendance.
    course = services.transition_course(by=coordinator, course=course, to=Course.Status.COMPLETED)
    world["certificates"] = certificates
    return course, learners


def _graduates_become_co_trainers(world, coordinator, graduates):
    """Two graduates start train-the-trainer: candidates granted by the licensor, promoted on their pass."""
    co_trainers = []
    for person in graduates:
        accreditation = services.grant_accreditation(
            by=world["licensor"], person=person, programme=world["programme"], note="Nominated by Northside."
        )
        services.promote_accreditation(by=coordinator, accreditation=accreditation, note="Passed the spring cohort.")
        co_trainers.append(person)
    world["co_trainers"] = co_trainers
    return co_trainers


def _current_cohort(world, today, coordinator, lead_user, lead, co_trainers):
    """The current cohort of six, co-taught by the graduates (one has a first session signed off, 1 of 2): last
    week's register taken, today's still to take, workbooks part-assessed and one learner ready for verification."""
    partner = world["northside"]
    starts_on = today - timedelta(days=7)
    course = services.create_course(
        by=lead_user,
        programme=world["programme"],
        lead_trainer=lead,
        co_trainers=co_trainers,
        title="Peer Training and Mentoring — summer cohort",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=35),
        capacity=8,
        mode=Course.Mode.BLENDED,
        venue="Northside Women's Centre and online",
    )
    course = services.transition_course(by=lead_user, course=course, to=Course.Status.OPEN)
    enrolments = []
    for name in CURRENT_LEARNERS:
        person = Person.objects.create(partner=partner, name=name, email=_email(name))
        enrolments.append(services.enrol(by=lead_user, course=course, learner=person))
    course = services.transition_course(by=lead_user, course=course, to=Course.Status.RUNNING)
    session = services.create_session(
        by=lead_user,
        course=course,
        date=starts_on,
        starts_at=time(10, 0),
        ends_at=time(14, 0),
        topic=SPRING_TOPICS[0],
        units=[world["unit"]],
    )
    services.record_attendance(
        by=lead_user,
        session=session,
        entries=[(e, "apologies" if e.learner.name == "Mo Hussain" else "present") for e in enrolments],
    )
    # Today's session: its register is still to take.
    services.create_session(
        by=lead_user,
        course=course,
        date=today,
        starts_at=time(10, 0),
        ends_at=time(14, 0),
        topic=SPRING_TOPICS[1],
        units=[world["unit"]],
    )
    criteria = list(Criterion.objects.filter(unit__programme=world["programme"]).order_by("position"))
    for enrolment in enrolments:
        name = enrolment.learner.name
        if name not in CURRENT_PROGRESS:
            continue
        met = CURRENT_PROGRESS[name] or len(criteria)
        for criterion in criteria[:met]:
            services.assess(
                by=lead_user,
                enrolment=enrolment,
                criterion=criterion,
                decision="met",
                evidence=f"Workbook {criterion.code}, week one.",
            )
        if met < len(criteria):
            services.assess(
                by=lead_user,
                enrolment=enrolment,
                criterion=criteria[met],
                decision="not_yet",
                evidence="Workbook answer too short; to expand with an example from practice.",
            )
    record = services.log_teaching(
        by=coordinator, session=session, person=co_trainers[0], note="Led the icebreaker and the lived-experience talk."
    )
    services.sign_off_teaching(by=lead_user, record=record)
    return course
