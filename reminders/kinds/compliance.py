"""Supervision overdue: to the mentor once per overdue spell, and a daily digest to each coordinator.

Both read supervision.sessions.compliance.supervision_compliance(), the queryset the
compliance endpoint lists, so a reminder and the list never disagree.
A coordinator gets one message a day listing every overdue mentor of their
partner — never one message per mentor.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import DateField, F, Max, Q, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.facts import Fact, join_facts
from franchise.models import Partner
from reminders.messages import content, site_link
from reminders.models import Kind, Reminder
from reminders.planner import (
    CATCH_UP,
    KeyText,
    coordinator_memberships,
    insert,
    morning_of,
    planner,
    reachable,
    rows,
    subject_type,
    text,
)
from supervision.models import Person
from supervision.sessions.compliance import State, supervision_compliance

MENTOR, DIGEST = Kind.SUPERVISION_OVERDUE, Kind.SUPERVISION_OVERDUE_DIGEST


@planner(MENTOR)
def plan_supervision_overdue(now):
    """Active mentors who became overdue in the last week: one row each, keyed by the due date they missed
    (a held session moves it, and a later spell gets a reminder of its own)."""
    today = timezone.localdate(now)
    person_type = subject_type(Person)
    catch_up_from = today - timedelta(days=CATCH_UP.days)
    overdue = supervision_compliance(now=now, today=today).filter(state=State.OVERDUE, next_due_on__gte=catch_up_from)
    # A mentor reminded in this spell already is left out: that row was planned on or after the spell's due
    # date, while a row of an earlier spell predates the session that ended it. Each mentor's last reminder of
    # the catch-up window is grouped once, before the statement inserts anything, and joined: looked up per
    # mentor instead, the look-up was planned as a scan of the ledger per row whenever the statistics called
    # the ledger small (a first sweep), and the statement grows the ledger as it goes (130 s for 100,000 rows
    # instead of 4).
    last_reminded = (
        Reminder.objects.filter(
            kind=MENTOR,
            subject_type=person_type,
            created_at__gte=timezone.make_aware(datetime.combine(catch_up_from, time.min)),
        )
        .order_by()
        .values("subject_id")
        .annotate(on=TruncDate(Max("created_at")))
    )
    reminded = join_facts(overdue, last_reminded, name="reminded", key="subject_id")
    overdue = overdue.annotate(reminded_on=Fact(reminded, "on", DateField())).filter(
        Q(reminded_on__isnull=True) | Q(reminded_on__lt=F("next_due_on"))
    )
    return insert(
        MENTOR,
        rows(
            reachable(overdue, MENTOR),
            MENTOR,
            subject="pk",
            partner="partner_id",
            user="user_id",
            email="email",
            due_at=Value(now),
            key=("pk", "next_due_on"),
            details={"next_due_on": KeyText("next_due_on")},
        ),
        subject_type=person_type,
    )


@planner(DIGEST)
def plan_overdue_digest(now):
    """One digest a day for each coordinator of a partner with at least one overdue mentor, due in the
    morning (or now, when the sweep first finds the partner later in the day)."""
    today = timezone.localdate(now)
    overdue_partners = supervision_compliance(now=now, today=today).filter(state=State.OVERDUE).values("partner_id")
    return insert(
        DIGEST,
        rows(
            coordinator_memberships(overdue_partners, DIGEST),
            DIGEST,
            subject="partner_id",
            partner="partner_id",
            user="user_id",
            due_at=Value(max(morning_of(today, settings.TIME_ZONE), now)),
            key=("partner_id", Value(today.isoformat())),
            details={"day": text(today.isoformat())},
            distinct=True,
        ),
        subject_type=subject_type(Partner),
    )


# --- what they say ------------------------------------------------------------------


def _mentors_compliance(ids):
    """The batch's mentors with their compliance figures, in one query; a person no longer an active
    mentor (paused, exited) is absent, and their reminder is cancelled."""
    return {
        person.pk: person
        for person in supervision_compliance(Person.objects.filter(pk__in=ids).select_related("partner"))
    }


@content(MENTOR, load=_mentors_compliance)
def supervision_overdue(reminder, person, now):
    if person.state != State.OVERDUE or person.next_due_on.isoformat() != reminder.details.get("next_due_on"):
        return None  # supervised since
    return {
        "title": "Your supervision is overdue",
        "person": person,
        "last_supervised_on": person.last_supervised_on,
        "next_due_on": person.next_due_on,
        "interval_days": person.interval_days,
    }


def _partners(ids):
    return Partner.objects.in_bulk(ids)


@content(DIGEST, load=_partners)
def supervision_overdue_digest(reminder, partner, now):
    overdue = list(
        supervision_compliance(Person.objects.filter(partner=partner), now=now)
        .filter(state=State.OVERDUE)
        .order_by("next_due_on", "name")
    )
    if not overdue:
        return None
    count = len(overdue)
    return {
        "title": f"{count} mentor{'s' if count != 1 else ''} overdue for supervision at {partner.name}",
        "partner": partner,
        "overdue": overdue,
        "today": timezone.localdate(now),
        "link": site_link("/api/v1/compliance/supervision/?state=overdue"),
    }
