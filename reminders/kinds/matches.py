"""Match approved: to the mentor, as soon as the sweep finds the match newly approved."""

from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import CATCH_UP, insert, planner, reachable, reminder_row, subject_type
from supervision.models import Match

KIND = Kind.MATCH_APPROVED


@planner(KIND)
def plan_match_approved(now):
    """Matches approved in the last week and still active, to their mentor (keyed by the match: once)."""
    match_type = subject_type(Match)
    approved = Match.objects.filter(status=Match.Status.ACTIVE, approved_at__gte=now - CATCH_UP)
    rows = [
        reminder_row(
            KIND,
            subject_type=match_type,
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=now,
            key=(item["pk"],),
            user_id=item["mentor__user_id"],
            email=item["mentor__email"],
        )
        for item in reachable(approved, KIND, "mentor").values("pk", "partner_id", "mentor__user_id", "mentor__email")
    ]
    return insert(KIND, rows, now=now)


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
