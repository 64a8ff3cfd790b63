"""Match approved: to the mentor, as soon as the sweep finds the match newly approved."""

from django.db.models import Value

from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import CATCH_UP, insert, planner, reachable, rows, subject_type
from supervision.models import Match

KIND = Kind.MATCH_APPROVED


@planner(KIND)
def plan_match_approved(now):
    """Matches approved in the last week and still active, to their mentor (keyed by the match: once)."""
    approved = Match.objects.filter(status=Match.Status.ACTIVE, approved_at__gte=now - CATCH_UP)
    return insert(
        KIND,
        rows(
            reachable(approved, KIND, "mentor"),
            KIND,
            subject="pk",
            partner="partner_id",
            user="mentor__user_id",
            email="mentor__email",
            due_at=Value(now),
            key=("pk",),
        ),
        subject_type=subject_type(Match),
    )


def _matches(ids):
    return Match.objects.select_related("partner", "mentor").in_bulk(ids)


@content(KIND, load=_matches)
def match_approved(reminder, match, now):
    if match.status != Match.Status.ACTIVE:
        return None  # ended before the message went
    return {
        "title": f"You are matched with mentee {match.mentee_ref}",
        "match": match,
        "link": site_link(f"/{match.partner.slug}/matches/{match.pk}/"),
    }
