"""Demo data for fidelity audits: the licensor's template drawn from the programme's own rules, a completed audit
of Northside about four months ago with two corrective actions still open (one of them overdue), and an audit of
Harbour coming up.

Made through the services, as the licensor would through the API; only what happened in the past (when the
audit was completed, the due dates the licensor agreed since) is moved back afterwards. Reads from earlier
steps: world["licensor"], world["programme"], world["staff"], world["northside"], world["harbour"].
"""

from datetime import timedelta

from django.utils import timezone

from franchise.models import BaselinePolicy, Role
from supervision.fidelity import services as fidelity
from supervision.models import Audit, AuditQuestion

TEMPLATE_NAME = "Programme fidelity audit"


def _sections(policy):
    """The template's questions, each tied to the policy field it checks; the baseline's values in the text."""
    return [
        {
            "title": "Supervision",
            "questions": [
                {
                    "code": "SUP-1",
                    "text": "Every active mentor has had supervision within the last "
                    f"{policy['supervision_interval_days']} days.",
                    "weight": 3,
                    "policy_field": "supervision_interval_days",
                },
                {
                    "code": "SUP-2",
                    "text": f"Peer-supervision groups meet with {policy['peer_group_min_size']} to "
                    f"{policy['peer_group_max_size']} members.",
                    "weight": 1,
                    "policy_field": "peer_group_min_size",
                },
                {
                    "code": "SUP-3",
                    "text": "Most members of every peer-supervision group have completed the mentor training.",
                    "weight": 2,
                    "policy_field": "peer_group_trained_majority",
                },
            ],
        },
        {
            "title": "Mentor preparation",
            "questions": [
                {
                    "code": "PREP-1",
                    "text": f"Every mentor activated since the last audit shadowed for at least "
                    f"{policy['shadowing_hours_required']} hours first.",
                    "weight": 2,
                    "policy_field": "shadowing_hours_required",
                },
            ],
        },
        {
            "title": "Boundary incidents",
            "questions": [
                {
                    "code": "INC-1",
                    "text": "Every incident was reviewed within the policy's deadline for its severity (critical "
                    f"within {policy['incident_review_hours_critical']} hours).",
                    "weight": 3,
                    "policy_field": "incident_review_hours_critical",
                },
            ],
        },
        {
            "title": "Training",
            "questions": [
                {
                    "code": "TRN-1",
                    "text": "Every course was led by a trainer whose accreditation was current "
                    f"(renewed every {policy['accreditation_validity_months']} months).",
                    "weight": 2,
                    "policy_field": "accreditation_validity_months",
                },
            ],
        },
    ]


# Northside's audit: (code, answer, evidence). SUP-1 partly and INC-1 not met raise the two actions.
NORTHSIDE_ANSWERS = [
    ("SUP-1", "partly", "Three of the fourteen active mentors were past the interval on the day of the visit."),
    ("SUP-2", "met", "Both groups' registers seen; five and six members."),
    ("SUP-3", "met", "Training records of both groups' members checked."),
    ("PREP-1", "met", "Shadowing logs of the four mentors activated this year seen."),
    ("INC-1", "not_met", "Two high-severity incidents were reviewed after their deadline."),
    ("TRN-1", "met", "Both courses of the year were led by accredited trainers."),
]
AUDIT_DAYS_AGO = 120


def seed(world):
    licensor = world["licensor"]
    template = fidelity.create_template(
        licensor, name=TEMPLATE_NAME, programme=world["programme"], sections=_sections(BaselinePolicy.load().values())
    )
    world["audit_template"] = template
    world["audits"] = {
        "northside": _completed_audit(world, template),
        "harbour": fidelity.schedule_audit(
            licensor,
            partner=world["harbour"],
            template=template,
            scheduled_on=timezone.localdate() + timedelta(days=21),
            auditor=licensor,
            mode=Audit.Mode.REMOTE,
        ),
    }


def _completed_audit(world, template):
    licensor = world["licensor"]
    today = timezone.localdate()
    held_on = today - timedelta(days=AUDIT_DAYS_AGO)
    audit = fidelity.schedule_audit(
        licensor, partner=world["northside"], template=template, scheduled_on=held_on, auditor=licensor, mode="visit"
    )
    questions = {q.code: q for q in AuditQuestion.objects.filter(section__template=template)}
    fidelity.record_answers(
        licensor,
        audit,
        [
            {"question": questions[code], "answer": answer, "evidence": evidence}
            for code, answer, evidence in NORTHSIDE_ANSWERS
        ],
    )
    audit = fidelity.complete_audit(licensor, audit, held_on=held_on)
    Audit.objects.filter(pk=audit.pk).update(completed_at=timezone.now() - timedelta(days=AUDIT_DAYS_AGO - 3))
    actions = {action.question.code: action for action in audit.corrective_actions.select_related("question")}
    # The supervisor took the supervision backlog on and the licensor gave it more time; the late reviews have
    # no owner yet and their date passed last week.
    coordinator = world["staff"][("northside", Role.COORDINATOR)]
    fidelity.update_action(coordinator, actions["SUP-1"], owner=world["staff"][("northside", Role.SUPERVISOR)])
    fidelity.update_action(licensor, actions["SUP-1"], due_on=today + timedelta(days=30))
    fidelity.update_action(licensor, actions["INC-1"], due_on=today - timedelta(days=5))
    return audit
