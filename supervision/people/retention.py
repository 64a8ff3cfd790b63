"""Retention for people who left: what was written about a mentor is anonymised once they exited longer ago than
the licensor's retention period (`incident_retention_years`, the period closed incidents are kept), the same way
as incidents — the words replaced, the figures (sessions held, dates, statuses, hours) kept.

What is anonymised: the notes and the supervisee's comment of their 1:1 supervision sessions, the actions agreed
there that they owned, the reflective notes of incidents discussed in those sessions, the reasons of their moves
along the pathway, and the notes of their shadowing. A peer group's session notes speak of the whole group and
stay. Other sub-domains add what they hold about a person with `@anonymises_exited_people` (contact records do:
a function that takes the person ids, the replacement text and `now`, and updates its rows set-based).
"""

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from franchise.policy import effective_policy
from supervision.models import (
    IncidentDiscussion,
    MentorStatus,
    Person,
    PersonTransition,
    SessionAction,
    ShadowingLog,
    SupervisionSession,
)

ANONYMISED = "Anonymised on {date} under the retention policy."

# Functions (person_ids, text, now) that anonymise what another sub-domain holds about these people.
EXITED_PEOPLE_ANONYMISERS = []


def anonymises_exited_people(function):
    """Register `function(person_ids, text, now)`: it runs inside anonymise_exited_people's transaction."""
    EXITED_PEOPLE_ANONYMISERS.append(function)
    return function


def _exited_at():
    """The time of the person's latest move to exited."""
    return Subquery(
        PersonTransition.objects.filter(person=OuterRef("pk"), to_status=MentorStatus.EXITED)
        .order_by("-at")
        .values("at")[:1]
    )


def exited_people_due_for_anonymisation(now=None):
    """People still exited, exited longer ago than the retention period, whose records are not yet anonymised.

    The period is read from each partner's policy in force: one query per partner that has candidates.
    """
    now = now or timezone.now()
    candidates = Person.objects.filter(mentor_status=MentorStatus.EXITED, records_anonymised_at__isnull=True).annotate(
        exited_at=_exited_at()
    )
    ids = []
    for partner_id in candidates.order_by().values_list("partner_id", flat=True).distinct():
        cutoff = now - relativedelta(years=effective_policy(partner_id, at=now).incident_retention_years)
        ids += candidates.filter(partner_id=partner_id, exited_at__lt=cutoff).values_list("pk", flat=True)
    return (
        Person.objects.filter(pk__in=ids)
        .annotate(exited_at=_exited_at())
        .select_related("partner")
        .order_by("exited_at")
    )


def anonymise_exited_people(person_ids, *, now=None):
    """Anonymise what was written about these people (see the module); returns how many were anonymised.

    Set-based, a fixed number of queries for any number of people. Only those of `person_ids` who are due
    (exited_people_due_for_anonymisation) are touched, under lock, so running it twice, or beside someone coming back, changes nothing wrongly.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            exited_people_due_for_anonymisation(now).filter(pk__in=list(person_ids)).values_list("pk", flat=True)
        )
        ids = list(
            Person.objects.select_for_update()
            .filter(pk__in=due, mentor_status=MentorStatus.EXITED, records_anonymised_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        text = ANONYMISED.format(date=timezone.localdate(now).isoformat())
        one_to_ones = SupervisionSession.objects.filter(kind=SupervisionSession.Kind.ONE_TO_ONE, supervisee__in=ids)
        IncidentDiscussion.objects.filter(session__in=one_to_ones.values("pk")).update(note=text, updated_at=now)
        SessionAction.objects.filter(session__in=one_to_ones.values("pk")).update(description=text, updated_at=now)
        SessionAction.objects.filter(owner__in=ids).update(description=text, updated_at=now)
        one_to_ones.exclude(notes="").update(notes=text, updated_at=now)
        one_to_ones.update(supervisee_comment="", cancel_reason="", updated_at=now)
        PersonTransition.objects.filter(person__in=ids).update(reason="", updated_at=now)
        ShadowingLog.objects.filter(mentor__in=ids).update(note="", updated_at=now)
        for anonymise in EXITED_PEOPLE_ANONYMISERS:
            anonymise(ids, text, now)
        Person.objects.filter(pk__in=ids).update(
            pause_reason="", pause_review_on=None, records_anonymised_at=now, updated_at=now
        )
    return len(ids)
