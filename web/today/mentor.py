"""The mentor's part of a partner's home: their matches (record a contact), next sessions, the calendar link, the
policy to acknowledge, shadowing hours, boundary incidents reported, 1:1 records to confirm, peer groups to join or
leave, and reminders. Made for a phone.

Every read starts from the user's own Person in this partner (visible_to), so a mentor sees only their own;
each is one bounded query, whatever the number of rows.
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from franchise.policy import effective_policy
from franchise.querysets import own_acknowledgement
from reminders.models import Reminder
from supervision.models import BoundaryIncident, GroupInvitation, GroupMembership, Match, Person, SupervisionSession
from supervision.sessions import agenda
from training.models import Certificate
from web.today.links import url_or_none

# Reminders shown: those due in the coming fortnight, and those sent in the last month.
REMINDERS_AHEAD = timedelta(days=14)
REMINDERS_BEHIND = timedelta(days=30)
REMINDERS_SHOWN = 10
# Peer groups shown: a person is asked to, and sits in, a handful at most.
GROUPS_SHOWN = 20


def _reminders(user, partner, now):
    """The user's own reminders here, each with the session it is about when it is one they may see."""
    reminders = list(
        Reminder.objects.visible_to(user)
        .filter(
            recipient_user=user,
            partner=partner,
            status__in=(Reminder.Status.PENDING, Reminder.Status.SENT),
            due_at__gte=now - REMINDERS_BEHIND,
            due_at__lte=now + REMINDERS_AHEAD,
        )
        .order_by("-due_at", "pk")[:REMINDERS_SHOWN]
    )
    session_type = ContentType.objects.get_for_model(SupervisionSession)
    about = SupervisionSession.objects.visible_to(user).in_bulk(
        [r.subject_id for r in reminders if r.subject_type_id == session_type.pk]
    )
    return [{"reminder": r, "session": about.get(r.subject_id)} for r in reminders]


def _policy(person, partner, slug):
    policy = effective_policy(partner)
    version = policy.version
    return {
        "version": version,
        "acknowledgement": own_acknowledgement(person, version),
        "boundary_rules": policy.boundary_rules,
        "shadowing_hours_required": policy.shadowing_hours_required,
        "acknowledge_url": url_or_none("policy-acknowledge", slug),
        "policy_url": url_or_none("policy", slug),
    }


def _certificates(user, person, slug):
    """The person's own certificates, each with the page that prints it and offers it as an Open Badge."""
    certificates = (
        Certificate.objects.visible_to(user)
        .filter(enrolment__learner=person)
        .select_related("enrolment__course__programme")
        .order_by("-issued_on", "pk")
    )
    return [{"certificate": c, "url": url_or_none("certificate", slug, c.pk)} for c in certificates]


def _session_item(session, partner, slug):
    if session.group_id:
        what = f"Peer supervision: {session.group.name}"
    else:
        what = f"1:1 supervision with {session.supervisor.name}"
    same_partner = session.partner_id == partner.pk
    return {
        "session": session,
        "what": what,
        "host": "" if same_partner else session.partner.name,
        "url": url_or_none("session-detail", slug, session.pk) if same_partner else None,
    }


def _peer_groups(user, person, slug):
    """The invitations waiting for the person's answer and the groups they are in, each with where to answer or
    leave (two queries)."""
    invitations = list(
        GroupInvitation.objects.visible_to(user)
        .pending()
        .filter(person=person)
        .select_related("group__partner", "invited_by")
        .order_by("created_at", "pk")[:GROUPS_SHOWN]
    )
    memberships = list(
        GroupMembership.objects.visible_to(user)
        .filter(person=person)
        .exclude(group__status="closed")
        .select_related("group__partner")
        .order_by("group__name", "pk")[:GROUPS_SHOWN]
    )
    return {
        "invitations": [
            {
                "invitation": invitation,
                "group": invitation.group,
                "host": "" if invitation.group.partner_id == person.partner_id else invitation.group.partner.name,
                "join_url": url_or_none("group-join", slug, invitation.group_id),
                "decline_url": url_or_none("group-decline", slug, invitation.group_id),
            }
            for invitation in invitations
        ],
        "memberships": [
            {
                "membership": membership,
                "group": membership.group,
                "host": "" if membership.group.partner_id == person.partner_id else membership.group.partner.name,
                "leave_url": url_or_none("group-leave", slug, membership.group_id),
            }
            for membership in memberships
        ],
    }


MATCHES_SHOWN = 10


def _matches(user, person, slug):
    """The mentor's active matches, each with its last contact and the way to record the next one (one query)."""
    matches = (
        Match.objects.visible_to(user)
        .filter(mentor=person, status=Match.Status.ACTIVE)
        .with_contact_counts()
        .with_last_contact_on()
        .order_by("started_on", "mentee_ref")[:MATCHES_SHOWN]
    )
    return [
        {
            "match": match,
            "url": url_or_none("match-detail", slug, match.pk),
            "record_url": url_or_none("contact-new", slug, match.pk),
        }
        for match in matches
    ]


def context(request, here):
    user, partner, slug = request.user, here.partner, here.partner.slug
    person = Person.objects.visible_to(user).filter(partner=partner, user=user).with_shadowing_hours().first()
    if person is None:
        return {"mentor_person": None}
    now = timezone.now()
    policy = _policy(person, partner, slug)
    required = policy["shadowing_hours_required"]
    reports = BoundaryIncident.objects.visible_to(user).filter(partner=partner, reporter=user).count()
    return {
        "mentor_person": person,
        "matches": _matches(user, person, slug),
        "next_sessions": [_session_item(s, partner, slug) for s in agenda.next_sessions(user, person, now=now)],
        "calendar_url": person.calendar_url,
        "calendar_regenerate_url": url_or_none("my-calendar-regenerate", slug),
        "sessions_url": url_or_none("calendar", slug),
        "policy": policy,
        "shadowing": {
            # 3.5, not 3.50; 10, not 10.00.
            "hours": f"{person.shadowing_hours.normalize():f}",
            "required": required,
            "met": person.shadowing_hours >= required,
        },
        "incidents": {
            "reported": reports,
            "new_url": url_or_none("incident-new", slug),
            "list_url": url_or_none("incidents", slug),
        },
        "records_to_confirm": [
            {"session": s, "url": url_or_none("session-detail", slug, s.pk)}
            for s in agenda.records_to_confirm(user, person)
        ],
        "peer_groups": _peer_groups(user, person, slug),
        "reminders": _reminders(user, partner, now),
        "certificates": _certificates(user, person, slug),
    }
