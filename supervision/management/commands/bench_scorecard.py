"""Benchmark of the partner scorecard: `python manage.py bench_scorecard --mentors 100000 --partners 100`.

Builds the compliance benchmark's world (bench_compliance: partners with their policy versions, active mentors
and months of sessions) and adds what the other components read: a licence per partner (one in ten ending
within 30 days), policy acknowledgements by most mentors, incidents of the last four months in every review
state, five accredited trainers per partner with their deliveries and CPD, and a completed audit per partner with
its answers and corrective actions. It commits, VACUUMs and ANALYZEs the world, then times every partner's score
as the licensor reads the table (supervision.fidelity.scorecard.partner_scores), against the goal of under 2 s,
and beside a hand-written floor: the per-partner counts of the mentors' part (supervision coverage and policy
acknowledgement over every active mentor, the bulk of the work) in one GROUP BY statement (core.benchmarking).

The generated world is deleted at the end. A benchmark, not a test: it asserts nothing; run it against the
database you want figures for (DATABASE_URL=postgres://…).
"""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.benchmarking import compare, print_table
from core.tenancy import access_for
from franchise.models import BoundaryRule, Licence, PolicyAcknowledgement, PolicyVersion, Programme
from supervision.fidelity.models import (
    Audit,
    AuditAnswer,
    AuditQuestion,
    AuditSection,
    AuditTemplate,
    CorrectiveAction,
)
from supervision.fidelity.scorecard import partner_scores
from supervision.management.commands.bench_compliance import BATCH, _Floor
from supervision.management.commands.bench_compliance import Command as ComplianceBenchmark
from supervision.models import BoundaryIncident, MentorStatus, Person
from training.models import Course, CPDRecord, TrainerAccreditation

GOAL_SECONDS = 2.0
# The scorecard reads the mentors' part and five more small grouped queries: about that floor and a little more.
GOAL_RATIO = 1.5
TRAINERS = 5
INCIDENTS = 20
QUESTIONS = 10


