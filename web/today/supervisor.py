"""The supervisor's part of a partner's home: their supervisees, each one's next 1:1 and what is overdue.

The caseload is read by the domain (supervision.sessions.caseload) in a fixed number of queries; this module
only puts words, colours and links on it.
"""

from supervision.sessions import caseload
from supervision.sessions.compliance import State
from web.today.links import url_or_none

STATE_BADGES = {
    State.OVERDUE: ("Supervision overdue", "bad"),
    State.DUE_SOON: ("Supervision due soon", "warn"),
    State.OK: ("Supervision up to date", "ok"),
}


def _badge(row):
    if row.state is None:
        status = row.person.get_mentor_status_display() if row.person.mentor_status else "Not on the mentor pathway"
        return {"label": f"{status} (not counted)", "tone": "muted"}
    label, tone = STATE_BADGES[row.state]
    return {"label": label, "tone": tone}


def _supervisee(row, slug):
    if row.unrecorded_session_id is not None:
        session_url = url_or_none("session-record", slug, row.unrecorded_session_id) or url_or_none(
            "session-detail", slug, row.unrecorded_session_id
        )
        session_label = "Record the session"
    elif row.next_session_id is not None:
        session_url = url_or_none("session-detail", slug, row.next_session_id)
        session_label = "Open the next session"
    else:
        session_url, session_label = None, ""
    schedule_url = None
    if row.next_session_id is None:
        schedule_url = url_or_none("session-new", slug, query=f"supervisee={row.person.pk}")
    return {
        "row": row,
        "badge": _badge(row),
        "person_url": url_or_none("person-detail", slug, row.person.pk),
        "session_url": session_url,
        "session_label": session_label,
        "schedule_url": schedule_url,
    }


def context(request, here):
    me = caseload.own_person(request.user, here.partner)
    if me is None:
        return {"supervisor_person": None}
    rows = caseload.caseload(request.user, me)
    slug = here.partner.slug
    return {
        "supervisor_person": me,
        "supervisees": [_supervisee(row, slug) for row in rows],
        "overdue": {
            "supervision": sum(1 for row in rows if row.state == State.OVERDUE),
            "due_soon": sum(1 for row in rows if row.state == State.DUE_SOON),
            "unrecorded": sum(row.unrecorded_sessions for row in rows),
            "actions": sum(row.overdue_actions for row in rows),
            "unconfirmed": sum(row.unconfirmed_records for row in rows),
        },
        "schedule_url": url_or_none("session-new", slug),
        "calendar_url": url_or_none("calendar", slug),
    }
