"""The demo's fidelity records: a template from the programme's rules, Northside's audit four months ago with two
open corrective actions (one overdue), and the current audit points the scorecard reads from them."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from franchise.policy_fields import BY_NAME
from reminders.models import Kind, Reminder
from supervision.fidelity.rules import latest_audit_points
from supervision.models import Audit, AuditQuestion, AuditTemplate, CorrectiveAction


def test_the_template_ties_its_questions_to_the_programmes_rules(demo):
    template = AuditTemplate.objects.get(name="Programme fidelity audit")
    fields = set(AuditQuestion.objects.filter(section__template=template).values_list("policy_field", flat=True))
    assert {
        "supervision_interval_days",
        "peer_group_min_size",
        "peer_group_trained_majority",
        "shadowing_hours_required",
        "incident_review_hours_critical",
        "accreditation_validity_months",
    } == fields
    assert fields <= set(BY_NAME)


def test_northside_was_audited_four_months_ago_with_two_open_actions_one_overdue(demo):
    today = timezone.localdate()
    audit = Audit.objects.get(partner__slug="northside")
    assert (audit.status, audit.score) == ("completed", 65)
    assert today - timedelta(days=130) <= audit.held_on <= today - timedelta(days=110)
    actions = CorrectiveAction.objects.filter(audit=audit)
    assert set(actions.values_list("status", flat=True)) == {"open"}
    assert actions.count() == 2
    assert actions.overdue(today).count() == 1
    # The overdue action is on the ledger for the partner's coordinators and the licensor.
    assert Reminder.objects.filter(kind=Kind.CORRECTIVE_ACTION_OVERDUE).exists()


def test_harbour_has_an_audit_coming_and_none_completed(demo):
    assert list(Audit.objects.filter(partner__slug="harbour").values_list("status", flat=True)) == ["scheduled"]
    points = latest_audit_points()
    northside = demo["northside"].pk
    assert set(points) == {northside}
    # SUP-1 partly (1.5 of 3) and open, INC-1 overdue (0 of 3), the rest met: 8.5 of 13.
    assert points[northside][:2] == (Decimal("8.5"), Decimal(13))
