"""Demo data for boundary incidents: each demo partner gets incidents across categories, severities and states.

Everything goes through the services, so each incident has its chronology and
its access log like one recorded through the API. Reads from earlier steps:
world["mentors"], world["mentor_users"], world["staff"], world["licensor"]; a
held 1:1 of the mentor (supervision.sessions.demo) is where a reflective note
is recorded, and an incident whose mentor has none stays at action_agreed.
"""

from datetime import timedelta

from django.utils import timezone

from franchise.models import BoundaryRule, Role
from supervision.incidents import services as incidents
from supervision.models import BoundaryIncident, SupervisionSession

# (mentor index in world["mentors"][slug], reporter, rule code, severity, days ago, final status, description,
#  immediate action). Reporter: "mentor" is the partner's mentor who logs in, reporting about themselves.
INCIDENTS = {
    "northside": [
        (
            0,
            "mentor",
            "BL-OVER-1",
            "low",
            12,
            "reported",
            "I noticed I was thinking about my mentee's court date all weekend and nearly texted her on Sunday "
            "to wish her luck. I didn't, but I want to bring it to supervision.",
            "",
        ),
        (
            1,
            Role.SUPERVISOR,
            "NS-1",
            "medium",
            5,
            "under_review",
            "Mentor met the mentee at the mentee's flat because it was raining, instead of at the centre.",
            "Supervisor reminded the mentor of the meeting-place rule by phone the same day.",
        ),
        (
            2,
            Role.COORDINATOR,
            "BL-CONF-1",
            "high",
            35,
            "action_agreed",
            "Mentor mentioned the mentee's first name and situation to a friend who volunteers at the food bank.",
            "Coordinator spoke to the mentor and informed the mentee, who did not want a formal complaint.",
        ),
        (
            3,
            Role.COORDINATOR,
            "NS-2",
            "critical",
            2,
            "escalated",
            "A mentee's former partner approached the mentor asking where the mentee now lives. The mentor said "
            "nothing but is worried she was followed from the centre.",
            "Safeguarding lead informed; mentee's support worker contacted; sessions moved to another venue.",
        ),
        (
            0,
            Role.COORDINATOR,
            "BL-GIFT-1",
            "low",
            95,
            "closed",
            "Mentor accepted a bunch of flowers and a card from a mentee at the end of the match.",
            "None needed at the time; raised at supervision.",
        ),
        (
            2,
            Role.SUPERVISOR,
            "BL-SAFE-1",
            "medium",
            70,
            "closed",
            "Mentee mentioned bruises from 'a fall' twice; the mentor wrote it in her notes but told no one until "
            "supervision a week later.",
            "Safeguarding lead spoke to the mentee, who accepted a referral to the domestic abuse service.",
        ),
    ],
    "harbour": [
        (
            0,
            "mentor",
            "BL-SELF-1",
            "low",
            9,
            "reported",
            "In a session I talked for a long time about my own time inside, and the mentee went quiet. I think "
            "it was too much about me.",
            "",
        ),
        (
            1,
            Role.COORDINATOR,
            "HJ-1",
            "critical",
            20,
            "escalated",
            "Mentor recognised the mentee's co-defendant at a community event and spoke to him about the mentee.",
            "Match paused; mentee's probation officer informed.",
        ),
        (
            2,
            Role.SUPERVISOR,
            "BL-CON-1",
            "medium",
            4,
            "under_review",
            "Mentor gave the mentee their personal mobile number after a session ran late.",
            "Mentor asked to block the number and use the project phone.",
        ),
        (
            0,
            Role.COORDINATOR,
            "BL-OVER-1",
            "medium",
            60,
            "closed",
            "Mentor lent the mentee bus fare twice and said they 'knew exactly what it's like'.",
            "Coordinator repaid the mentor from the hardship fund and spoke to the mentee about project support.",
        ),
        (
            1,
            Role.COORDINATOR,
            "BL-SAFE-1",
            "high",
            45,
            "closed",
            "Mentee disclosed that she was sleeping in a car; the mentor passed it on the next morning rather than "
            "the same day.",
            "Housing team contacted the same morning; mentee housed in emergency accommodation.",
        ),
    ],
}

PATHS = {
    "reported": [],
    "under_review": ["under_review"],
    "action_agreed": ["under_review", "action_agreed"],
    "escalated": ["under_review", "escalated"],
    "closed": ["under_review", "action_agreed", "closed"],
}
NOTES = {
    "under_review": "Coordinator has spoken to the mentor and the reporter.",
    "action_agreed": "Actions agreed with the mentor.",
    "escalated": "Serious enough for the licensing organisation to know.",
    "closed": "Actions done and reflected on in supervision.",
}


