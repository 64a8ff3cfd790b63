"""Admin of groups and sessions: for looking things up only.

Groups and sessions are written through the API's services, which check
clashes, group rules and consent; the admin would bypass them, so it neither
adds nor changes nor deletes. Session notes, the supervisee's comment, the
reason for a cancellation and the agreed actions are `confidential`: not shown,
listed or searched, for operators neither.
"""

from django.contrib import admin

from franchise.admin import LookUpOnly, TandemModelAdmin, TandemTabularInline
from supervision.models import (
    GroupInvitation,
    GroupMembership,
    SessionAction,
    SessionAttendance,
    SupervisionAssignment,
    SupervisionGroup,
    SupervisionSeries,
    SupervisionSession,
    ToolkitProcess,
)


class MembershipInline(LookUpOnly, TandemTabularInline):
    model = GroupMembership
    fields = ["person", "opted_in_at", "opt_in", "consented_at", "consented_by"]
    extra = 0


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(LookUpOnly, TandemModelAdmin):
    list_display = ["name", "partner", "kind", "status", "rrule"]
    list_filter = ["kind", "status", "partner"]
    list_select_related = ["partner"]
    search_fields = ["name"]
    exclude = ["calendar_secret"]
    inlines = [MembershipInline]


@admin.register(GroupMembership)
class GroupMembershipAdmin(LookUpOnly, TandemModelAdmin):
    list_display = ["person", "group", "opted_in_at", "opt_in", "consented_at"]
    list_select_related = ["person", "group"]
    list_filter = ["opt_in", "partner"]


@admin.register(GroupInvitation)
class GroupInvitationAdmin(LookUpOnly, TandemModelAdmin):
    list_display = ["person", "group", "status", "created_at", "answered_at"]
    list_select_related = ["person", "group"]
    list_filter = ["status", "partner"]


@admin.register(ToolkitProcess)
class ToolkitProcessAdmin(LookUpOnly, TandemModelAdmin):
    """Coordinators keep the toolkit through the API and the pages (steps checked there)."""

    list_display = ["name", "partner"]
    list_select_related = ["partner"]
    list_filter = ["partner"]
    search_fields = ["name"]


@admin.register(SupervisionSeries)
class SupervisionSeriesAdmin(LookUpOnly, TandemModelAdmin):
    list_display = ["rrule", "partner", "dtstart", "time_zone", "capped"]
    list_select_related = ["partner"]
    list_filter = ["partner"]


class AttendanceInline(LookUpOnly, TandemTabularInline):
    model = SessionAttendance
    fields = ["person", "attendance"]
    extra = 0


@admin.register(SupervisionSession)
class SupervisionSessionAdmin(LookUpOnly, TandemModelAdmin):
    list_display = ["starts_at", "kind", "partner", "group", "supervisor", "supervisee", "status", "sequence"]
    list_filter = ["kind", "status", "partner"]
    list_select_related = ["partner", "group", "supervisor", "supervisee"]
    date_hierarchy = "starts_at"
    confidential = ["notes", "supervisee_comment", "cancel_reason"]
    inlines = [AttendanceInline]


@admin.register(SessionAttendance)
class SessionAttendanceAdmin(LookUpOnly, TandemModelAdmin):
    list_display = ["session", "person", "attendance"]
    list_select_related = ["session", "person"]
    list_filter = ["attendance", "partner"]


@admin.register(SessionAction)
class SessionActionAdmin(LookUpOnly, TandemModelAdmin):
    # What was agreed is as private as the notes it came from.
    list_display = ["session", "owner", "due_on", "done_at"]
    list_select_related = ["session", "owner"]
    list_filter = ["partner"]
    confidential = ["description"]


@admin.register(SupervisionAssignment)
class SupervisionAssignmentAdmin(LookUpOnly, TandemModelAdmin):
    """Coordinators make assignments through the API (overlaps checked there); operators look them up."""

    list_display = ["supervisor", "supervisee", "starts_on", "ends_on", "partner"]
    list_select_related = ["supervisor", "supervisee", "partner"]
    list_filter = ["partner"]
