"""Every planner costs the same handful of queries however many reminders fall due.

A sweep that queried once per subject would slow down with every mentor, session
and incident a franchise adds, and every partner's reminders would go out late.
Each kind below is planned with one due subject, then with four more spread over
two partners: the second pass may run no more queries than the first, and must
have planned the new subjects (so the check cannot pass by planning nothing).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchise.models import PolicyVersion
from reminders import planner
from reminders.models import Kind
from tests.franchise.factories import LicenceFactory, LicenceFeeFactory, PolicyVersionFactory
from tests.supervision.factories import (
    BoundaryIncidentFactory,
    CorrectiveActionFactory,
    IncidentActionFactory,
    MatchFactory,
    PersonFactory,
    SupervisionSessionFactory,
)
from tests.supervision.sessions.helpers import days_from_now
from tests.training.factories import CertificateFactory, TrainerAccreditationFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _overdue_mentor(partner):
    # Last supervised the default interval (42 days) and three more ago: three days overdue.
    mentor = PersonFactory(partner=partner, active_mentor=True)
    SupervisionSessionFactory(partner=partner, supervisee=mentor, held=True, starts_at=days_from_now(-45))


def _mentor_to_acknowledge(partner):
    # The partner's first version, in force from a minute before the pass, and one more mentor who has not read it.
    if not PolicyVersion.objects.filter(partner=partner).exists():
        PolicyVersionFactory(partner=partner, effective_from=timezone.now() - timedelta(minutes=1))
    PersonFactory(partner=partner, active_mentor=True)


def _soon(hours):
    return timezone.now() + timedelta(hours=hours)


# One more due subject of each kind in `partner`. The partners' coordinators and the licensor admin,
# who receive most kinds, are the test's fixtures; the other recipients come with their subject.
SCENARIOS = {
    Kind.LICENCE_EXPIRING: lambda partner: LicenceFactory(
        partner=partner, starts_on=_today() - timedelta(days=300), ends_on=_today() + timedelta(days=20)
    ),
    Kind.ACCREDITATION_EXPIRING: lambda partner: TrainerAccreditationFactory(
        partner=partner, granted_on=_today() - timedelta(days=700), expires_on=_today() + timedelta(days=25)
    ),
    Kind.CERTIFICATE_ISSUED: lambda partner: CertificateFactory(partner=partner),
    Kind.MATCH_APPROVED: lambda partner: MatchFactory(partner=partner, approved_at=timezone.now()),
    Kind.SUPERVISION_OVERDUE: _overdue_mentor,
    Kind.SUPERVISION_OVERDUE_DIGEST: _overdue_mentor,
    Kind.POLICY_ACKNOWLEDGEMENT: _mentor_to_acknowledge,
    Kind.PAUSE_REVIEW: lambda partner: PersonFactory(partner=partner, paused=True, pause_review_on=_today()),
    Kind.INCIDENT_CRITICAL: lambda partner: BoundaryIncidentFactory(partner=partner, critical=True),
    Kind.INCIDENT_REVIEW_DUE: lambda partner: BoundaryIncidentFactory(partner=partner),
    Kind.INCIDENT_REVIEW_OVERDUE: lambda partner: BoundaryIncidentFactory(partner=partner, review_due_at=_soon(-1)),
    Kind.INCIDENT_ACTION_DUE: lambda partner: IncidentActionFactory(partner=partner, due_on=_today()),
    Kind.SESSION_UPCOMING: lambda partner: SupervisionSessionFactory(partner=partner, starts_at=_soon(2)),
    Kind.SESSION_MOVED: lambda partner: SupervisionSessionFactory(partner=partner, sequence=1),
    Kind.SESSION_CANCELLED: lambda partner: SupervisionSessionFactory(partner=partner, cancelled=True),
    Kind.LICENCE_FEE_DUE: lambda partner: LicenceFeeFactory(partner=partner),
    Kind.LICENCE_FEE_OVERDUE: lambda partner: LicenceFeeFactory(partner=partner, overdue=True),
    Kind.CORRECTIVE_ACTION_OVERDUE: lambda partner: CorrectiveActionFactory(partner=partner, overdue=True),
}

# The digest's subject is the partner, not the mentor: four more overdue mentors only add a digest
# for the partner that had none yet.
PER_PARTNER = {Kind.SUPERVISION_OVERDUE_DIGEST}


@pytest.mark.parametrize("kind", sorted(planner.PLANNERS))
def test_planning_a_kind_for_five_due_subjects_runs_no_more_queries_than_for_one(
    kind, partner, other_partner, coordinator, other_coordinator, licensor, django_assert_max_num_queries
):
    if kind not in SCENARIOS:
        pytest.fail(f"The {kind} planner has no scenario here: add one to SCENARIOS so its query count is checked")
    add_due_subject = SCENARIOS[kind]
    now = timezone.now()
    # Nothing due yet: this pass only caches what every later pass reuses (content types, the baseline
    # policy), so that the first count below is what a planning pass really costs.
    assert planner.plan(now, kinds={kind}) == {kind: 0}

    add_due_subject(partner)
    with CaptureQueriesContext(connection) as first_pass:
        first = planner.plan(now, kinds={kind})[kind]
    assert first > 0, f"the {kind} scenario planned nothing"

    for where in (partner, partner, other_partner, other_partner):
        add_due_subject(where)
    with django_assert_max_num_queries(len(first_pass)):
        second = planner.plan(now, kinds={kind})[kind]

    new_occasions = 1 if kind in PER_PARTNER else 4
    assert second == first * new_occasions, f"the {kind} planner missed some of the new subjects"


def _computed_once(node):
    # What these nodes read they read once and keep, however often the node above asks again (a hashed
    # aggregate keeps its table on a rescan, a sort its sorted rows, while nothing beneath them reads the row
    # above, as nothing in the planners' grouped joins does), as does an InitPlan.
    return (
        node["Node Type"] in {"Hash", "Materialize", "Sort"}
        or (node["Node Type"] == "Aggregate" and node.get("Strategy") == "Hashed")
        or node.get("Parent Relationship") == "InitPlan"
    )


def _ledger_scans_per_row(node, per_row=False):
    """The scans of the ledger in an EXPLAIN (FORMAT JSON) plan that run once per row of something else."""
    if _computed_once(node):
        per_row = False
    if node.get("Parent Relationship") == "SubPlan":
        per_row = True
    found = []
    if per_row and node.get("Relation Name") == "reminders_reminder" and node["Node Type"] != "ModifyTable":
        found.append(node["Node Type"])
    for child in node.get("Plans", ()):
        inner = node["Node Type"] == "Nested Loop" and child.get("Parent Relationship") == "Inner"
        found += _ledger_scans_per_row(child, per_row or inner)
    return found


@pytest.mark.postgres
@pytest.mark.parametrize("kind", sorted(planner.PLANNERS))
def test_no_planner_looks_the_ledger_up_once_per_row_it_plans(kind, partner, other_partner, coordinator, licensor):
    # The statement inserts into the ledger as it goes. A look-up of the ledger per planned row, planned on
    # statistics that call the ledger empty (a first sweep, after an import), scans all the rows inserted so far
    # each time: a first sweep of 100,000 overdue mentors took 130 s instead of 4. Duplicates are ON CONFLICT's.
    for where in (partner, other_partner):
        SCENARIOS[kind](where)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        planner.plan(timezone.now(), kinds={kind})
    inserts = [query["sql"] for query in queries if query["sql"].startswith("INSERT INTO reminders_reminder")]
    assert inserts, f"the {kind} planner inserted nothing"
    for sql in inserts:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            (plan,) = cursor.fetchone()[0]
        assert _ledger_scans_per_row(plan["Plan"]) == [], f"{kind} looks the ledger up per row:\n{sql}"
