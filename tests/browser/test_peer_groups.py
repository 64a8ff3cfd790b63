"""A mentor opts into a peer group from her home page on a phone, in Chromium: by the labels, roles and words on
the pages, each checked with axe-core, nothing scrolling sideways."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from supervision.models import GroupMembership, SupervisionSession
from supervision.sessions import services
from tests.browser.test_journeys import look, sign_in
from tests.supervision.factories import PersonFactory, SupervisionGroupFactory, ToolkitProcessFactory
from tests.supervision.sessions.helpers import person_of


def test_a_mentor_on_a_phone_accepts_an_invitation_to_a_peer_group_from_her_home(
    phone, partner, coordinator, mentor_user
):
    me = person_of(mentor_user, partner, active_mentor=True)
    group = SupervisionGroupFactory(partner=partner, name="Wednesday lunchtime group", active=True, members=4)
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")
    starts_at = (timezone.localtime() + timedelta(days=3)).replace(hour=12, minute=30, second=0, microsecond=0)
    services.schedule_session(
        by=coordinator,
        partner=partner,
        kind=SupervisionSession.Kind.GROUP,
        group=group,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        location="Group room",
        process=process,
    )
    services.invite_member(by=coordinator, group=group, person=me)

    sign_in(phone, mentor_user.email, phone=True)
    invitation = phone.get_by_role("listitem").filter(has_text="Wednesday lunchtime group")
    expect(invitation).to_contain_text("Cora Coordinator invited you")
    look(phone, "peer-group-invitation-phone", phone=True)
    invitation.get_by_role("button", name="Join Wednesday lunchtime group").click()

    expect(phone.get_by_text("You have joined “Wednesday lunchtime group”.")).to_be_visible()
    expect(phone.get_by_text("You are a member of Wednesday lunchtime group")).to_be_visible()
    expect(phone.get_by_role("button", name="Join Wednesday lunchtime group")).to_have_count(0)
    look(phone, phone=True)
    assert GroupMembership.objects.get(group=group, person=me).opt_in == GroupMembership.OptIn.OWN

    # Her place in the group's sessions came with joining: the next one is on her home, with its process.
    phone.get_by_role("link", name=starts_at.strftime("%A %-d %B")).click()
    expect(phone.get_by_role("heading", name="Peer case review")).to_be_visible()
    expect(phone.get_by_role("listitem").filter(has_text="Silent reflection")).to_contain_text("3 min")
    look(phone, phone=True)


def test_the_facilitator_walks_the_group_through_the_process_with_the_timer(phone, partner, coordinator, mentor_user):
    me = person_of(mentor_user, partner, active_mentor=True)
    # Members facilitate in the order they joined: she joined first, so the next session is hers.
    group = services.create_group(by=coordinator, partner=partner, name="Tuesday evening group")
    for person in [me] + [PersonFactory(partner=partner, active_mentor=True) for _ in range(3)]:
        services.add_member(by=coordinator, group=group, person=person)
    services.activate_group(by=coordinator, group=group)
    process = ToolkitProcessFactory(partner=partner, name="Peer case review")
    starts_at = (timezone.localtime() + timedelta(days=2)).replace(hour=18, minute=0, second=0, microsecond=0)
    session = services.schedule_session(
        by=coordinator,
        partner=partner,
        kind=SupervisionSession.Kind.GROUP,
        group=group,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        process=process,
    )
    session.refresh_from_db()
    assert session.facilitator == me

    sign_in(phone, mentor_user.email, phone=True)
    phone.goto(f"/{partner.slug}/sessions/{session.pk}/")
    steps = phone.get_by_role("region", name="Peer case review")
    expect(steps.get_by_role("timer")).to_have_text("5:00 left")
    look(phone, "peer-group-process-timer-phone", phone=True)

    steps.get_by_role("button", name="Start").click()
    expect(steps.get_by_role("status")).to_have_text("Step 1 of 3: Presenter describes the situation")
    expect(steps.get_by_role("button", name="Pause")).to_be_visible()
    steps.get_by_role("button", name="Next step").click()
    expect(steps.get_by_role("status")).to_have_text("Step 2 of 3: Silent reflection")
    expect(steps.locator("li[aria-current=step]")).to_contain_text("Silent reflection")
    look(phone, phone=True)
