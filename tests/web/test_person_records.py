"""Recording a person's training and background-check dates from their page, which the readiness checklist asks
for; and the page's date fields showing the dates already recorded."""

from datetime import date

import pytest

from supervision.models import Person
from tests.supervision.factories import PersonFactory


def records_url(person):
    return f"/northside/people/{person.pk}/records/"


def page_url(person):
    return f"/northside/people/{person.pk}/"


@pytest.fixture
def applicant(partner):
    return PersonFactory(partner=partner, name="Ada Applicant", applicant=True)


def test_a_coordinator_records_the_dates_and_the_checklist_counts_them(page_for, coordinator, applicant):
    response = page_for(coordinator).post(
        records_url(applicant), {"prior_learning_on": "2026-11-29", "background_check_on": "2026-12-01"}, follow=True
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "The dates for Ada Applicant are saved." in text
    assert text.count("Met:") == 2  # trained and background check recorded; "Not met:" for the rest
    applicant.refresh_from_db()
    assert applicant.prior_learning_on == date(2026, 11, 29)
    assert applicant.background_check_on == date(2026, 12, 1)


def test_the_date_fields_show_the_dates_recorded_so_saving_again_keeps_them(page_for, coordinator, applicant):
    applicant.prior_learning_on = date(2026, 11, 29)
    applicant.save()

    text = page_for(coordinator).get(page_url(applicant)).content.decode()

    # A date picker shows only ISO dates: en-GB's 29/11/2026 would show an empty field, and saving would clear it.
    assert 'type="date" name="prior_learning_on" value="2026-11-29"' in text


def test_a_date_that_is_not_a_date_is_shown_next_to_the_field_and_nothing_is_saved(page_for, coordinator, applicant):
    response = page_for(coordinator).post(
        records_url(applicant), {"prior_learning_on": "2026-13-40", "background_check_on": "2026-12-01"}
    )

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.prior_learning_on is None and applicant.background_check_on is None


def test_a_date_in_the_future_is_refused_next_to_its_field_as_the_api_refuses_it(page_for, coordinator, applicant):
    response = page_for(coordinator).post(
        records_url(applicant), {"prior_learning_on": "2026-11-29", "background_check_on": "2099-01-01"}
    )

    assert response.status_code == 400
    assert "A background check cannot be recorded for a date in the future (2099-01-01)." in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.prior_learning_on is None and applicant.background_check_on is None


@pytest.mark.parametrize("role", ["supervisor", "trainer", "mentor_user"])
def test_other_roles_of_the_partner_may_not_record_the_dates(page_for, request, role, applicant):
    response = page_for(request.getfixturevalue(role)).post(records_url(applicant), {"prior_learning_on": "2026-11-29"})

    assert response.status_code == 403
    assert Person.objects.get(pk=applicant.pk).prior_learning_on is None


def test_only_the_coordinator_sees_the_form(page_for, coordinator, supervisor, applicant):
    assert "Record training and checks" in page_for(coordinator).get(page_url(applicant)).content.decode()
    assert "Record training and checks" not in page_for(supervisor).get(page_url(applicant)).content.decode()


def test_another_partners_person_is_not_found(page_for, coordinator, other_partner):
    stranger = PersonFactory(partner=other_partner, applicant=True)

    response = page_for(coordinator).post(records_url(stranger), {"prior_learning_on": "2026-11-29"})

    assert response.status_code == 404
    assert Person.objects.get(pk=stranger.pk).prior_learning_on is None