def seed(world):
    now = timezone.now()
    rules = {rule.code: rule for rule in BoundaryRule.objects.current()}
    for slug, rows in INCIDENTS.items():
        coordinator = world["staff"][(slug, Role.COORDINATOR)]
        for index, reporter, code, severity, days_ago, status, description, immediate in rows:
            mentor = world["mentors"][slug][index]
            by = world["mentor_users"][slug] if reporter == "mentor" else world["staff"][(slug, reporter)]
            incident = incidents.report_incident(
                by=by,
                mentor=mentor,
                rule=rules[code],
                severity=severity,
                occurred_at=now - timedelta(days=days_ago, hours=3),
                description=description,
                immediate_action=immediate,
            )
            if status == "reported":
                # Reported a week ago and not looked at since: an overdue review for the figures and reminders.
                _backdate_report(incident, days=days_ago - 2)
            for step in PATHS[status]:
                if step == "action_agreed":
                    _agree_actions(coordinator, incident, mentor, closing=status == "closed")
                if step == "closed" and not _reflect(world, slug, incident, mentor):
                    break
                incident = incidents.transition_incident(by=coordinator, incident=incident, to=step, note=NOTES[step])
    _old_closed_incident(world, rules, now)


def _backdate_report(incident, days):
    reported_at = timezone.now() - timedelta(days=days)
    BoundaryIncident.objects.filter(pk=incident.pk).update(
        created_at=reported_at, review_due_at=reported_at + (incident.review_due_at - incident.created_at)
    )


def _agree_actions(coordinator, incident, mentor, *, closing):
    today = timezone.localdate()
    refresher = incidents.add_action(
        by=coordinator,
        incident=incident,
        owner=mentor,
        description="Go through the boundary rules again with the coordinator.",
        due_on=today + timedelta(days=10),
    )
    check_in = incidents.add_action(
        by=coordinator,
        incident=incident,
        owner=mentor,
        description="Check in with the mentee at the next session about how the mentoring feels.",
        due_on=today + timedelta(days=14),
    )
    incidents.complete_action(by=coordinator, action=refresher)
    if closing:
        incidents.drop_action(by=coordinator, action=check_in, note="The match ended before the next session.")


def _reflect(world, slug, incident, mentor):
    """Record the reflective note in the mentor's last 1:1; False when the mentor has had none (yet)."""
    if incident.is_safeguarding:
        return True
    session = (
        SupervisionSession.objects.filter(
            partner_id=incident.partner_id,
            kind=SupervisionSession.Kind.ONE_TO_ONE,
            supervisee=mentor,
            starts_at__lte=timezone.now(),
        )
        .exclude(status=SupervisionSession.Status.CANCELLED)
        .select_related("supervisor")
        .order_by("-starts_at")
        .first()
    )
    if session is None:
        return False
    incidents.record_discussion(
        by=world["staff"][(slug, Role.COORDINATOR)],
        session=session,
        incident=incident,
        note="Talked about what made the boundary hard to hold that day, and what to do differently next time.",
    )
    return True


def _old_closed_incident(world, rules, now):
    """A Harbour incident closed more than six years ago: what `anonymise_incidents --dry-run` shows."""
    coordinator = world["staff"][("harbour", Role.COORDINATOR)]
    occurred_at = now - timedelta(days=7 * 365)
    incident = incidents.report_incident(
        by=coordinator,
        mentor=world["mentors"]["harbour"][2],
        rule=rules["BL-SAFE-1"],
        severity="medium",
        occurred_at=occurred_at,
        description="Mentor kept a mentee's disclosure of self-harm to themselves for two days.",
        immediate_action="Mentee's GP contacted with her consent.",
    )
    for step in PATHS["closed"]:
        if step == "action_agreed":
            _agree_actions(coordinator, incident, incident.mentor, closing=True)
        incident = incidents.transition_incident(by=coordinator, incident=incident, to=step, note=NOTES[step])
    reported_at = occurred_at + timedelta(days=1)
    BoundaryIncident.objects.filter(pk=incident.pk).update(
        created_at=reported_at,
        review_due_at=reported_at + timedelta(hours=168),
        reviewed_at=reported_at + timedelta(days=2),
        closed_at=reported_at + timedelta(days=60),
    )
