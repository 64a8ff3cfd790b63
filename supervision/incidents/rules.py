"""Named rules of boundary incidents: single-row decisions that write nothing.

Who may read a session's incident agenda or a reflective note, and what stands
between an incident and `closed` (a list of Unmet, empty = met). Errors are
raised by services; the sets of incidents a user may see are querysets'.
"""

from django.apps import apps

from core.errors import Unmet
from core.tenancy import COORDINATOR, access_for, is_own_person
from supervision.incidents.querysets import ONE_TO_ONE, incidents_for_agenda

__all__ = ["closing_unmet", "may_read_agenda", "may_read_reflection", "readable_agenda"]


def _assignment_model():
    return apps.get_model("supervision", "SupervisionAssignment")


def may_read_agenda(session, user):
    """May `user` read `session`'s incident agenda? The partner's coordinators, and a 1:1's supervisor while a
    current assignment makes them the supervisee's supervisor (booking a session grants nothing); for a
    peer-group session, coordinators only (each reads their own partner's members' incidents)."""
    access = access_for(user)
    if session.kind != ONE_TO_ONE:
        return bool(access.partner_ids([COORDINATOR]))
    if access.has_role(session.partner_id, (COORDINATOR,)):
        return True
    if session.partner_id not in access.roles_by_partner:
        return False
    supervisor = getattr(session, "supervisor", None)
    if not is_own_person(user, supervisor):
        return False
    return (
        _assignment_model()
        .objects.current()
        .filter(supervisor=supervisor, supervisee_id=session.supervisee_id)
        .exists()
    )


def readable_agenda(session, user):
    """The part of `session`'s agenda that `user` (who passed may_read_agenda) reads. A peer group may
    gather members of several partners: each coordinator sees their own partner's incidents only."""
    agenda = incidents_for_agenda(session)
    if session.kind != ONE_TO_ONE:
        agenda = agenda.filter(partner_id__in=access_for(user).partner_ids([COORDINATOR]))
    return agenda


def may_read_reflection(discussion, user):
    """A reflective note recorded in supervision is read as supervision notes are: by the partner's
    coordinators and the session's own parties (supervisor and supervisee) — not by everyone who may
    see the incident (a reporter reading about another mentor, the licensor)."""
    if access_for(user).has_role(discussion.partner_id, (COORDINATOR,)):
        return True
    session = discussion.session
    if session is None:
        return False
    return any(is_own_person(user, person) for person in (session.supervisor, session.supervisee))


def closing_unmet(incident):
    """What stands between an incident and `closed`: open actions, and (unless it is a
    safeguarding matter) a reflective note recorded in supervision."""
    unmet = []
    open_actions = list(
        incident.actions.filter(done_at__isnull=True, dropped_at__isnull=True).values_list("due_on", flat=True)
    )
    if open_actions:
        dates = ", ".join(sorted(d.isoformat() for d in open_actions))
        unmet.append(
            Unmet(
                "actions_open",
                f"{len(open_actions)} action(s) are neither done nor dropped (due {dates}); "
                "mark each done, or drop it with a note saying why.",
            )
        )
    if not incident.is_safeguarding and not incident.discussions.exclude(note="").exists():
        unmet.append(
            Unmet(
                "reflection_missing",
                "The incident has not been reflected on in supervision yet: the mentor's supervisor "
                "or a coordinator records a reflective note from a supervision session first.",
            )
        )
    return unmet
