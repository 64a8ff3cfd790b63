"""Train-the-trainer pages: a trainer's own accreditation (logging teaching and CPD), signing teaching off, and
the coordinator's trainers with each one's path and promotion."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from franchise.models import Role
from tests.factories import user_with_role
from tests.training.factories import (
    CourseFactory,
    CourseSessionFactory,
    TeachingRecordFactory,
    TrainerAccreditationFactory,
)
from tests.training.scenario import *  # noqa: F403
from training.models import CPDRecord, TeachingRecord, TrainerAccreditation

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def held_sessions(partner, programme, licence, lead, co):
    course = CourseFactory(partner=partner, programme=programme, lead_trainer=lead, co_trainers=[co], running=True)
    today = timezone.localdate()
    return [
        CourseSessionFactory(partner=partner, course=course, date=today - timedelta(days=days), topic=topic)
        for days, topic in ((6, "Listening"), (3, "Boundaries"), (-2, "Endings"))
    ]


def test_a_co_trainer_sees_her_stage_standing_and_what_accreditation_still_needs(page_for, partner, co_user, co):
    text = _text(page_for(co_user).get(f"/{partner.slug}/accreditation/"))

    assert "Co-trainer" in text and "Towards accredited trainer" in text
    assert "0 of the 2 co-taught sessions signed off by an accredited trainer." in text
    assert "No observed delivery signed off by a trainer of trainers." in text


def test_logging_cpd_records_it_and_bad_hours_are_refused_next_to_the_field(page_for, partner, co_user, co):
    client = page_for(co_user)
    url = f"/{partner.slug}/accreditation/"
    today = timezone.localdate().isoformat()

    refused = client.post(url, {"cpd-date": today, "cpd-hours": "0", "cpd-activity": "Reading"})

    assert refused.status_code == 400
    assert re.search(r'id="id_cpd-hours_error_1"[^>]*>.*?greater than or equal to 0.25', refused.content.decode(), re.S)
    assert not CPDRecord.objects.exists()
    done = client.post(url, {"cpd-date": today, "cpd-hours": "2.5", "cpd-activity": "Safeguarding refresher"})
    assert done.status_code == 302
    assert CPDRecord.objects.get(person=co).activity == "Safeguarding refresher"
    assert "Safeguarding refresher" in _text(client.get(url))


def test_a_co_trainer_logs_a_held_session_once_and_a_future_one_is_not_offered(
    page_for, partner, co_user, co, held_sessions
):
    client = page_for(co_user)
    url = f"/{partner.slug}/accreditation/"
    past, _, future = held_sessions
    page = client.get(url).content.decode()
    assert f'value="{past.pk}"' in page and f'value="{future.pk}"' not in page

    assert client.post(url, {"teaching-session": past.pk}).status_code == 302

    record = TeachingRecord.objects.get(person=co, session=past)
    assert (record.role, record.signed_off_at) == (TeachingRecord.Role.CO, None)
    assert f'value="{past.pk}"' not in client.get(url).content.decode()
    again = client.post(url, {"teaching-session": past.pk})
    assert again.status_code == 400 and TeachingRecord.objects.filter(person=co).count() == 1


def test_an_accredited_trainer_signs_off_co_teaching_but_not_an_observed_delivery(
    page_for, partner, trainer, lead, co, held_sessions
):
    first, second, _ = held_sessions
    co_taught = TeachingRecordFactory(partner=partner, session=first, person=co, role=TeachingRecord.Role.CO)
    observed = TeachingRecordFactory(
        partner=partner, session=second, person=co, role=TeachingRecord.Role.CO, observed=True
    )
    client = page_for(trainer)

    listed = client.get(f"/{partner.slug}/teaching/sign-off/").content.decode()
    assert f"/teaching/{co_taught.pk}/sign-off/" in listed and f"/teaching/{observed.pk}/sign-off/" not in listed

    client.post(f"/{partner.slug}/teaching/{co_taught.pk}/sign-off/")
    co_taught.refresh_from_db()
    assert co_taught.signed_off_by == lead
    refused = client.post(f"/{partner.slug}/teaching/{observed.pk}/sign-off/", follow=True)
    assert "signed off by an active trainer of trainers" in _text(refused)
    observed.refresh_from_db()
    assert observed.signed_off_at is None


def test_a_trainer_cannot_sign_off_her_own_teaching(page_for, partner, trainer, lead, held_sessions):
    own = TeachingRecordFactory(partner=partner, session=held_sessions[0], person=lead)

    assert f"/teaching/{own.pk}/" not in page_for(trainer).get(f"/{partner.slug}/teaching/sign-off/").content.decode()
    page_for(trainer).post(f"/{partner.slug}/teaching/{own.pk}/sign-off/")
    own.refresh_from_db()
    assert own.signed_off_at is None


def test_the_coordinator_promotes_only_when_the_evidence_is_there_and_the_refusal_says_what_is_missing(
    page_for, partner, programme, coordinator, co, lead, held_sessions
):
    accreditation = TrainerAccreditation.objects.get(person=co)
    client = page_for(coordinator)
    url = f"/{partner.slug}/trainers/{accreditation.pk}/"

    refused = client.post(url)
    assert refused.status_code == 400
    assert "cannot be promoted yet" in _text(refused)
    assert "0 of the 2 co-taught sessions" in _text(refused)
    accreditation.refresh_from_db()
    assert accreditation.stage == TrainerAccreditation.Stage.CO_TRAINER

    first, second, _ = held_sessions
    for session in (first, second):
        TeachingRecordFactory(
            partner=partner,
            session=session,
            person=co,
            role=TeachingRecord.Role.CO,
            signed_off_by=lead,
            signed_off_at=timezone.now(),
        )
    senior = TrainerAccreditationFactory(partner=partner, programme=programme, trainer_of_trainers=True).person
    third = CourseSessionFactory(partner=partner, course=first.course, date=first.date - timedelta(days=1))
    TeachingRecordFactory(
        partner=partner,
        session=third,
        person=co,
        role=TeachingRecord.Role.CO,
        observed=True,
        signed_off_by=senior,
        signed_off_at=timezone.now(),
    )

    assert client.post(url).status_code == 302
    accreditation.refresh_from_db()
    assert accreditation.stage == TrainerAccreditation.Stage.ACCREDITED_TRAINER
    listed = _text(client.get(f"/{partner.slug}/trainers/"))
    assert "Cleo Cotrainer" in listed and "Accredited trainer" in listed


def test_the_trainers_pages_are_the_coordinators(page_for, partner, co_user, co):
    accreditation = TrainerAccreditation.objects.get(person=co)

    assert page_for(co_user).get(f"/{partner.slug}/trainers/").status_code == 403
    assert page_for(co_user).get(f"/{partner.slug}/trainers/{accreditation.pk}/").status_code == 403


def test_a_mentor_without_accreditation_is_told_how_to_start(page_for, partner):
    mentor = user_with_role(Role.MENTOR, partner, email="m@example.org", name="Mo Mentor")
    person_for(mentor, partner)  # noqa: F405

    assert "You hold no trainer accreditation yet" in _text(page_for(mentor).get(f"/{partner.slug}/accreditation/"))
