"""Admin of supervision's people: Person, its transitions, shadowing logs and matches."""

from django.contrib import admin

from franchise.admin import TandemModelAdmin, TandemTabularInline
from supervision.models import Match, Person, PersonTransition, ShadowingLog

# --- people ---------------------------------------------------------------------------
# The mentor status and the pause move only through supervision.people.services.transition_person
# (which checks the activation rules and records the move), so they are read-only here.


# Why someone paused, how a match ended, what a shadowing shift was like: free text about
# people, kept out of the admin (`confidential`) like incident and session notes.


class PersonTransitionInline(TandemTabularInline):
    model = PersonTransition
    fk_name = "person"
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "review_on"]
    readonly_fields = fields
    confidential = ["reason"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(TandemModelAdmin):
    confidential = ["pause_reason"]
    list_display = ["name", "partner", "mentor_status", "email", "pause_review_on"]
    list_filter = ["mentor_status", "partner"]
    search_fields = ["name", "email"]
    list_select_related = ["partner"]
    autocomplete_fields = ["partner", "user"]
    readonly_fields = ["mentor_status", "pause_reason", "pause_review_on", "created_at", "updated_at"]
    fields = [
        "partner",
        "name",
        "email",
        "user",
        "prior_learning_on",
        "background_check_on",
        *readonly_fields,
    ]
    inlines = [PersonTransitionInline]

    def get_readonly_fields(self, request, obj=None):
        # A person's partner never changes once written.
        return [*self.readonly_fields, "partner"] if obj is not None else self.readonly_fields


@admin.register(PersonTransition)
class PersonTransitionAdmin(TandemModelAdmin):
    confidential = ["reason"]
    list_display = ["person", "from_status", "to_status", "at", "by"]
    list_filter = ["to_status", "partner"]
    search_fields = ["person__name"]
    list_select_related = ["person", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShadowingLog)
class ShadowingLogAdmin(TandemModelAdmin):
    confidential = ["note"]
    list_display = ["mentor", "shadowed", "date", "hours", "partner"]
    list_filter = ["partner"]
    search_fields = ["mentor__name", "shadowed__name"]
    list_select_related = ["mentor", "shadowed", "partner"]
    readonly_fields = ["partner", "mentor", "shadowed", "date", "hours", "recorded_by", "created_at"]

    def has_add_permission(self, request):
        # Logged through the API, where the daily limit and the staff rule are checked.
        return False


@admin.register(Match)
class MatchAdmin(TandemModelAdmin):
    confidential = ["outcome_note"]
    list_display = ["mentee_ref", "mentor", "status", "started_on", "ended_on", "partner"]
    list_filter = ["status", "partner"]
    search_fields = ["mentee_ref", "mentor__name"]
    list_select_related = ["mentor", "partner"]
    readonly_fields = [
        "partner",
        "mentor",
        "mentee_ref",
        "status",
        "started_on",
        "ended_on",
        "outcome",
        "created_by",
    ]

    def has_add_permission(self, request):
        # Made through the API, where the mentor's status and the policy's cap are checked.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
