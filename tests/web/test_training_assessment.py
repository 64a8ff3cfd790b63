"""The assessment grid, a learner's decisions, and internal verification in the browser: the grid in words (not
colour alone), the side panel with the evidence, decisions recorded one cell or several criteria at a time, the
verifier's sign-off passing the learner and issuing the certificate, and refusals in words."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from franchise.models import Criterion
from tests.franchise.factories import LicenceFactory, ProgrammeFactory, UnitFactory
from tests.training.factories import (
    CourseFactory,
    CriterionAssessmentFactory,
    EnrolmentFactory,
    TrainerAccreditationFactory,
)
from tests.training.scenario import *  # noqa: F403
from training.models import Certificate, CriterionAssessment, Enrolment


def _url(name, partner, *args):
    return reverse(name, args=[partner.slug, *args])


def _text(response):
    return response.content.decode().replace("&#x27;", "'")


def _criteria(course):
    return list(Criterion.objects.filter(unit__programme=course.programme).order_by("position"))


def _assess(enrolment, criterion, assessor, decision="met", evidence="Workbook p. 4"):
    return CriterionAssessmentFactory(
        partner=enrolment.partner,
        enrolment=enrolment,
        criterion=criterion,
        assessor=assessor,
        decision=decision,
        evidence=evidence,
    )


@pytest.fixture
def grid_url(partner, running_course):
    return _url("assessment-grid", partner, running_course.pk)


# --- the grid -----------------------------------------------------------------------------------------------------


def test_the_grid_puts_learners_down_the_side_and_criteria_across_with_each_decision_in_words(
    page_for, partner, trainer, lead, enrolment, running_course, grid_url
):
    p1, p2, *_ = _criteria(running_course)
    _assess(enrolment, p1, lead)
    _assess(enrolment, p2, lead, decision="not_yet")
    EnrolmentFactory(partner=partner, course=running_course, non_accredited=True)

    response = page_for(trainer).get(grid_url)

    page = _text(response)
    headers = [f'<abbr title="{c.text}">{c.code}</abbr>' for c in _criteria(running_course)]
    assert all(header in page for header in headers)
    (row,) = response.context["rows"]  # the non-accredited learner is not assessed
    assert [cell["words"] for cell in row["cells"]] == [
        "Met",
        "Not yet",
        "Not assessed",
        "Not assessed",
        "Not assessed",
    ]
    assert '<th scope="row" class="assessment-grid__learner">' in page
    assert f"{enrolment.learner.name}, P2: </span>Not yet" in page
    assert "P2, P3, K1, K2" in page  # who still needs what


def test_a_cell_shows_its_evidence_on_hover_and_in_the_side_panel(
    page_for, partner, trainer, lead, enrolment, running_course, grid_url
):
    p1 = _criteria(running_course)[0]
    _assess(enrolment, p1, lead, evidence="Role play, week 2")

    client = page_for(trainer)
    page = _text(client.get(grid_url))
    panel = _text(client.get(grid_url, {"learner": enrolment.pk, "criterion": p1.pk}))

    assert "Evidence: Role play, week 2" in page
    aside = panel.split('<aside class="card assessment-panel" id="panel"')[1]
    assert f"{enrolment.learner.name}, P1" in aside and "Role play, week 2" in aside and lead.name in aside
    assert "Change the decision" in aside


def test_a_decision_recorded_from_the_panel_returns_to_the_grid(
    page_for, partner, trainer, lead, enrolment, running_course, grid_url
):
    k1 = _criteria(running_course)[3]
    back = f"{grid_url}?learner={enrolment.pk}&criterion={k1.pk}#panel"

    response = page_for(trainer).post(
        _url("enrolment-assess", partner, enrolment.pk),
        {"criteria": [k1.pk], "decision": "met", "evidence": "Workbook p. 20", "next": back},
    )

    assert response.status_code == 302 and response["Location"] == back
    assessment = CriterionAssessment.objects.get()
    assert (assessment.criterion, assessment.decision, assessment.assessor) == (k1, "met", lead)


def test_a_decision_is_changed_from_the_grid(page_for, partner, trainer, co, co_user, enrolment, running_course):
    p1 = _criteria(running_course)[0]
    _assess(enrolment, p1, co, decision="not_yet")

    page_for(trainer).post(
        _url("enrolment-assess", partner, enrolment.pk),
        {"criteria": [p1.pk], "decision": "met", "evidence": "Expanded answer, p. 5"},
    )

    assessment = CriterionAssessment.objects.get()
    assert (assessment.decision, assessment.evidence) == ("met", "Expanded answer, p. 5")


def test_met_without_evidence_is_refused_next_to_the_evidence(
    page_for, partner, trainer, lead, enrolment, running_course
):
    p1 = _criteria(running_course)[0]

    response = page_for(trainer).post(
        _url("enrolment-assess", partner, enrolment.pk), {"criteria": [p1.pk], "decision": "met", "evidence": ""}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["evidence"] == [
        "Say what the decision rests on (a workbook page, an observation, a note)."
    ]
    assert not CriterionAssessment.objects.exists()


def test_a_whole_section_of_a_learners_workbook_is_recorded_at_once(
    page_for, partner, trainer, lead, enrolment, running_course
):
    performance = _criteria(running_course)[:3]

    response = page_for(trainer).post(
        _url("enrolment-assess", partner, enrolment.pk),
        {"criteria": [c.pk for c in performance], "decision": "met", "evidence": "Workbook section A"},
        follow=True,
    )

    assert sorted(CriterionAssessment.objects.values_list("criterion", flat=True)) == sorted(c.pk for c in performance)
    assert f"{enrolment.learner.name}: P1, P2, P3 recorded as met." in _text(response)


def test_the_learners_page_preselects_the_criterion_of_the_cell(
    page_for, partner, trainer, lead, enrolment, running_course
):
    k2 = _criteria(running_course)[4]

    page = _text(page_for(trainer).get(_url("enrolment-assess", partner, enrolment.pk), {"criterion": k2.pk}))

    assert f'value="{k2.pk}"' in page.split("checked")[0].rsplit("<input", 1)[1]


def test_a_coordinator_reads_the_grid_but_does_not_assess(
    page_for, partner, coordinator, lead, enrolment, running_course, grid_url
):
    p1 = _criteria(running_course)[0]
    client = page_for(coordinator)

    panel = client.get(grid_url, {"learner": enrolment.pk, "criterion": p1.pk})
    refused = client.post(
        _url("enrolment-assess", partner, enrolment.pk), {"criteria": [p1.pk], "decision": "met", "evidence": "x"}
    )

    assert panel.status_code == 200 and "Record a decision" not in _text(panel)
    assert refused.status_code == 400
    assert "Only the trainers of this course assess its learners." in _text(refused)
    assert not CriterionAssessment.objects.exists()


def test_the_grid_shows_one_unit_at_a_time(page_for, partner, trainer, lead, enrolment, running_course, grid_url):
    second = UnitFactory(programme=running_course.programme, code="PTM302", position=2, criteria=(2, 0))

    response = page_for(trainer).get(grid_url, {"unit": second.pk})

    assert response.context["unit"] == second
    assert [column["criterion"].code for column in response.context["columns"]] == ["P1", "P2"]


def _queries(client, url, params):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_grid_runs_the_same_queries_for_two_learners_and_five_criteria_or_ten_and_thirty_four(
    page_for, partner, programme, licence, lead, trainer
):
    def cohort(learners, performance, knowledge):
        other = ProgrammeFactory()
        unit = UnitFactory(programme=other, criteria=(performance, knowledge))
        LicenceFactory(partner=partner, programme=other)
        TrainerAccreditationFactory(partner=partner, person=lead, programme=other)
        course = CourseFactory(partner=partner, programme=other, lead_trainer=lead, running=True)
        for index in range(learners):
            enrolment = EnrolmentFactory(partner=partner, course=course)
            for criterion in list(unit.criteria.order_by("position"))[: index + 1]:
                _assess(enrolment, criterion, lead)
        first = course.enrolments.first()
        return _url("assessment-grid", partner, course.pk), {
            "learner": first.pk,
            "criterion": unit.criteria.first().pk,
        }

    client = page_for(trainer)
    small_url, small_cell = cohort(2, 3, 2)
    large_url, large_cell = cohort(10, 15, 19)

    assert _queries(client, large_url, {}) == _queries(client, small_url, {})
    assert _queries(client, large_url, large_cell) == _queries(client, small_url, small_cell)
    large_column, small_column = ({"criterion": cell["criterion"]} for cell in (large_cell, small_cell))
    assert _queries(client, large_url, large_column) == _queries(client, small_url, small_column)


# --- internal verification ------------------------------------------------------------------------------------------


def test_the_verifier_sees_the_criteria_not_yet_met(page_for, partner, verifier_user, verifier, lead, enrolment):
    for criterion in _criteria(enrolment.course)[:4]:
        _assess(enrolment, criterion, lead)

    page = _text(page_for(verifier_user).get(_url("enrolment-verify", partner, enrolment.pk)))

    unmet = page.split('<h2 id="unmet">')[1].split("</section>")[0]
    k2 = _criteria(enrolment.course)[4]
    assert f"K2 is not yet met: {k2.text}" in unmet
    assert "P1 is not yet met" not in unmet


def test_signing_off_passes_the_learner_and_issues_the_certificate(
    page_for, partner, verifier_user, verifier, lead, enrolment
):
    for criterion in _criteria(enrolment.course):
        _assess(enrolment, criterion, lead)

    response = page_for(verifier_user).post(_url("enrolment-verify", partner, enrolment.pk), follow=True)

    certificate = Certificate.objects.get(enrolment=enrolment)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.verified_by) == ("passed", verifier)
    page = _text(response)
    assert f"{enrolment.learner.name} has passed; certificate {certificate.code} is issued." in page
    assert "Certificate issued" in page and certificate.code in page


def test_signing_off_with_criteria_unmet_lists_them_and_changes_nothing(
    page_for, partner, verifier_user, verifier, lead, enrolment
):
    for criterion in _criteria(enrolment.course)[:4]:
        _assess(enrolment, criterion, lead)

    response = page_for(verifier_user).post(_url("enrolment-verify", partner, enrolment.pk))

    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert "Not every criterion is met yet." in errors
    assert any("K2 is not yet met" in error for error in errors)
    assert Enrolment.objects.get(pk=enrolment.pk).status == "enrolled"
    assert not Certificate.objects.exists()


def test_the_trainer_who_assessed_most_criteria_cannot_verify_and_is_told_why(
    page_for, partner, trainer, lead, enrolment
):
    for criterion in _criteria(enrolment.course):
        _assess(enrolment, criterion, lead)
    client = page_for(trainer)

    warned = _text(client.get(_url("enrolment-verify", partner, enrolment.pk)))
    refused = client.post(_url("enrolment-verify", partner, enrolment.pk))

    why = "You assessed 5 of the 5 criteria yourself; internal verification needs a second trainer."
    assert why in warned
    assert refused.status_code == 400 and why in _text(refused)
    assert not Certificate.objects.exists()


def test_a_co_trainer_without_accreditation_cannot_verify(page_for, partner, co_user, co, lead, enrolment):
    for criterion in _criteria(enrolment.course):
        _assess(enrolment, criterion, lead)

    refused = page_for(co_user).post(_url("enrolment-verify", partner, enrolment.pk))

    assert refused.status_code == 400
    assert f"Only a trainer of {partner.name} accredited for" in _text(refused)
    assert not Certificate.objects.exists()


# --- a whole column: one criterion across the cohort ---------------------------------------------------------------


def test_a_criterion_heading_opens_a_panel_for_every_open_learner(
    page_for, partner, trainer, lead, enrolment, running_course, grid_url
):
    EnrolmentFactory(partner=partner, course=running_course, passed=True)
    p2 = _criteria(running_course)[1]

    response = page_for(trainer).get(grid_url, {"criterion": p2.pk})

    page = _text(response)
    assert f'href="{grid_url}?unit={p2.unit_id}&amp;criterion={p2.pk}#panel"' in page
    assert "P2 for every learner" in page
    assert [decision.label for decision, _ in response.context["column"]["form"].learner_rows()] == [
        enrolment.learner.name
    ]


def test_a_column_is_recorded_for_the_learners_chosen_and_left_for_the_others(
    page_for, partner, trainer, lead, enrolment, running_course, grid_url
):
    second = EnrolmentFactory(partner=partner, course=running_course)
    third = EnrolmentFactory(partner=partner, course=running_course)
    p2 = _criteria(running_course)[1]

    response = page_for(trainer).post(
        _url("assessment-column", partner, running_course.pk),
        {
            "criterion": p2.pk,
            f"decision_{enrolment.pk}": "met",
            f"evidence_{enrolment.pk}": "Workbook p. 6",
            f"decision_{second.pk}": "not_yet",
            f"decision_{third.pk}": "",
        },
        follow=True,
    )

    recorded = dict(CriterionAssessment.objects.filter(criterion=p2).values_list("enrolment", "decision"))
    assert recorded == {enrolment.pk: "met", second.pk: "not_yet"}
    assert "P2 recorded for 2 learners." in _text(response)


def test_a_column_with_a_refusal_names_the_learner_next_to_their_evidence_and_records_nothing(
    page_for, partner, trainer, lead, enrolment, running_course
):
    second = EnrolmentFactory(partner=partner, course=running_course)
    p2 = _criteria(running_course)[1]

    response = page_for(trainer).post(
        _url("assessment-column", partner, running_course.pk),
        {
            "criterion": p2.pk,
            f"decision_{enrolment.pk}": "met",
            f"evidence_{enrolment.pk}": "Workbook p. 6",
            f"decision_{second.pk}": "met",
        },
    )

    assert response.status_code == 400
    (message,) = response.context["column"]["form"].errors[f"evidence_{second.pk}"]
    assert message.startswith(f"{second.learner.name}: Say what the decision rests on")
    assert not CriterionAssessment.objects.exists()
