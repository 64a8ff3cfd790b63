"""Who may see a boundary incident — decided here and nowhere else — and the set-based reads of incidents.

Imported by the models module, so models are looked up lazily (apps.get_model).
"""

from django.apps import apps
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.lookups import Exact
from django.utils import timezone

from core.tenancy import (
    COORDINATOR,
    SUPERVISOR,
    TenantQuerySet,
    own_person_q,
    own_user_q,
)
from franchise.querysets import policy_value

ONE_TO_ONE = "one_to_one"
CANCELLED = "cancelled"


def _assignment_model():
    return apps.get_model("supervision", "SupervisionAssignment")


def _incident_model():
    return apps.get_model("supervision", "BoundaryIncident")


class BoundaryIncidentQuerySet(TenantQuerySet):
    """The incidents a user may see. The strictest rule in Tandem, in one class:

    - the partner's coordinators: every incident of the partner;
    - a reporter: the incidents they reported, while they hold a role in the partner
      (and have not exited it);
    - a supervisor: incidents about the mentors currently assigned to them (a
      SupervisionAssignment made by a coordinator, never a session someone booked),
      and only where the partner's policy in force has `supervisors_see_incidents` on;
    - the licensor: an incident once it has been escalated (and from then on);
    - anyone else: nothing.
    """

    def visible_condition(self, access, user):
        condition = Q(partner__in=access.partner_ids([COORDINATOR]))
        condition |= own_user_q(access, user, "reporter_id")
        supervising = access.partner_ids([SUPERVISOR])
        if supervising:
            supervises_mentor = Exists(
                _assignment_model()
                .objects.current()
                .filter(
                    own_person_q(access, user, "supervisor"), partner=OuterRef("partner"), supervisee=OuterRef("mentor")
                )
            )
            supervisors_see_incidents = Exact(policy_value("supervisors_see_incidents"), True)
            condition |= Q(partner__in=supervising) & Q(supervisors_see_incidents) & Q(supervises_mentor)
        return condition

    def licensor_condition(self, access, user):
        # Not every incident: only escalated ones, besides what a partner role of their own would show them.
        return self.visible_condition(access, user) | Q(escalated_at__isnull=False)

    def open(self):
        return self.exclude(status=_incident_model().Status.CLOSED)

    def awaiting_review(self):
        """Reported and not yet reviewed (the review reminder's rows)."""
        return self.filter(status=_incident_model().Status.REPORTED, reviewed_at__isnull=True)

    def review_overdue(self, now=None):
        return self.awaiting_review().filter(review_due_at__lt=now or timezone.now())

    def with_review_overdue(self, now=None):
        """Annotate `review_overdue`: awaiting review past its deadline (review_overdue's rows), for lists."""
        status = _incident_model().Status
        overdue = Q(status=status.REPORTED, reviewed_at__isnull=True, review_due_at__lt=now or timezone.now())
        return self.annotate(review_overdue=ExpressionWrapper(overdue, output_field=BooleanField()))

    def not_safeguarding(self):
        return self.exclude(category="safeguarding")


class IncidentPartQuerySet(TenantQuerySet):
    """Rows belonging to one incident (chronology, actions, discussions, access log): visible with their incident."""

    visible_with = "incident"


def incidents_for_agenda(session):
    """The open incidents on a supervision session's agenda.

    Incidents feed supervision: an open incident about a mentor is on the
    agenda of the mentor's sessions — the next one first — until the incident
    is closed: the mentor's 1:1s, and the peer-group sessions the mentor is
    invited to. (A session already held keeps it too, so that an incident
    disclosed in supervision and reported afterwards can have its reflective
    note recorded against that session.) Safeguarding matters never are (they
    go to the safeguarding lead, not to peer supervision). Who reads which
    part is `readable_agenda`'s business, not this selector's: a group's
    members and facilitator never read each other's incidents.
    """
    incident = _incident_model()
    if session.status == CANCELLED:
        return incident.objects.none()
    if session.kind == ONE_TO_ONE:
        if session.supervisee_id is None:
            return incident.objects.none()
        about = Q(partner_id=session.partner_id, mentor_id=session.supervisee_id)
    else:
        about = Q(mentor_id__in=session.attendances.values("person_id"))
    return incident.objects.open().not_safeguarding().filter(about).order_by("occurred_at")


def is_on_agenda(incident, session):
    return incidents_for_agenda(session).filter(pk=incident.pk).exists()


__all__ = [
    "BoundaryIncidentQuerySet",
    "IncidentPartQuerySet",
    "incidents_for_agenda",
    "is_on_agenda",
]
