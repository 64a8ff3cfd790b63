"""Admin of boundary incidents: read-only for everybody, superusers included, and without anybody's story.

Incidents are read and changed through the API, where visibility is decided
(BoundaryIncident.objects.visible_to) and every read is logged. The admin shows
the figures an operator needs to find a row — partner, rule, category,
severity, status, dates — never a description, a note or the people involved,
so it is not a way round either rule: the free text is `confidential` (never
shown, listed or searched) as well as left out of `fields`. The access log
cannot be added to, edited or deleted here.
"""

from django.contrib import admin

from franchise.admin import ReadOnlyAdmin
from supervision.models import BoundaryIncident, IncidentAccess, IncidentAction, IncidentDiscussion, IncidentTransition


@admin.register(BoundaryIncident)
class BoundaryIncidentAdmin(ReadOnlyAdmin):
    confidential = ["description", "immediate_action"]
    list_display = ["id", "partner", "category", "severity", "status", "occurred_at", "review_due_at"]
    list_filter = ["status", "severity", "category", "partner"]
    list_select_related = ["partner"]
    fields = [
        "partner",
        "rule",
        "policy_version",
        "category",
        "severity",
        "status",
        "occurred_at",
        "review_due_at",
        "reviewed_at",
        "escalated_at",
        "closed_at",
        "anonymised_at",
        "created_at",
    ]


@admin.register(IncidentTransition)
class IncidentTransitionAdmin(ReadOnlyAdmin):
    confidential = ["note"]
    list_display = ["incident", "from_status", "to_status", "at"]
    list_filter = ["to_status", "partner"]
    list_select_related = ["incident"]
    fields = ["partner", "incident", "from_status", "to_status", "at"]


@admin.register(IncidentAction)
class IncidentActionAdmin(ReadOnlyAdmin):
    confidential = ["description", "drop_note"]
    list_display = ["incident", "due_on", "done_at", "dropped_at"]
    list_filter = ["partner"]
    list_select_related = ["incident"]
    fields = ["partner", "incident", "due_on", "done_at", "dropped_at", "created_at"]


@admin.register(IncidentDiscussion)
class IncidentDiscussionAdmin(ReadOnlyAdmin):
    confidential = ["note"]
    list_display = ["incident", "recorded_at"]
    list_filter = ["partner"]
    list_select_related = ["incident"]
    fields = ["partner", "incident", "recorded_at"]


@admin.register(IncidentAccess)
class IncidentAccessAdmin(ReadOnlyAdmin):
    """The access log: append-only, written by the services and the API's detail read."""

    list_display = ["at", "incident", "user", "action", "detail"]
    list_filter = ["action", "partner"]
    list_select_related = ["incident", "user"]
    fields = ["partner", "incident", "user", "at", "action", "detail"]