class Command(BaseCommand):
    help = "Time every partner's score over a generated world, beside a hand-written floor, then delete it."

    def add_arguments(self, parser):
        parser.add_argument("--mentors", type=int, default=10000, help="Active mentors to generate (default 10000).")
        parser.add_argument("--partners", type=int, default=10, help="Partners to spread them over (default 10).")
        parser.add_argument("--repeat", type=int, default=5, help="Interleaved rounds of the comparison (default 5).")
        parser.add_argument("--seed", type=int, default=17)

    def handle(self, *args, mentors, partners, repeat, seed, **options):
        if mentors < 1 or partners < 1 or repeat < 1:
            raise CommandError("--mentors, --partners and --repeat are at least 1.")
        rng = random.Random(seed)
        compliance = ComplianceBenchmark()
        started = time.perf_counter()
        with transaction.atomic():
            licensor, owners = compliance._world(mentors, partners, 4, rng)
            extras = self._world(owners, rng)
        built = time.perf_counter() - started
        try:
            with connection.cursor() as cursor:
                vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
                cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
            self.stdout.write(
                f"{connection.vendor}: {mentors} active mentors in {partners} partners, "
                f"{BoundaryIncident.objects.filter(partner__in=owners).count()} incidents, "
                f"{TrainerAccreditation.objects.filter(partner__in=owners).count()} accredited trainers, "
                f"{PolicyAcknowledgement.objects.filter(partner__in=owners).count()} acknowledgements "
                f"(built in {built:.1f} s)."
            )
            self._compare(licensor, partners, mentors, repeat)
        finally:
            self._delete(owners, extras)
            compliance._delete(licensor, owners)
        self.stdout.write("Generated data deleted.")

    def _compare(self, licensor, partners, mentors, repeat):
        now = timezone.now()
        today = timezone.localdate(now)
        access_for(licensor)  # the caller's memberships, read once per request by the API, not per query
        floor = _MentorsFloor(now, today)

        def table():
            return partner_scores(licensor)

        with CaptureQueriesContext(connection) as captured:
            scores = table()
        queries = len(captured.captured_queries)
        self.stdout.write(f"every partner's score: {len(scores)} partners, {queries} queries")
        counted = {
            str(score.partner_id).replace("-", ""): (
                score.component("supervision_coverage").denominator,
                score.component("supervision_coverage").numerator,
                score.component("policy_acknowledgement").numerator,
            )
            for score in scores
        }
        by_hand = {str(row[0]).replace("-", ""): tuple(row[1:]) for row in floor.rows()}
        self.stdout.write(
            "the mentors' counts agree with the floor"
            if counted == by_hand
            else "the mentors' counts DIFFER from the floor"
        )
        comparison = compare(
            f"scorecard, {partners} partners, {mentors} mentors", table, floor.rows, goal=GOAL_RATIO, rounds=repeat
        )
        print_table(self.stdout.write, [comparison])
        verdict = "ok" if comparison.tandem_seconds < GOAL_SECONDS else "OVER"
        self.stdout.write(
            f"every partner's score: {comparison.tandem_seconds:.3f} s (median of {repeat}), "
            f"goal < {GOAL_SECONDS:.0f} s: {verdict}"
        )

    def _world(self, owners, rng):
        now = timezone.now()
        today = timezone.localdate(now)
        stamp = int(now.timestamp())
        programme = Programme.objects.create(name="Bench programme", code=f"BENCH-{stamp}")
        rule = BoundaryRule.objects.create(
            partner=None,
            code=f"BENCH-{stamp}",
            title="Benchmark rule",
            description="Benchmark",
            category=BoundaryRule.Category.CONTACT,
        )
        template = AuditTemplate.objects.create(name=f"Bench audit {stamp}", programme=programme)
        section = AuditSection.objects.create(template=template, title="Bench")
        questions = AuditQuestion.objects.bulk_create(
            [
                AuditQuestion(section=section, code=f"B-{n}", text="Benchmark", weight=1 + n % 3, position=n)
                for n in range(QUESTIONS)
            ]
        )
        Licence.objects.bulk_create(
            [
                Licence(
                    partner=partner,
                    programme=programme,
                    reference=f"BENCH-{stamp}-{n}",
                    starts_on=today - timedelta(days=300),
                    ends_on=today + timedelta(days=20 if n % 10 == 0 else 400),
                    status=Licence.Status.ACTIVE,
                )
                for n, partner in enumerate(owners)
            ]
        )
        versions = {
            version.partner_id: version.pk for version in PolicyVersion.objects.filter(partner__in=owners).only("pk")
        }
        mentors = Person.objects.filter(partner__in=owners, mentor_status=MentorStatus.ACTIVE).values_list(
            "pk", "partner_id"
        )
        PolicyAcknowledgement.objects.bulk_create(
            (
                PolicyAcknowledgement(partner_id=partner_id, person_id=pk, policy_version_id=versions[partner_id])
                for pk, partner_id in mentors.iterator()
                if rng.random() < 0.85
            ),
            batch_size=BATCH,
        )
        BoundaryIncident.objects.bulk_create(
            [self._incident(partner, rule, now, rng) for partner in owners for _ in range(INCIDENTS)], batch_size=BATCH
        )
        trainers = Person.objects.bulk_create(
            [Person(partner=partner, name=f"Trainer {n}") for partner in owners for n in range(TRAINERS)],
            batch_size=BATCH,
        )
        TrainerAccreditation.objects.bulk_create(
            [
                TrainerAccreditation(
                    partner_id=person.partner_id,
                    person=person,
                    programme=programme,
                    stage=TrainerAccreditation.Stage.ACCREDITED_TRAINER,
                    status=TrainerAccreditation.Status.LAPSED if n % 7 == 0 else TrainerAccreditation.Status.ACTIVE,
                    granted_on=today - timedelta(days=200),
                    period_starts_on=today - timedelta(days=200),
                    expires_on=today + timedelta(days=530),
                )
                for n, person in enumerate(trainers)
            ],
            batch_size=BATCH,
        )
        Course.objects.bulk_create(
            [
                Course(
                    partner_id=person.partner_id,
                    programme=programme,
                    title="Bench cohort",
                    starts_on=today - timedelta(days=90),
                    ends_on=today - timedelta(days=60),
                    capacity=12,
                    status=Course.Status.COMPLETED,
                    lead_trainer=person,
                )
                for n, person in enumerate(trainers)
                if n % 5 < 3
            ],
            batch_size=BATCH,
        )
        CPDRecord.objects.bulk_create(
            [
                CPDRecord(partner_id=person.partner_id, person=person, date=today - timedelta(days=30), hours=hours)
                for n, person in enumerate(trainers)
                if n % 5 < 4
                for hours in (Decimal("3"), Decimal("3"))
            ],
            batch_size=BATCH,
        )
        self._audits(owners, template, questions, now, rng)
        return {"programme": programme, "rule": rule, "template": template}

    def _incident(self, partner, rule, now, rng):
        occurred_at = now - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 23))
        review_due_at = occurred_at + timedelta(hours=rng.choice((48, 72, 168)))
        reviewed = rng.random()
        reviewed_at = None
        if reviewed < 0.6:
            reviewed_at = occurred_at + timedelta(hours=rng.randint(1, 40))
        elif reviewed < 0.8:
            reviewed_at = review_due_at + timedelta(hours=rng.randint(1, 48))
        return BoundaryIncident(
            partner=partner,
            rule=rule,
            category=rule.category,
            severity=rng.choice(BoundaryIncident.Severity.values),
            occurred_at=occurred_at,
            description="Benchmark",
            status=BoundaryIncident.Status.UNDER_REVIEW if reviewed_at else BoundaryIncident.Status.REPORTED,
            review_due_at=review_due_at,
            reviewed_at=reviewed_at,
        )

    def _audits(self, owners, template, questions, now, rng):
        today = timezone.localdate(now)
        audits = Audit.objects.bulk_create(
            [
                Audit(
                    partner=partner,
                    template=template,
                    scheduled_on=today - timedelta(days=60),
                    held_on=today - timedelta(days=60),
                    status=Audit.Status.COMPLETED,
                    score=75,
                    completed_at=now - timedelta(days=60),
                )
                for partner in owners
            ]
        )
        answers, actions = [], []
        for audit in audits:
            for question in questions:
                answer = rng.choice(
                    [AuditAnswer.Answer.MET] * 6
                    + [AuditAnswer.Answer.PARTLY, AuditAnswer.Answer.NOT_MET, AuditAnswer.Answer.NOT_APPLICABLE]
                )
                answers.append(AuditAnswer(partner_id=audit.partner_id, audit=audit, question=question, answer=answer))
                if answer in AuditAnswer.SHORTFALLS:
                    actions.append(
                        CorrectiveAction(
                            partner_id=audit.partner_id,
                            audit=audit,
                            question=question,
                            description="Benchmark",
                            due_on=today + timedelta(days=rng.choice((-10, 20))),
                            status=rng.choice(CorrectiveAction.Status.values),
                        )
                    )
        AuditAnswer.objects.bulk_create(answers, batch_size=BATCH)
        CorrectiveAction.objects.bulk_create(actions, batch_size=BATCH)

    def _delete(self, owners, extras):
        """What this benchmark added to the compliance world, table by table in one statement each."""
        partner_ids = [owner._meta.pk.get_db_prep_value(owner.pk, connection) for owner in owners]
        in_list = ", ".join(["%s"] * len(partner_ids))
        with transaction.atomic(), connection.cursor() as cursor:
            for model in (
                CorrectiveAction,
                AuditAnswer,
                Audit,
                CPDRecord,
                Course,
                TrainerAccreditation,
                PolicyAcknowledgement,
                BoundaryIncident,
                Licence,
            ):
                sql = f"DELETE FROM {model._meta.db_table} WHERE partner_id IN ({in_list})"  # noqa: S608 - our tables
                cursor.execute(sql, partner_ids)
            extras["template"].delete()
            extras["rule"].delete()
            extras["programme"].delete()


class _MentorsFloor(_Floor):
    """Per partner, by hand: active mentors, those not overdue and those who acknowledged the version in force —
    the compliance benchmark's hand-written rows grouped, with the acknowledgements joined."""

    def rows(self):
        acknowledgement = PolicyAcknowledgement._meta.db_table
        sql = f"""
            SELECT m.partner_id, COUNT(*),
                SUM(CASE WHEN m.state = 'overdue' THEN 0 ELSE 1 END),
                SUM(CASE WHEN a.person_id IS NULL THEN 0 ELSE 1 END)
            FROM ({self.sql.format(where="", order="")}) m
            LEFT JOIN {acknowledgement} a ON a.person_id = m.id AND a.policy_version_id = m.version_id
            GROUP BY m.partner_id
        """  # noqa: S608 - our tables, values as parameters
        return self._fetch(sql)
