"""The fidelity tests' world: the licensor's template of three weighted questions and a way to build it."""

import pytest

from supervision.fidelity import services as fidelity

SECTIONS = [
    {
        "title": "Supervision",
        "questions": [
            {
                "code": "SUP-1",
                "text": "Is every active mentor supervised within the interval?",
                "weight": 2,
                "policy_field": "supervision_interval_days",
            },
            {"code": "SUP-2", "text": "Do peer groups have a trained majority?", "weight": 1},
        ],
    },
    {
        "title": "Incidents",
        "questions": [{"code": "INC-1", "text": "Are incidents reviewed within their deadlines?", "weight": 1}],
    },
]


@pytest.fixture
def template(licensor):
    return fidelity.create_template(licensor, name="Programme fidelity audit", sections=SECTIONS)


@pytest.fixture
def questions(template):
    """The template's questions by code."""
    from supervision.models import AuditQuestion

    return {q.code: q for q in AuditQuestion.objects.filter(section__template=template)}


@pytest.fixture
def audit(licensor, partner, template):
    from django.utils import timezone

    return fidelity.schedule_audit(
        licensor, partner=partner, template=template, scheduled_on=timezone.localdate(), auditor=licensor, mode="visit"
    )


@pytest.fixture
def answer_all(licensor, questions):
    """Record an answer for every question: answer_all(audit, SUP-1="met", ...), the rest met."""

    def answer(audit, **given):
        rows = [
            {"question": q, "answer": given.get(code.replace("-", "_"), "met"), "evidence": f"Seen for {code}."}
            for code, q in questions.items()
        ]
        return fidelity.record_answers(licensor, audit, rows)

    return answer
