"""Certificate issued: to the learner, as soon as the sweep finds the new certificate."""

from reminders.messages import content, site_link
from reminders.models import Kind
from reminders.planner import CATCH_UP, insert, planner, reachable, reminder_row, subject_type
from training.models import Certificate

KIND = Kind.CERTIFICATE_ISSUED


@planner(KIND)
def plan_certificate_issued(now):
    """Valid certificates issued in the last week, to their holder (the enrolment's learner)."""
    certificate_type = subject_type(Certificate)
    issued = Certificate.objects.filter(status=Certificate.Status.VALID, created_at__gte=now - CATCH_UP)
    rows = [
        reminder_row(
            KIND,
            subject_type=certificate_type,
            subject_id=item["pk"],
            partner_id=item["partner_id"],
            due_at=now,
            key=(item["pk"],),
            user_id=item["enrolment__learner__user_id"],
            email=item["enrolment__learner__email"],
        )
        for item in reachable(issued, KIND, "enrolment__learner").values(
            "pk", "partner_id", "enrolment__learner__user_id", "enrolment__learner__email"
        )
    ]
    return insert(KIND, rows, now=now)


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
