"""Contact records of mentors who left longer ago than the retention period lose their words, keep their figures."""

from datetime import timedelta

import pytest
from django.utils import timezone

from supervision.mentoring import services
from supervision.models import MentorStatus
from tests.supervision.factories import ContactRecordFactory, MatchFactory, PersonFactory, PersonTransitionFactory

pytestmark = pytest.mark.django_db

YEARS = 6  # the baseline's incident_retention_years


def mentor_who_left(partner, years_ago):
    mentor = PersonFactory(partner=partner, exited=True)
    PersonTransitionFactory(
        partner=partner,
        person=mentor,
        from_status=MentorStatus.ACTIVE,
        to_status=MentorStatus.EXITED,
        at=timezone.now() - timedelta(days=365 * years_ago + 2),
    )
    return mentor


def record_of(partner, mentor):
    return ContactRecordFactory(partner=partner, match=MatchFactory(partner=partner, mentor=mentor, ended=True))


def test_only_the_records_of_mentors_who_left_before_the_retention_period_are_due(partner):
    long_gone = record_of(partner, mentor_who_left(partner, YEARS + 1))
    record_of(partner, mentor_who_left(partner, YEARS - 1))
    ContactRecordFactory(partner=partner)  # a mentor still active

    assert list(services.contacts_due_for_anonymisation()) == [long_gone]


def test_anonymising_blanks_the_words_and_keeps_the_figures_once(partner):
    record = record_of(partner, mentor_who_left(partner, YEARS + 1))
    record.concern = True
    record.save()

    assert services.anonymise_contact_records([record.pk]) == 1
    assert services.anonymise_contact_records([record.pk]) == 0

    record.refresh_from_db()
    assert record.summary.startswith("Anonymised on ")
    assert (record.place, record.recorded_by, record.concern, record.duration_minutes) == ("", None, True, 60)
    assert record.anonymised_at is not None
    assert list(services.contacts_due_for_anonymisation()) == []


def test_the_nightly_sweep_of_people_who_left_anonymises_their_contact_records_with_their_notes(partner):
    from supervision.people.retention import anonymise_exited_people

    gone = mentor_who_left(partner, YEARS + 1)
    theirs = record_of(partner, gone)
    recent = record_of(partner, mentor_who_left(partner, YEARS - 1))

    assert anonymise_exited_people([gone.pk, recent.match.mentor_id]) == 1

    theirs.refresh_from_db()
    recent.refresh_from_db()
    assert theirs.summary.startswith("Anonymised on ") and theirs.anonymised_at is not None
    assert recent.anonymised_at is None and not recent.summary.startswith("Anonymised")
