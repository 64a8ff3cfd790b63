"""The coordinator's part of a partner's home: what needs them today, each item a link to where it is resolved.

Every figure is a fixed number of bounded queries, so the part costs the same for a partner of ten people as for
one of a thousand: lists stop at SHOWN items and say how many more there are.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from franchise.models import Licence
from franchise.querysets import with_current_acknowledgement
from supervision.models import BoundaryIncident, Person, SupervisionSession
from supervision.people.rules import activation_unmet_for, partner_today
from supervision.sessions.compliance import State, compliance_visible_to, supervision_compliance
from web.today.links import url_or_none

SHOWN = 10


def _bounded(queryset):
    """(the first SHOWN rows, how many more there are): always two queries, however long the list."""
    rows = list(queryset[:SHOWN])
    return rows, max(queryset.count() - len(rows), 0)


def _person_url(slug, person_id):
    return reverse("person-detail", args=[slug, person_id])


def _supervision(request, partner, slug, today, now):
    rows = compliance_visible_to(
        request.user, supervision_compliance(Person.objects.filter(partner=partner), today=today, now=now)
    ).filter(state__in=[State.OVERDUE, State.DUE_SOON])
    shown, more = _bounded(rows.order_by("next_due_on", "name").only("id", "name", "partner_id"))
    return {
        "items": [
            {
                "name": row.name,
                "due_on": row.next_due_on,
                "overdue": row.state == State.OVERDUE,
                "last_on": row.last_supervised_on,
                "url": _person_url(slug, row.pk),
            }
            for row in shown
        ],
        "more": more,
    }


def _incidents(request, partner, slug, now):
    waiting = BoundaryIncident.objects.visible_to(request.user).filter(partner=partner).awaiting_review()
    shown, more = _bounded(waiting.select_related("rule").order_by("review_due_at"))
    overdue = set(waiting.review_overdue(now).filter(pk__in=[row.pk for row in shown]).values_list("pk", flat=True))
    return {
        "items": [
            {
                "label": f"{row.get_severity_display()} {row.get_category_display().lower()} incident",
                "rule": row.rule.title,
                "occurred_at": row.occurred_at,
                "due_at": row.review_due_at,
                "overdue": row.pk in overdue,
                "url": url_or_none("incident-detail", slug, row.pk),
            }
            for row in shown
        ],
        "more": more,
    }


def _awaiting_activation(request, partner, slug, now):
    waiting = Person.objects.visible_to(request.user).filter(partner=partner).awaiting_activation()
    shown, more = _bounded(waiting.order_by("name", "id"))
    unmet = activation_unmet_for(shown, at=now) if shown else {}
    return {
        "items": [
            {
                "name": person.name,
                "status": person.get_mentor_status_display().capitalize(),
                "unmet": [item.message for item in unmet.get(person.pk, [])],
                "url": _person_url(slug, person.pk),
            }
            for person in shown
        ],
        "more": more,
    }


def _pause_reviews(request, partner, slug, today):
    due = Person.objects.visible_to(request.user).filter(partner=partner).pause_review_due(today)
    shown, more = _bounded(due.order_by("pause_review_on", "name"))
    return {
        "items": [
            {
                "name": person.name,
                "review_on": person.pause_review_on,
                "reason": person.pause_reason,
                "url": _person_url(slug, person.pk),
            }
            for person in shown
        ],
        "more": more,
    }


def _this_week(request, partner, slug, today):
    monday = today - timedelta(days=today.weekday())
    count = (
        SupervisionSession.objects.visible_to(request.user)
        .filter(partner=partner, starts_on__gte=monday, starts_on__lte=monday + timedelta(days=6))
        .booked()
        .count()
    )
    return {"count": count, "from": monday, "to": monday + timedelta(days=6), "url": url_or_none("calendar", slug)}


def _unacknowledged(request, partner, slug, now):
    """Who is expected to acknowledge the policy in force (mentors, supervisors, trainers) and has not yet."""
    people = with_current_acknowledgement(
        Person.objects.visible_to(request.user).filter(partner=partner).expected_to_acknowledge_policy(), at=now
    ).filter(acknowledged_current_policy=False)
    shown, more = _bounded(people.order_by("name", "id").only("id", "name", "partner_id"))
    return {
        "items": [{"name": person.name, "url": _person_url(slug, person.pk)} for person in shown],
        "more": more,
        "count": len(shown) + more,
        "url": url_or_none("policy", slug),
    }


def _licence(request, partner, today):
    licences = Licence.objects.visible_to(request.user).filter(partner=partner).select_related("programme")
    in_force = licences.in_force_on(today).order_by("-ends_on").first()
    latest = in_force or licences.order_by("-ends_on").first()
    if latest is None:
        return None
    return {
        "reference": latest.reference,
        "programme": latest.programme.name,
        "status": latest.get_status_display(),
        "in_force": in_force is not None,
        "ends_on": latest.ends_on,
        "days_left": (latest.ends_on - today).days,
    }


def context(request, here):
    partner, slug = here.partner, here.partner.slug
    now = timezone.now()
    today = partner_today(partner, now)
    return {
        "today": today,
        "supervision": _supervision(request, partner, slug, today, now),
        "incidents": _incidents(request, partner, slug, now),
        "awaiting_activation": _awaiting_activation(request, partner, slug, now),
        "pause_reviews": _pause_reviews(request, partner, slug, today),
        "this_week": _this_week(request, partner, slug, today),
        "unacknowledged": _unacknowledged(request, partner, slug, now),
        "licence": _licence(request, partner, today),
        "people_url": url_or_none("people", slug),
    }
