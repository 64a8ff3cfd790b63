"""Admin of mentoring: goals and contact records, read-only and blind to what they say about the mentee."""

from django.contrib import admin

from franchise.admin import TandemModelAdmin
from supervision.models import ContactRecord, MatchGoal, MatchingTag, MentorConflict, MentorProfile


@admin.register(MatchGoal)
class MatchGoalAdmin(TandemModelAdmin):
    # The mentee's own aims, in words.
    confidential = ["text"]
    list_display = ["match", "status", "partner", "created_at"]
    list_filter = ["status", "partner"]
    list_select_related = ["match__mentor", "partner"]
    readonly_fields = ["partner", "match", "status", "created_at", "updated_at"]

    def has_add_permission(self, request):
        # Agreed by the mentor with the mentee, through the API or the match's page.
        return False


@admin.register(ContactRecord)
class ContactRecordAdmin(TandemModelAdmin):
    # What a mentor and a vulnerable mentee worked on, and where they met.
    confidential = ["summary", "place"]
    list_display = ["match", "date", "mode", "duration_minutes", "concern", "partner"]
    list_filter = ["mode", "concern", "partner"]
    list_select_related = ["match__mentor", "partner"]
    readonly_fields = [
        "partner",
        "match",
        "date",
        "duration_minutes",
        "mode",
        "concern",
        "incident",
        "recorded_by",
        "anonymised_at",
        "created_at",
        "updated_at",
    ]
    exclude = ["goals"]

    def has_add_permission(self, request):
        # Written by the match's mentor only.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MatchingTag)
class MatchingTagAdmin(TandemModelAdmin):
    list_display = ["name", "partner"]
    list_filter = ["partner"]
    search_fields = ["name"]
    list_select_related = ["partner"]


@admin.register(MentorProfile)
class MentorProfileAdmin(TandemModelAdmin):
    list_display = ["person", "area", "partner"]
    list_filter = ["partner"]
    list_select_related = ["person", "partner"]
    readonly_fields = ["partner", "person", "created_at", "updated_at"]
    exclude = ["tags"]


@admin.register(MentorConflict)
class MentorConflictAdmin(TandemModelAdmin):
    # Whom a mentor must avoid, in their own words: a former partner, their probation officer.
    confidential = ["description"]
    list_display = ["mentor", "mentee_ref", "partner", "created_at"]
    list_filter = ["partner"]
    list_select_related = ["mentor", "partner"]
    readonly_fields = ["partner", "mentor", "mentee_ref", "declared_by", "created_at", "updated_at"]

    def has_add_permission(self, request):
        # Declared by the mentor, or recorded by a coordinator, through the API.
        return False
