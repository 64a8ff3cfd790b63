"""The issue's two journeys, through the API only: a trainer takes a cohort from planning to
certificates, and a learner goes from candidate to accredited trainer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from franchise.models import Criterion, Role
from tests.factories import user_with_role
from tests.training.factories import TrainerAccreditationFactory
from tests.training.scenario import *  # noqa: F403
from tests.training.scenario import person_for

API = "/api/v1/"
TODAY = timezone.localdate()


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def cohort_of_two(partner):
    users = [user_with_role(Role.MENTOR, partner, email=f"learner{n}@example.org", name=f"Learner {n}") for n in (1, 2)]
    return [person_for(user, partner) for user in users]


def run_cohort(*, lead_client, co_client, verifier_client, programme, lead, co, learners, starts_on):
    """Plan, open, enrol, hold sessions, assess and verify: returns (course id, certificates)."""
    course = ok(
        lead_client.post(
            f"{API}courses/",
            {
                "programme": str(programme.pk),
                "lead_trainer": str(lead.pk),
                "co_trainers": [str(co.pk)],
                "title": "Peer mentoring cohort",
                "starts_on": starts_on.isoformat(),
                "ends_on": (starts_on + timedelta(days=14)).isoformat(),
                "capacity": 6,
                "mode": "in_person",
                "venue": "Community room",
            },
        ),
        201,
    )
    ok(lead_client.post(f"{API}courses/{course['id']}/transition/", {"to": "open"}))
    enrolments = [
        ok(lead_client.post(f"{API}enrolments/", {"course": course["id"], "learner": str(learner.pk)}), 201)
        for learner in learners
    ]
    ok(lead_client.post(f"{API}courses/{course['id']}/transition/", {"to": "running"}))
    sessions = [
        ok(
            lead_client.post(
                f"{API}course-sessions/",
                {
                    "course": course["id"],
                    "date": (starts_on + timedelta(days=day)).isoformat(),
                    "starts_at": "10:00",
                    "ends_at": "13:00",
                    "topic": topic,
                    "units": [str(programme.units.get().pk)],
                },
            ),
            201,
        )
        for day, topic in ((0, "Boundaries"), (7, "Listening"))
    ]
    for session in sessions:
        ok(
            co_client.post(
                f"{API}course-sessions/{session['id']}/attendance/",
                {"attendance": [{"enrolment": e["id"], "status": "present"} for e in enrolments]},
            )
        )
    for enrolment in enrolments:
        for criterion in Criterion.objects.filter(unit__programme=programme):
            ok(
                lead_client.post(
                    f"{API}assessments/",
                    {
                        "enrolment": enrolment["id"],
                        "criterion": str(criterion.pk),
                        "decision": "met",
                        "evidence": "Workbook and observed role play",
                    },
                ),
                201,
            )
    certificates = [ok(verifier_client.post(f"{API}enrolments/{e['id']}/verify/"))["certificate"] for e in enrolments]
    ok(lead_client.post(f"{API}courses/{course['id']}/transition/", {"to": "completed"}))
    return course["id"], sessions, certificates


def test_a_trainer_takes_a_cohort_from_planning_to_certificates(
    client_for, trainer, co_user, verifier_user, programme, licence, lead, co, verifier, cohort_of_two
):
    _, _, certificates = run_cohort(
        lead_client=client_for(trainer),
        co_client=client_for(co_user),
        verifier_client=client_for(verifier_user),
        programme=programme,
        lead=lead,
        co=co,
        learners=cohort_of_two,
        starts_on=TODAY - timedelta(days=20),
    )

    public = APIClient()
    for certificate, learner in zip(certificates, cohort_of_two, strict=True):
        assert ok(public.get(f"{API}certificates/verify/{certificate['code']}/"))["holder"] == learner.name
    printed = client_for(trainer).get(f"{API}certificates/{certificates[0]['id']}/print/")
    assert printed.status_code == 200 and cohort_of_two[0].name in printed.content.decode()


def test_a_learner_goes_from_candidate_to_accredited_trainer(
    client_for,
    licensor,
    coordinator,
    trainer,
    co_user,
    verifier_user,
    partner,
    programme,
    licence,
    lead,
    co,
    verifier,
    cohort_of_two,
):
    graduate = cohort_of_two[0]
    run_cohort(
        lead_client=client_for(trainer),
        co_client=client_for(co_user),
        verifier_client=client_for(verifier_user),
        programme=programme,
        lead=lead,
        co=co,
        learners=cohort_of_two,
        starts_on=TODAY - timedelta(days=25),
    )
    accreditation = ok(
        client_for(licensor).post(
            f"{API}accreditations/", {"person": str(graduate.pk), "programme": str(programme.pk)}
        ),
        201,
    )
    assert ok(client_for(coordinator).post(f"{API}accreditations/{accreditation['id']}/promote/"))["stage"] == (
        "co_trainer"
    )

    # The graduate co-teaches the next run; the lead signs two sessions off, a trainer of trainers the observed one.
    tot_user = user_with_role(Role.TRAINER, partner, email="tot@example.org", name="Tess Trainer-of-trainers")
    tot = person_for(tot_user, partner)
    TrainerAccreditationFactory(partner=partner, person=tot, programme=programme, trainer_of_trainers=True)
    graduate_client = client_for(graduate.user)
    next_run = ok(
        client_for(trainer).post(
            f"{API}courses/",
            {
                "programme": str(programme.pk),
                "lead_trainer": str(lead.pk),
                "co_trainers": [str(graduate.pk), str(tot.pk)],
                "title": "Next cohort",
                "starts_on": (TODAY - timedelta(days=9)).isoformat(),
                "ends_on": TODAY.isoformat(),
                "capacity": 6,
            },
        ),
        201,
    )
    for day, observed, signer in ((0, False, trainer), (3, False, trainer), (6, True, tot_user)):
        session = ok(
            client_for(trainer).post(
                f"{API}course-sessions/",
                {
                    "course": next_run["id"],
                    "date": (TODAY - timedelta(days=9 - day)).isoformat(),
                    "starts_at": "10:00",
                    "ends_at": "12:00",
                    "topic": f"Session {day}",
                },
            ),
            201,
        )
        record = ok(
            graduate_client.post(f"{API}teaching-records/", {"session": session["id"], "observed": observed}), 201
        )
        assert record["role"] == "co"
        ok(client_for(signer).post(f"{API}teaching-records/{record['id']}/sign-off/"))

    promoted = ok(client_for(coordinator).post(f"{API}accreditations/{accreditation['id']}/promote/"))
    assert promoted["stage"] == "accredited_trainer"
    # …and the graduate sees it as their own.
    assert [row["stage"] for row in ok(graduate_client.get(f"{API}accreditations/"))["results"]] == [
        "accredited_trainer"
    ]
