"""The licensor's audit templates: sections of weighted questions, checked as a whole before anything is written."""

import copy

import pytest

from core.errors import Invalid, NotPermitted
from supervision.fidelity import services as fidelity
from supervision.models import AuditQuestion, AuditSection, AuditTemplate
from tests.supervision.fidelity.conftest import SECTIONS


def _sections(**change):
    sections = copy.deepcopy(SECTIONS)
    sections[0]["questions"][1].update(change)
    return sections


def test_a_template_keeps_its_sections_and_questions_in_order(template):
    assert list(template.sections.values_list("title", "position")) == [("Supervision", 1), ("Incidents", 2)]
    assert list(
        AuditQuestion.objects.filter(section__template=template).values_list("code", "weight", "policy_field")
    ) == [("SUP-1", 2, "supervision_interval_days"), ("SUP-2", 1, ""), ("INC-1", 1, "")]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"code": "sup-1"}, "code_taken"),
        ({"policy_field": "supervision_interval"}, "policy_field_unknown"),
        ({"weight": 0}, "weight_invalid"),
        ({"weight": "2"}, "weight_invalid"),
        ({"text": "  "}, "sections_required"),
    ],
)
def test_a_bad_question_refuses_the_whole_template(licensor, change, code):
    with pytest.raises(Invalid) as refused:
        fidelity.create_template(licensor, name="Audit", sections=_sections(**change))
    assert (refused.value.field, refused.value.code) == ("sections", code)
    assert "Section 1, question 2" in refused.value.message
    assert not AuditTemplate.objects.exists()
    assert not AuditSection.objects.exists()


def test_a_template_needs_questions(licensor):
    with pytest.raises(Invalid) as refused:
        fidelity.create_template(licensor, name="Audit", sections=[{"title": "Empty", "questions": []}])
    assert refused.value.code == "questions_required"


def test_names_are_unique(licensor, template):
    with pytest.raises(Invalid) as refused:
        fidelity.create_template(licensor, name="programme fidelity audit", sections=SECTIONS)
    assert refused.value.field == "name"


def test_only_the_licensor_writes_templates(coordinator):
    with pytest.raises(NotPermitted):
        fidelity.create_template(coordinator, name="Ours", sections=SECTIONS)
    assert not AuditTemplate.objects.exists()


def test_a_retired_template_is_not_used_for_new_audits(licensor, partner, template):
    from django.utils import timezone

    fidelity.update_template(licensor, template, retired=True)
    with pytest.raises(Invalid) as refused:
        fidelity.schedule_audit(
            licensor, partner=partner, template=template, scheduled_on=timezone.localdate(), mode="visit"
        )
    assert refused.value.field == "template"
    fidelity.update_template(licensor, template, retired=False, name="Fidelity audit 2027")
    template.refresh_from_db()
    assert (template.name, template.retired_at) == ("Fidelity audit 2027", None)
