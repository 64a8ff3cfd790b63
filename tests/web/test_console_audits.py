"""The licensor's console: scheduling and running a fidelity audit, reading the templates, and reviewing the
corrective actions audits raised (the console walkers cover every page's access and query count)."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Role
from supervision.models import Audit, AuditAnswer, AuditQuestion, AuditTemplate, CorrectiveAction
from tests.factories import user_with_role
from tests.supervision.factories import (
    AuditAnswerFactory,
    AuditFactory,
    AuditQuestionFactory,
    AuditSectionFactory,
    AuditTemplateFactory,
    CorrectiveActionFactory,
)

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _error_next_to(response, field, words):
    return re.search(rf'id="id_{re.escape(field)}_error_1"[^>]*>.*?{words}', response.content.decode(), re.S)


@pytest.fixture
def template():
    template = AuditTemplateFactory(name="Programme fidelity")
    supervision = AuditSectionFactory(template=template, title="Supervision", position=0)
    groups = AuditSectionFactory(template=template, title="Peer groups", position=1)
    AuditQuestionFactory(section=supervision, code="SUP-1", text="Mentors are supervised on time.", weight=3)
    AuditQuestionFactory(section=groups, code="GRP-1", text="Groups keep a trained majority.", weight=1)
    return template


def _questions(template):
    return {question.code: question for question in AuditQuestion.objects.filter(section__template=template)}


def test_the_licensor_schedules_runs_and_completes_an_audit_which_raises_a_corrective_action(
    page_for, licensor, partner, template
):
    client = page_for(licensor)
    today = timezone.localdate()

    scheduled = client.post(
        "/console/audits/new/",
        {"partner": partner.pk, "template": template.pk, "scheduled_on": today.isoformat(), "mode": "remote"},
    )
    audit = Audit.objects.get(partner=partner)
    assert scheduled.status_code == 302 and scheduled["Location"] == f"/console/audits/{audit.pk}/"
    assert audit.mode == "remote"

    questions = _questions(template)
    page = _text(client.get(f"/console/audits/{audit.pk}/"))
    assert "Supervision" in page and "SUP-1 — Mentors are supervised on time." in page and "GRP-1" in page

    saved = client.post(
        f"/console/audits/{audit.pk}/answers/",
        {
            f"answer-{questions['SUP-1'].pk}": "met",
            f"evidence-{questions['SUP-1'].pk}": "Supervision log seen.",
            f"answer-{questions['GRP-1'].pk}": "not_met",
            f"evidence-{questions['GRP-1'].pk}": "Two of five members trained.",
        },
    )
    assert saved.status_code == 302
    assert dict(AuditAnswer.objects.filter(audit=audit).values_list("question__code", "answer")) == {
        "SUP-1": "met",
        "GRP-1": "not_met",
    }

    completed = client.post(f"/console/audits/{audit.pk}/complete/", {"held_on": today.isoformat()}, follow=True)
    page = _text(completed)
    assert "75 out of 100" in page  # 3 of 4 weighted points
    action = CorrectiveAction.objects.get(audit=audit)
    assert action.question == questions["GRP-1"]
    assert f'href="/console/corrective-actions/{action.pk}/"' in completed.content.decode()
    assert "Save the answers" not in page  # a completed audit's answers are read, not edited


def test_scheduling_without_a_date_says_so_next_to_the_date_and_schedules_nothing(
    page_for, licensor, partner, template
):
    response = page_for(licensor).post(
        "/console/audits/new/", {"partner": partner.pk, "template": template.pk, "scheduled_on": "", "mode": "visit"}
    )

    assert response.status_code == 400
    assert _error_next_to(response, "scheduled_on", "required")
    assert not Audit.objects.exists()


def test_evidence_without_an_answer_is_refused_next_to_its_question_and_nothing_is_saved(
    page_for, licensor, partner, template
):
    audit = AuditFactory(partner=partner, template=template)
    questions = _questions(template)

    response = page_for(licensor).post(
        f"/console/audits/{audit.pk}/answers/",
        {
            f"answer-{questions['SUP-1'].pk}": "met",
            f"evidence-{questions['GRP-1'].pk}": "Seen the register.",
        },
    )

    assert response.status_code == 400
    assert _error_next_to(response, f"answer-{questions['GRP-1'].pk}", "Choose an answer")
    assert "Seen the register." in response.content.decode()  # what was typed is kept
    assert not AuditAnswer.objects.filter(audit=audit).exists()


def test_an_answer_outside_the_four_is_refused_and_nothing_is_saved(page_for, licensor, partner, template):
    audit = AuditFactory(partner=partner, template=template)
    question = _questions(template)["SUP-1"]

    response = page_for(licensor).post(f"/console/audits/{audit.pk}/answers/", {f"answer-{question.pk}": "mostly"})

    assert response.status_code == 400 and _error_next_to(response, f"answer-{question.pk}", "valid choice")
    assert not AuditAnswer.objects.filter(audit=audit).exists()


def test_completing_an_audit_with_questions_unanswered_is_refused_and_leaves_it_open(
    page_for, licensor, partner, template
):
    audit = AuditFactory(partner=partner, template=template)
    AuditAnswerFactory(partner=partner, audit=audit, question=_questions(template)["SUP-1"], answer="partly")

    response = page_for(licensor).post(
        f"/console/audits/{audit.pk}/complete/", {"held_on": timezone.localdate().isoformat()}
    )

    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    audit.refresh_from_db()
    assert audit.status != "completed" and audit.score is None
    assert not CorrectiveAction.objects.filter(audit=audit).exists()


def test_the_audit_list_filters_by_status(page_for, licensor, partner, other_partner):
    AuditFactory(partner=partner, completed=True, template__name="Completed template")
    AuditFactory(partner=other_partner, template__name="Scheduled template")
    client = page_for(licensor)

    everything = _text(client.get("/console/audits/"))
    completed = _text(client.get("/console/audits/?status=completed"))

    assert "Completed template" in everything and "Scheduled template" in everything
    assert "Completed template" in completed and "80 / 100" in completed
    assert "Scheduled template" not in completed


def test_a_template_page_reads_its_sections_and_weighted_questions(page_for, licensor, template):
    page = _text(page_for(licensor).get(f"/console/audit-templates/{template.pk}/"))
    listing = _text(page_for(licensor).get("/console/audit-templates/"))

    assert page.index("Supervision") < page.index("SUP-1") < page.index("Peer groups") < page.index("GRP-1")
    assert "Mentors are supervised on time. 3" in page
    assert "Programme fidelity" in listing


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR, Role.MENTOR])
def test_partner_members_get_404_on_the_audit_console(page_for, partner, role):
    audit = AuditFactory(partner=partner)
    action = CorrectiveActionFactory(partner=partner)
    client = page_for(user_with_role(role, partner))

    for url in (
        "/console/audits/",
        f"/console/audits/{audit.pk}/",
        f"/console/corrective-actions/{action.pk}/",
        f"/console/audit-templates/{audit.template_id}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/console/audits/{audit.pk}/complete/", {"held_on": "2026-01-01"}).status_code == 404


# --- corrective actions ------------------------------------------------------------------


def test_the_corrective_actions_list_flags_overdue_actions_across_partners(page_for, licensor, partner, other_partner):
    CorrectiveActionFactory(partner=partner, overdue=True, description="Book the missing supervision sessions.")
    CorrectiveActionFactory(partner=other_partner, status="accepted", description="Train two more group members.")
    client = page_for(licensor)

    unresolved = _text(client.get("/console/corrective-actions/"))
    accepted = _text(client.get("/console/corrective-actions/?show=accepted"))

    assert "Book the missing supervision sessions." in unresolved and "Overdue" in unresolved
    assert partner.name in unresolved
    assert "Train two more group members." not in unresolved
    assert "Train two more group members." in accepted and other_partner.name in accepted


def test_reopening_needs_a_note_and_then_sends_the_action_back_to_the_partner(page_for, licensor, partner):
    action = CorrectiveActionFactory(partner=partner, status="submitted", evidence="Sessions booked.")
    client = page_for(licensor)
    url = f"/console/corrective-actions/{action.pk}/"

    refused = client.post(url, {"reopen-note": ""})
    assert refused.status_code == 400 and _error_next_to(refused, "reopen-note", "required")
    action.refresh_from_db()
    assert action.status == "submitted"

    reopened = client.post(url, {"reopen-note": "The log still shows two mentors overdue."})
    action.refresh_from_db()
    assert reopened.status_code == 302
    assert (action.status, action.review_note) == ("open", "The log still shows two mentors overdue.")


def test_accepting_submitted_evidence_closes_the_action(page_for, licensor, partner):
    action = CorrectiveActionFactory(partner=partner, status="submitted", evidence="Sessions booked.")
    client = page_for(licensor)

    page = _text(client.get(f"/console/corrective-actions/{action.pk}/"))
    assert "Sessions booked." in page and "Accept the action" in page

    client.post(f"/console/corrective-actions/{action.pk}/", {"accept-note": ""})
    action.refresh_from_db()
    assert action.status == "accepted"
    assert "Accept the action" not in _text(client.get(f"/console/corrective-actions/{action.pk}/"))


# --- writing templates -----------------------------------------------------------------

TEMPLATE_LINES = """# Supervision
SUP-1 | 3 | Every active mentor is supervised within the interval. | supervision_interval_days
# Peer groups
GRP-1 | 1 | Every peer group keeps a trained majority.
"""


def test_the_licensor_writes_a_template_as_lines_of_sections_and_questions(page_for, licensor):
    response = page_for(licensor).post(
        "/console/audit-templates/new/", {"name": "Fidelity 2027", "sections": TEMPLATE_LINES}, follow=True
    )

    template = AuditTemplate.objects.get(name="Fidelity 2027")
    questions = AuditQuestion.objects.filter(section__template=template)
    assert [(q.section.title, q.code, q.weight, q.policy_field) for q in questions] == [
        ("Supervision", "SUP-1", 3, "supervision_interval_days"),
        ("Peer groups", "GRP-1", 1, ""),
    ]
    assert "Every peer group keeps a trained majority." in _text(response)


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ("SUP-1 | 3 | Supervised on time.", "Line 1: start with a section title"),
        ("# Supervision\nSUP-1 | three | Supervised on time.", "Line 2 \\(SUP-1\\): the weight"),
        ("# Supervision\nSUP-1 | 3 | Supervised. | no_such_field", "not a policy field"),
        ("# Supervision\nSUP-1 | 3 | Supervised.\nSUP-1 | 1 | Again.", "used twice"),
    ],
)
def test_a_template_that_does_not_parse_or_breaks_a_rule_is_refused_next_to_its_questions(
    page_for, licensor, lines, words
):
    response = page_for(licensor).post("/console/audit-templates/new/", {"name": "Broken", "sections": lines})

    assert response.status_code == 400 and _error_next_to(response, "sections", words)
    assert not AuditTemplate.objects.filter(name="Broken").exists()


def test_a_retired_template_is_no_longer_offered_for_a_new_audit(page_for, licensor, template):
    client = page_for(licensor)

    retired = client.post(f"/console/audit-templates/{template.pk}/", {"retired": "yes"}, follow=True)

    template.refresh_from_db()
    assert template.retired_at is not None
    assert "Bring the template back into use" in _text(retired)
    assert "Programme fidelity" not in _text(client.get("/console/audits/new/"))


def test_an_accepted_action_can_be_reopened_with_a_note(page_for, licensor, partner):
    action = CorrectiveActionFactory(partner=partner, status="accepted", evidence="Sessions booked.")

    page_for(licensor).post(f"/console/corrective-actions/{action.pk}/", {"reopen-note": "The next log shows gaps."})

    action.refresh_from_db()
    assert (action.status, action.review_note) == ("open", "The next log shows gaps.")


def test_an_audit_held_in_the_future_is_refused_next_to_its_date(page_for, licensor, partner, template):
    audit = AuditFactory(partner=partner, template=template)
    for question in _questions(template).values():
        AuditAnswerFactory(partner=partner, audit=audit, question=question, answer="met")
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = page_for(licensor).post(f"/console/audits/{audit.pk}/complete/", {"held_on": tomorrow.isoformat()})

    assert response.status_code == 400 and _error_next_to(response, "held_on", "future")
    audit.refresh_from_db()
    assert audit.status != "completed"
