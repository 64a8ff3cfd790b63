from django.contrib import admin

from franchise.admin import TandemModelAdmin
from reminders.models import Reminder, ReminderPreference


@admin.register(Reminder)
class ReminderAdmin(TandemModelAdmin):
    """The ledger is written by the planner and the dispatcher; here it is read, and a failed row retried."""

    list_display = ["kind", "recipient_user", "recipient_email", "partner", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["dedupe_key", "recipient_email", "recipient_user__email"]
    list_select_related = ["recipient_user", "partner"]
    date_hierarchy = "due_at"
    readonly_fields = [
        "kind",
        "partner",
        "recipient_user",
        "recipient_email",
        "subject_type",
        "subject_id",
        "due_at",
        "dedupe_key",
        "details",
        "status",
        "attempts",
        "last_error",
        "cancelled_reason",
        "attempt_after",
        "claimed_by",
        "claimed_until",
        "sent_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again at the next pass (failed reminders)")
    def retry(self, request, queryset):
        from django.utils import timezone

        updated = queryset.filter(status=Reminder.Status.FAILED).update(
            status=Reminder.Status.PENDING,
            attempts=0,
            attempt_after=timezone.now(),
            claimed_by=None,
            claimed_until=None,
        )
        self.message_user(request, f"{updated} reminder(s) will be sent at the next pass.")


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(TandemModelAdmin):
    list_display = ["user", "kind", "enabled", "updated_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
