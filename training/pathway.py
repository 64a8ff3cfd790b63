"""The train-the-trainer path of each person, drawn from the records: learner → co-trainer → accredited trainer →
trainer of trainers, each step with the date it was reached and the evidence behind it.

Set-based: `trainer_paths(accreditations)` reads the events, passed enrolments and signed-off teaching of any
number of accreditations in a fixed number of queries, so a list of a partner's trainers stays constant.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from training.models import AccreditationEvent, Enrolment, TeachingRecord, TrainerAccreditation

Stage = TrainerAccreditation.Stage

STEP_LABELS = {
    Stage.CANDIDATE: "Learner",
    Stage.CO_TRAINER: "Co-trainer",
    Stage.ACCREDITED_TRAINER: "Accredited trainer",
    Stage.TRAINER_OF_TRAINERS: "Trainer of trainers",
}


@dataclass
class Step:
    stage: str
    label: str
    reached_on: object = None  # a date, or None when not reached yet
    evidence: list = field(default_factory=list)  # sentences
    current: bool = False
    skipped: bool = False  # not on record, though a later stage is held (the licensor granted that directly)

    @property
    def reached(self):
        return self.reached_on is not None


def _stage_reached_on(events):
    """The first date each stage was held, from the accreditation's own history (grant or promotion)."""
    reached = {}
    for event in events:
        if event.kind in (AccreditationEvent.Kind.GRANTED, AccreditationEvent.Kind.PROMOTED):
            reached.setdefault(event.stage, event.at.date())
    return reached


def trainer_paths(accreditations):
    """{accreditation id: [Step, …]} for the given accreditations (with person and programme loaded)."""
    accreditations = list(accreditations)
    if not accreditations:
        return {}
    ids = [a.pk for a in accreditations]
    people = {a.person_id for a in accreditations}
    events = defaultdict(list)
    for event in AccreditationEvent.objects.filter(accreditation_id__in=ids).order_by("at"):
        events[event.accreditation_id].append(event)
    passed = {}
    for enrolment in (
        Enrolment.objects.filter(learner_id__in=people, status=Enrolment.Status.PASSED)
        .select_related("course", "certificate")
        .order_by("status_changed_at")
    ):
        passed.setdefault((enrolment.learner_id, enrolment.course.programme_id), enrolment)
    teaching = {
        (row["person_id"], row["session__course__programme_id"]): row
        for row in TeachingRecord.objects.signed_off()
        .filter(person_id__in=people)
        .values("person_id", "session__course__programme_id")
        .annotate(co_taught=Count("pk", filter=Q(role=TeachingRecord.Role.CO, observed=False)))
        .annotate(observed=Count("pk", filter=Q(observed=True)))
        .order_by()
    }
    paths = {}
    for accreditation in accreditations:
        key = (accreditation.person_id, accreditation.programme_id)
        reached = _stage_reached_on(events[accreditation.pk])
        held = TrainerAccreditation.STAGE_ORDER.index(accreditation.stage)
        enrolment = passed.get(key)
        taught = teaching.get(key, {"co_taught": 0, "observed": 0})
        steps = []
        for index, stage in enumerate(TrainerAccreditation.STAGE_ORDER):
            step = Step(stage, STEP_LABELS[stage], current=index == held)
            if stage == Stage.CANDIDATE:
                if enrolment is not None:
                    step.reached_on = enrolment.status_changed_at.date() if enrolment.status_changed_at else None
                    step.evidence.append(f"Passed {enrolment.course.title}.")
                    certificate = getattr(enrolment, "certificate", None)
                    if certificate is not None:
                        step.evidence.append(f"Certificate issued {certificate.issued_on:%-d %B %Y}.")
                step.reached_on = step.reached_on or reached.get(stage)
            else:
                step.reached_on = reached.get(stage) if index <= held else None
                if stage == Stage.CO_TRAINER and index <= held:
                    step.evidence.append("Promoted on passing the course." if enrolment else "Granted by the licensor.")
                if stage == Stage.ACCREDITED_TRAINER:
                    step.evidence.append(
                        f"{taught['co_taught']} co-taught {_sessions(taught['co_taught'])} signed off by an "
                        "accredited trainer."
                    )
                    step.evidence.append(
                        "An observed delivery signed off by a trainer of trainers."
                        if taught["observed"]
                        else "No observed delivery signed off yet."
                    )
                if stage == Stage.TRAINER_OF_TRAINERS:
                    step.evidence.append("The licensing organisation's decision.")
            if index <= held and step.reached_on is None and stage != Stage.CANDIDATE:
                step.reached_on = accreditation.granted_on
            step.skipped = index < held and not step.reached
            steps.append(step)
        paths[accreditation.pk] = steps
    return paths


def _sessions(number):
    return "session" if number == 1 else "sessions"
