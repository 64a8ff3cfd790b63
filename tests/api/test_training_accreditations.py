"""/api/v1/accreditations/, /teaching-records/, /cpd-records/: the train-the-trainer path over HTTP."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.supervision.factories import PersonFactory
from tests.training.factories import (
    CourseFactory,
    CourseSessionFactory,
    CPDRecordFactory,
    EnrolmentFactory,
    TeachingRecordFactory,
    TrainerAccreditationFactory,
)
from tests.training.scenario import *  # noqa: F403
from training.models import CPDRecord, TeachingRecord, TrainerAccreditation

URL = "/api/v1/accreditations/"
TEACHING = "/api/v1/teaching-records/"
CPD = "/api/v1/cpd-records/"
TODAY = timezone.localdate()
FIELDS = {
    "id",
    "partner",
    "person",
    "programme",
    "stage",
    "status",
    "granted_on",
    "period_starts_on",
    "expires_on",
    "granted_by",
}


def test_the_licensor_grants_an_accreditation(client_for, licensor, partner, programme):
    person = PersonFactory(partner=partner)

    response = client_for(licensor).post(
        URL, {"person": str(person.pk), "programme": str(programme.pk), "stage": "accredited_trainer"}
    )

    assert response.status_code == 201, response.content
    assert set(response.json()) == FIELDS
    assert (response.json()["partner"], response.json()["status"]) == (str(partner.pk), "active")


def test_a_coordinator_does_not_grant(client_for, coordinator, partner, programme):
    person = PersonFactory(partner=partner)

    response = client_for(coordinator).post(URL, {"person": str(person.pk), "programme": str(programme.pk)})

    assert response.status_code == 403
    assert not TrainerAccreditation.objects.exists()


def test_a_trainer_sees_only_their_own_accreditation(client_for, trainer, lead, co):
    body = client_for(trainer).get(URL).json()

    assert [row["person"] for row in body["results"]] == [str(lead.pk)]


def test_another_partners_accreditation_is_404(client_for, other_coordinator, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)

    assert client_for(other_coordinator).get(f"{URL}{accreditation.pk}/standing/").status_code == 404


def test_promotion_without_evidence_is_400_with_unmet(client_for, coordinator, co):
    accreditation = TrainerAccreditation.objects.get(person=co)

    response = client_for(coordinator).post(f"{URL}{accreditation.pk}/promote/")

    assert response.status_code == 400
    assert [item["code"] for item in response.json()["unmet"]] == [
        "co_taught_sessions_short",
        "observed_delivery_missing",
    ]


def test_a_trainer_may_not_promote(client_for, trainer, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)

    assert client_for(trainer).post(f"{URL}{accreditation.pk}/promote/").status_code == 403


def test_standing_shows_what_is_done_and_what_is_missing(client_for, trainer, partner, lead):
    CPDRecordFactory(partner=partner, person=lead, hours=Decimal("2.5"))
    accreditation = TrainerAccreditation.objects.get(person=lead)

    response = client_for(trainer).get(f"{URL}{accreditation.pk}/standing/")

    assert response.status_code == 200
    body = response.json()
    assert (body["deliveries"], body["cpd_hours"], body["met"]) == (0, 2.5, False)
    assert [item["code"] for item in body["missing"]] == ["deliveries_short", "cpd_hours_short"]


def test_renewal_without_the_standing_is_400_with_unmet(client_for, coordinator, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)

    response = client_for(coordinator).post(f"{URL}{accreditation.pk}/renew/")

    assert response.status_code == 400
    assert {item["code"] for item in response.json()["unmet"]} == {"deliveries_short", "cpd_hours_short"}


def test_the_licensor_suspends_and_an_illegal_move_is_409(client_for, licensor, lead):
    accreditation = TrainerAccreditation.objects.get(person=lead)
    client = client_for(licensor)

    assert client.post(f"{URL}{accreditation.pk}/transition/", {"to": "suspended"}).json()["status"] == "suspended"
    assert client.post(f"{URL}{accreditation.pk}/transition/", {"to": "lapsed"}).status_code == 409
    assert [e["kind"] for e in client.get(f"{URL}{accreditation.pk}/events/").json()] == ["status_changed"]


def test_expiring_within_filters_active_accreditations(client_for, licensor, partner):
    soon = TrainerAccreditationFactory(partner=partner, expires_on=TODAY + timedelta(days=20))
    TrainerAccreditationFactory(partner=partner)

    body = client_for(licensor).get(URL, {"expiring_within": 30}).json()

    assert [row["id"] for row in body["results"]] == [str(soon.pk)]


# --- teaching records ------------------------------------------------------------------


def test_a_co_trainer_logs_teaching_and_the_lead_signs_it_off(client_for, co_user, trainer, co, lead, partner):
    course = CourseFactory(partner=partner, lead_trainer=lead, co_trainers=[co], running=True)
    session = CourseSessionFactory(partner=partner, course=course)

    logged = client_for(co_user).post(TEACHING, {"session": str(session.pk)})
    assert logged.status_code == 201, logged.content
    assert (logged.json()["person"], logged.json()["role"]) == (str(co.pk), "co")
    # The factory's course runs a programme of its own: the signer must be accredited for that one.
    TrainerAccreditationFactory(partner=partner, person=lead, programme=course.programme)

    signed = client_for(trainer).post(f"{TEACHING}{logged.json()['id']}/sign-off/")
    assert (signed.status_code, signed.json()["signed_off_by"]) == (200, str(lead.pk))


def test_a_co_trainer_may_not_sign_off(client_for, co_user, partner, running_course, lead):
    record = TeachingRecordFactory(
        partner=partner, session=CourseSessionFactory(partner=partner, course=running_course)
    )

    assert client_for(co_user).post(f"{TEACHING}{record.pk}/sign-off/").status_code == 403
    assert TeachingRecord.objects.get(pk=record.pk).signed_off_at is None


# --- CPD --------------------------------------------------------------------------------


def test_a_trainer_logs_their_own_cpd(client_for, trainer, lead):
    response = client_for(trainer).post(
        CPD, {"date": TODAY.isoformat(), "hours": "3.5", "activity": "Safeguarding refresher"}
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "id": response.json()["id"],
        "person": str(lead.pk),
        "date": TODAY.isoformat(),
        "hours": 3.5,
        "activity": "Safeguarding refresher",
    }


def test_cpd_in_the_future_is_400_on_date(client_for, trainer, lead):
    response = client_for(trainer).post(
        CPD, {"date": (TODAY + timedelta(days=1)).isoformat(), "hours": "1", "activity": "Later"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"date"}
    assert not CPDRecord.objects.exists()


def test_a_trainer_does_not_log_cpd_for_a_colleague(client_for, trainer, lead, co):
    response = client_for(trainer).post(
        CPD, {"person": str(co.pk), "date": TODAY.isoformat(), "hours": "1", "activity": "Not mine"}
    )

    assert response.status_code in (400, 403)
    assert not CPDRecord.objects.exists()


def test_a_colleagues_cpd_is_invisible_to_a_trainer(client_for, trainer, lead, co, partner):
    record = CPDRecordFactory(partner=partner, person=co)

    assert client_for(trainer).delete(f"{CPD}{record.pk}/").status_code == 404
    assert CPDRecord.objects.filter(pk=record.pk).exists()


def test_the_learner_progresses_from_candidate_to_co_trainer(
    client_for, licensor, coordinator, partner, programme, learner
):
    course = CourseFactory(partner=partner, programme=programme, completed=True)
    EnrolmentFactory(partner=partner, course=course, learner=learner, passed=True)
    granted = client_for(licensor).post(URL, {"person": str(learner.pk), "programme": str(programme.pk)}).json()

    promoted = client_for(coordinator).post(f"{URL}{granted['id']}/promote/", {"note": "Passed the spring cohort"})

    assert (promoted.status_code, promoted.json()["stage"]) == (200, "co_trainer")
