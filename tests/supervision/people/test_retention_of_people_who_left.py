"""Retention for people who left: the notes written about a mentor who exited longer ago than the retention
period are anonymised like incidents (words replaced, figures kept), from beat daily or the command."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from supervision import tasks
from supervision.models import (
    IncidentDiscussion,
    MentorStatus,
    Person,
    PersonTransition,
    SessionAction,
    ShadowingLog,
    SupervisionSession,
)
from supervision.people import retention
from supervision.people.retention import anonymise_exited_people, exited_people_due_for_anonymisation
from tests.supervision.factories import (
    IncidentDiscussionFactory,
    PersonFactory,
    PersonTransitionFactory,
    SessionActionFactory,
    ShadowingLogFactory,
    SupervisionGroupFactory,
    SupervisionSessionFactory,
)

pytestmark = pytest.mark.django_db

SEVEN_YEARS = timedelta(days=7 * 366)
SECRET = "She told me about her brother's court date."


def _left(partner, ago, **fields):
    """A mentor who exited `ago`, with a 1:1 session (notes, comment, an action, an incident discussed),
    a pause reason kept on a transition, and shadowing notes."""
    person = PersonFactory(partner=partner, mentor_status=MentorStatus.EXITED, **fields)
    PersonTransitionFactory(
        partner=partner,
        person=person,
        from_status="paused",
        to_status="exited",
        at=timezone.now() - ago,
        reason="Went back into hospital.",
    )
    session = SupervisionSessionFactory(
        partner=partner,
        supervisee=person,
        held=True,
        starts_at=timezone.now() - ago - timedelta(days=30),
        notes=SECRET,
        supervisee_comment="I felt heard.",
    )
    SessionActionFactory(partner=partner, session=session, description="Call the housing officer.")
    IncidentDiscussionFactory(partner=partner, session=session, incident__mentor=person, note=SECRET)
    ShadowingLogFactory(partner=partner, mentor=person, note="Shadowed Sam at the drop-in.")
    return person


def _words_about(person):
    sessions = SupervisionSession.objects.filter(supervisee=person)
    return {
        "notes": list(sessions.values_list("notes", "supervisee_comment")),
        "actions": list(SessionAction.objects.filter(session__supervisee=person).values_list("description", flat=True)),
        "discussions": list(
            IncidentDiscussion.objects.filter(session__supervisee=person).values_list("note", flat=True)
        ),
        "reasons": list(PersonTransition.objects.filter(person=person).values_list("reason", flat=True)),
        "shadowing": list(ShadowingLog.objects.filter(mentor=person).values_list("note", flat=True)),
    }


def _run(*args):
    out = io.StringIO()
    call_command("anonymise_incidents", *args, stdout=out)
    return out.getvalue()


def test_only_people_still_exited_longer_ago_than_the_retention_period_are_due(partner):
    long_gone = _left(partner, SEVEN_YEARS)
    _left(partner, timedelta(days=2 * 365))
    came_back = _left(partner, SEVEN_YEARS)
    came_back.mentor_status = MentorStatus.APPLICANT
    came_back.save()
    PersonFactory(partner=partner, active_mentor=True)

    assert list(exited_people_due_for_anonymisation()) == [long_gone]


def test_the_notes_about_them_are_replaced_and_the_figures_kept(partner):
    person = _left(partner, SEVEN_YEARS)
    recent = _left(partner, timedelta(days=30))
    recent_words = _words_about(recent)
    held = SupervisionSession.objects.filter(supervisee=person).values_list("status", "starts_at", "ends_at").get()

    assert anonymise_exited_people([person.pk, recent.pk]) == 1

    words = _words_about(person)
    text = f"Anonymised on {timezone.localdate().isoformat()} under the retention policy."
    assert words == {
        "notes": [(text, "")],
        "actions": [text],
        "discussions": [text],
        "reasons": [""],
        "shadowing": [""],
    }
    assert (
        SupervisionSession.objects.filter(supervisee=person).values_list("status", "starts_at", "ends_at").get() == held
    )
    assert ShadowingLog.objects.get(mentor=person).hours > 0
    assert Person.objects.get(pk=person.pk).records_anonymised_at is not None
    assert _words_about(recent) == recent_words


def test_a_peer_groups_session_notes_speak_of_the_group_and_stay(partner):
    person = _left(partner, SEVEN_YEARS)
    group_session = SupervisionSessionFactory(
        partner=partner,
        kind="group",
        group=SupervisionGroupFactory(partner=partner),
        supervisor=None,
        supervisee=None,
        held=True,
        notes="The group talked about endings.",
    )

    anonymise_exited_people([person.pk])

    group_session.refresh_from_db()
    assert group_session.notes == "The group talked about endings."


def test_running_it_twice_changes_nothing_the_second_time(partner):
    person = _left(partner, SEVEN_YEARS)
    anonymise_exited_people([person.pk])
    before = Person.objects.filter(pk=person.pk).values("records_anonymised_at", "updated_at").get()

    assert anonymise_exited_people([person.pk]) == 0
    assert list(exited_people_due_for_anonymisation()) == []
    assert Person.objects.filter(pk=person.pk).values("records_anonymised_at", "updated_at").get() == before


def test_another_sub_domains_records_are_anonymised_through_the_hook(partner, monkeypatch):
    person = _left(partner, SEVEN_YEARS)
    calls = []
    monkeypatch.setattr(retention, "EXITED_PEOPLE_ANONYMISERS", [lambda ids, text, now: calls.append((ids, text))])

    anonymise_exited_people([person.pk])

    assert calls == [([person.pk], f"Anonymised on {timezone.localdate().isoformat()} under the retention policy.")]


def test_the_dry_run_lists_them_without_a_word_of_the_notes_and_changes_nothing(partner):
    person = _left(partner, SEVEN_YEARS, name="Nadia Notyet")
    before = _words_about(person)

    output = _run("--dry-run")

    assert f"Would anonymise the records of {person.pk} ({partner.slug}, exited" in output
    assert "Dry run: the records of 1 person(s) who left would be anonymised" in output
    assert SECRET not in output and "Nadia" not in output
    assert _words_about(person) == before


def test_the_command_anonymises_them_with_the_incidents(partner):
    person = _left(partner, SEVEN_YEARS)

    output = _run()

    assert "Anonymised the records of 1 person(s) who left." in output
    assert _words_about(person)["notes"][0][0].startswith("Anonymised on")


def test_beat_runs_the_anonymisation_daily_and_the_task_does_it(partner):
    (entry,) = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "supervision.tasks.anonymise_past_retention"
    ]
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {45}
    person = _left(partner, SEVEN_YEARS)

    assert tasks.anonymise_past_retention() == {"incidents": 0, "people": 1}
    assert tasks.anonymise_past_retention() == {"incidents": 0, "people": 0}
    assert _words_about(person)["notes"][0][0].startswith("Anonymised on")
