"""Certificate issued: to the learner, as soon as the sweep finds the new certificate."""

from django.db.models import Value

from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import CATCH_UP, insert, planner, reachable, rows, subject_type
from training.models import Certificate

KIND = Kind.CERTIFICATE_ISSUED


@planner(KIND)
def plan_certificate_issued(now):
    """Valid certificates issued in the last week, to their holder (the enrolment's learner)."""
    issued = Certificate.objects.filter(status=Certificate.Status.VALID, created_at__gte=now - CATCH_UP)
    return insert(
        KIND,
        rows(
            reachable(issued, KIND, "enrolment__learner"),
            KIND,
            subject="pk",
            partner="partner_id",
            user="enrolment__learner__user_id",
            email="enrolment__learner__email",
            due_at=Value(now),
            key=("pk",),
        ),
        subject_type=subject_type(Certificate),
    )


def _certificates(ids):
    return Certificate.objects.select_related("partner", "enrolment__course__programme").in_bulk(ids)


@content(KIND, load=_certificates)
def certificate_issued(reminder, certificate, now):
    if certificate.status != Certificate.Status.VALID:
        return None
    programme = certificate.enrolment.course.programme
    return {
        "title": f"Your certificate for {programme.name}",
        "certificate": certificate,
        "programme": programme,
        "verify_link": site_link(f"/verify/{certificate.code}/"),
    }
