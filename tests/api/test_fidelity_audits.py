"""Audit templates, audits and corrective actions over HTTP: the fields of API.md, who reads and writes what, the
whole workflow, and what a mistake answers (with nothing half-written)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from supervision.models import Audit, AuditAnswer, AuditTemplate, CorrectiveAction
from tests.factories import PartnerFactory, user_with_role
from tests.supervision.factories import AuditAnswerFactory, AuditFactory, CorrectiveActionFactory

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/audit-templates/"
AUDITS = "/api/v1/audits/"
ACTIONS = "/api/v1/corrective-actions/"
AUDIT_FIELDS = {"id", "partner", "template", "scheduled_on", "held_on", "auditor", "mode", "status", "score"}
ACTION_FIELDS = {"id", "audit", "partner", "question", "description", "owner", "due_on", "status", "evidence"}

TEMPLATE = {
    "name": "Programme fidelity audit",
    "sections": [
        {
            "title": "Supervision",
            "questions": [
                {
                    "code": "SUP-1",
                    "text": "Every active mentor supervised within the interval?",
                    "weight": 3,
                    "policy_field": "supervision_interval_days",
                },
                {"code": "SUP-2", "text": "Peer groups have a trained majority?", "weight": 1},
            ],
        },
        {"title": "Incidents", "questions": [{"code": "INC-1", "text": "Incidents reviewed on time?", "weight": 2}]},
    ],
}


@pytest.fixture
def template_body(client_for, licensor):
    created = client_for(licensor).post(TEMPLATES, TEMPLATE, format="json")
    assert created.status_code == 201, created.json()
    return created.json()


@pytest.fixture
def codes(template_body):
    return {q["code"]: q["id"] for section in template_body["sections"] for q in section["questions"]}


@pytest.fixture
def audit_id(client_for, licensor, partner, template_body):
    created = client_for(licensor).post(
        AUDITS,
        {
            "partner": str(partner.pk),
            "template": template_body["id"],
            "scheduled_on": timezone.localdate().isoformat(),
            "auditor": str(licensor.pk),
            "mode": "remote",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def _answers(codes, **given):
    return {
        "answers": [
            {"question": qid, "answer": given.get(code, "met"), "evidence": f"Checked {code}."}
            for code, qid in codes.items()
        ]
    }


def test_a_template_reads_as_api_md_says(template_body, client_for, coordinator):
    assert set(template_body) == {"id", "name", "sections"}
    assert [s["title"] for s in template_body["sections"]] == ["Supervision", "Incidents"]
    assert set(template_body["sections"][0]) == {"title", "questions"}
    assert template_body["sections"][0]["questions"][0].keys() == {"id", "code", "text", "weight"}
    # Every member reads the templates; only the licensor writes them.
    client = client_for(coordinator)
    assert client.get(TEMPLATES).json()["results"] == [template_body]
    assert client.post(TEMPLATES, {**TEMPLATE, "name": "Ours"}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"sections": []}, "sections"),
        ({"sections": [{"title": "Empty", "questions": []}]}, "sections"),
        ({"sections": [{"title": "S", "questions": [{"code": "A", "text": "T", "weight": 0}]}]}, "sections"),
        ({"sections": [{"title": "S", "questions": [{"code": "A", "text": "T", "policy_field": "nope"}]}]}, "sections"),
        (
            {"sections": [{"title": "S", "questions": [{"code": "A", "text": "T"}, {"code": "A", "text": "U"}]}]},
            "sections",
        ),
    ],
)
def test_a_bad_template_is_a_400_naming_the_field_and_nothing_is_written(client_for, licensor, change, field):
    response = client_for(licensor).post(TEMPLATES, {**TEMPLATE, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not AuditTemplate.objects.exists()


def test_the_full_workflow(client_for, licensor, coordinator, partner, audit_id, codes):
    admin, coord = client_for(licensor), client_for(coordinator)
    scheduled = admin.get(f"{AUDITS}{audit_id}/").json()
    assert set(scheduled) == AUDIT_FIELDS
    assert (scheduled["status"], scheduled["mode"], scheduled["score"]) == ("scheduled", "remote", None)

    recorded = admin.post(f"{AUDITS}{audit_id}/answers/", _answers(codes, **{"SUP-1": "partly"}), format="json")
    assert recorded.status_code == 200, recorded.json()
    assert len(recorded.json()) == 3
    assert admin.get(f"{AUDITS}{audit_id}/").json()["status"] == "in_progress"
    admin.post(
        f"{AUDITS}{audit_id}/answers/",
        {"answers": [{"question": codes["INC-1"], "answer": "not_met", "evidence": "Two late reviews."}]},
        format="json",
    )

    completed = admin.post(f"{AUDITS}{audit_id}/complete/", {}, format="json")
    assert completed.status_code == 200, completed.json()
    # SUP-1 partly 1.5 of 3, SUP-2 met 1, INC-1 not met 0 of 2: 2.5 of 6
    assert (completed.json()["status"], completed.json()["score"], completed.json()["held_on"]) == (
        "completed",
        42,
        timezone.localdate().isoformat(),
    )
    assert admin.post(f"{AUDITS}{audit_id}/complete/", {}, format="json").status_code == 409

    actions = coord.get(ACTIONS).json()["results"]
    assert set(actions[0]) == ACTION_FIELDS
    assert sorted(a["question"] for a in actions) == sorted([codes["SUP-1"], codes["INC-1"]])
    assert {(a["status"], a["owner"], a["partner"]) for a in actions} == {("open", None, str(partner.pk))}
    action = next(a for a in actions if a["question"] == codes["INC-1"])
    assert "Two late reviews." in action["description"]

    owned = coord.patch(f"{ACTIONS}{action['id']}/", {"owner": str(coordinator.pk)}, format="json")
    assert owned.status_code == 200 and owned.json()["owner"] == str(coordinator.pk)
    submitted = coord.post(f"{ACTIONS}{action['id']}/submit/", {"evidence": "Reviews now logged."}, format="json")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")
    assert coord.post(f"{ACTIONS}{action['id']}/accept/", {}, format="json").status_code == 403
    reopened = admin.post(f"{ACTIONS}{action['id']}/reopen/", {"note": "The log is empty."}, format="json")
    assert reopened.json()["status"] == "open"
    coord.post(f"{ACTIONS}{action['id']}/submit/", {"evidence": "Log attached."}, format="json")
    accepted = admin.post(f"{ACTIONS}{action['id']}/accept/", {"note": "Seen."}, format="json")
    assert (accepted.status_code, accepted.json()["status"], accepted.json()["evidence"]) == (
        200,
        "accepted",
        "Log attached.",
    )


def test_a_coordinator_reads_their_audit_and_its_answers_but_cannot_change_an_answer(
    client_for, licensor, coordinator, audit_id, codes
):
    client_for(licensor).post(f"{AUDITS}{audit_id}/answers/", _answers(codes), format="json")
    coord = client_for(coordinator)
    assert coord.get(f"{AUDITS}{audit_id}/").status_code == 200
    assert len(coord.get(f"{AUDITS}{audit_id}/answers/").json()) == 3

    refused = coord.post(
        f"{AUDITS}{audit_id}/answers/", {"answers": [{"question": codes["SUP-1"], "answer": "not_met"}]}, format="json"
    )

    assert refused.status_code == 403
    assert AuditAnswer.objects.get(question_id=codes["SUP-1"]).answer == "met"
    assert coord.post(f"{AUDITS}{audit_id}/complete/", {}, format="json").status_code == 403
    assert coord.patch(f"{AUDITS}{audit_id}/", {"mode": "visit"}, format="json").status_code == 403


def test_a_partner_sees_only_its_own_audits_and_actions(client_for, coordinator, partner, other_partner):
    own = AuditFactory(partner=partner)
    foreign = AuditFactory(partner=other_partner)
    own_action = CorrectiveActionFactory(partner=partner)
    foreign_action = CorrectiveActionFactory(partner=other_partner)
    client = client_for(coordinator)

    assert {row["id"] for row in client.get(AUDITS).json()["results"]} == {str(own.pk), str(own_action.audit_id)}
    assert [row["id"] for row in client.get(ACTIONS).json()["results"]] == [str(own_action.pk)]
    assert client.get(f"{AUDITS}{foreign.pk}/").status_code == 404
    assert client.get(f"{AUDITS}{foreign.pk}/answers/").status_code == 404
    assert client.get(f"{ACTIONS}{foreign_action.pk}/").status_code == 404
    submitted = client.post(f"{ACTIONS}{foreign_action.pk}/submit/", {"evidence": "Mine now."}, format="json")
    assert submitted.status_code == 404
    assert (
        client.patch(f"{ACTIONS}{foreign_action.pk}/", {"owner": str(coordinator.pk)}, format="json").status_code == 404
    )
    assert CorrectiveAction.objects.get(pk=foreign_action.pk).status == "open"


def test_people_other_than_coordinators_see_no_audits(client_for, partner, supervisor, mentor_user):
    audit = AuditFactory(partner=partner)
    for user in (supervisor, mentor_user):
        client = client_for(user)
        assert client.get(AUDITS).json()["results"] == []
        assert client.get(f"{AUDITS}{audit.pk}/").status_code == 404


def test_an_answer_to_another_templates_question_is_a_400_and_nothing_is_written(client_for, licensor, audit_id, codes):
    stranger = AuditAnswerFactory().question
    body = _answers(codes)
    body["answers"].append({"question": str(stranger.pk), "answer": "met"})

    response = client_for(licensor).post(f"{AUDITS}{audit_id}/answers/", body, format="json")

    assert response.status_code == 400 and "answers" in response.json()
    assert not AuditAnswer.objects.filter(audit_id=audit_id).exists()
    assert Audit.objects.get(pk=audit_id).status == "scheduled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": []}, "answers"),
        ({"answers": [{"question": "not-a-uuid", "answer": "met"}]}, "answers"),
        ({"answers": [{"answer": "met"}]}, "answers"),
    ],
)
def test_malformed_answers_are_a_400_naming_the_field(client_for, licensor, audit_id, body, field):
    response = client_for(licensor).post(f"{AUDITS}{audit_id}/answers/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_unknown_answer_names_it(client_for, licensor, audit_id, codes):
    body = {"answers": [{"question": codes["SUP-1"], "answer": "mostly"}]}
    response = client_for(licensor).post(f"{AUDITS}{audit_id}/answers/", body, format="json")
    assert response.status_code == 400
    assert response.json()["answers"] == {"0": {"answer": ['"mostly" is not a valid choice.']}}


def test_completing_with_questions_unanswered_lists_them(client_for, licensor, audit_id, codes):
    client = client_for(licensor)
    client.post(
        f"{AUDITS}{audit_id}/answers/", {"answers": [{"question": codes["SUP-1"], "answer": "met"}]}, format="json"
    )
    response = client.post(f"{AUDITS}{audit_id}/complete/", {}, format="json")
    assert response.status_code == 400
    assert [item["message"] for item in response.json()["unmet"]] == [
        "SUP-2 is not answered.",
        "INC-1 is not answered.",
    ]
    assert not CorrectiveAction.objects.exists()


def test_scheduling_refuses_what_it_cannot_take(client_for, licensor, coordinator, partner, template_body):
    client = client_for(licensor)
    base = {"partner": str(partner.pk), "template": template_body["id"], "scheduled_on": "2027-01-10"}
    assert "mode" in client.post(AUDITS, {**base, "mode": "phone"}, format="json").json()
    assert "auditor" in client.post(AUDITS, {**base, "auditor": str(coordinator.pk)}, format="json").json()
    assert "scheduled_on" in client.post(AUDITS, {**base, "scheduled_on": "soon"}, format="json").json()
    assert client.post(AUDITS, {**base, "partner": str(PartnerFactory().pk)}, format="json").status_code == 201
    assert client_for(coordinator).post(AUDITS, base, format="json").status_code == 403
    assert Audit.objects.count() == 1


def test_an_owner_outside_the_partner_is_a_400_on_owner(client_for, coordinator, partner, other_coordinator):
    action = CorrectiveActionFactory(partner=partner)
    client = client_for(coordinator)
    outsider = client.patch(f"{ACTIONS}{action.pk}/", {"owner": str(other_coordinator.pk)}, format="json")
    assert outsider.status_code == 400 and "owner" in outsider.json()
    colleague = user_with_role("supervisor", partner)
    assert client.patch(f"{ACTIONS}{action.pk}/", {"owner": str(colleague.pk)}, format="json").status_code == 200
    assert client.patch(f"{ACTIONS}{action.pk}/", {"due_on": "2030-01-01"}, format="json").status_code == 403
    assert CorrectiveAction.objects.get(pk=action.pk).owner == colleague


def test_the_licensor_moves_a_due_date(client_for, licensor, partner):
    action = CorrectiveActionFactory(partner=partner)
    later = (timezone.localdate() + timedelta(days=120)).isoformat()
    response = client_for(licensor).patch(f"{ACTIONS}{action.pk}/", {"due_on": later}, format="json")
    assert (response.status_code, response.json()["due_on"]) == (200, later)


def test_submitting_needs_evidence_and_an_illegal_move_names_the_allowed_ones(
    client_for, licensor, coordinator, partner
):
    action = CorrectiveActionFactory(partner=partner)
    coord = client_for(coordinator)
    missing = coord.post(f"{ACTIONS}{action.pk}/submit/", {"evidence": ""}, format="json")
    assert missing.status_code == 400 and "evidence" in missing.json()
    illegal = client_for(licensor).post(f"{ACTIONS}{action.pk}/accept/", {}, format="json")
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["submitted"]
    coord.post(f"{ACTIONS}{action.pk}/submit/", {"evidence": "Done."}, format="json")
    no_note = client_for(licensor).post(f"{ACTIONS}{action.pk}/reopen/", {"note": " "}, format="json")
    assert no_note.status_code == 400 and "note" in no_note.json()
    assert CorrectiveAction.objects.get(pk=action.pk).status == "submitted"


def test_corrective_actions_are_not_created_over_http(client_for, licensor):
    assert client_for(licensor).post(ACTIONS, {}, format="json").status_code == 405
