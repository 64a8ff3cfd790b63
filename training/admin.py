"""Admin of training. Courses, enrolments, assessments, certificates and accreditations are written
through the API (training.services), where the licence, accreditation, capacity and evidence rules are
checked; here operators look them up and correct plain text, never a field a rule depends on. The
assessor's evidence, a teaching observation and a revocation's reason are about people: `confidential`."""

from django.contrib import admin

from franchise.admin import TandemModelAdmin, TandemTabularInline
from training.models import (
    AccreditationEvent,
    Certificate,
    Course,
    CourseAttendance,
    CourseSession,
    CPDRecord,
    CriterionAssessment,
    Enrolment,
    TeachingRecord,
    TrainerAccreditation,
)


class TrainingAdmin(TandemModelAdmin):
    """Read-only but for the fields named in `editable`; rows are added through the API."""

    editable = ()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        names = [field.name for field in self.model._meta.get_fields() if field.concrete]
        return self._open([name for name in names if name not in self.editable])


class CourseSessionInline(TandemTabularInline):
    model = CourseSession
    extra = 0
    fields = ["date", "starts_at", "ends_at", "topic"]
    readonly_fields = ["date", "starts_at", "ends_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(TrainingAdmin):
    editable = ("title", "venue")
    list_display = ["title", "partner", "programme", "starts_on", "ends_on", "status", "lead_trainer", "capacity"]
    list_filter = ["status", "mode", "partner", "programme"]
    search_fields = ["title", "venue", "lead_trainer__name"]
    list_select_related = ["partner", "programme", "lead_trainer"]
    date_hierarchy = "starts_on"
    inlines = [CourseSessionInline]


@admin.register(CourseSession)
class CourseSessionAdmin(TrainingAdmin):
    editable = ("topic",)
    list_display = ["topic", "course", "date", "starts_at", "ends_at"]
    list_filter = ["partner"]
    search_fields = ["topic", "course__title"]
    list_select_related = ["course"]


@admin.register(Enrolment)
class EnrolmentAdmin(TrainingAdmin):
    list_display = ["learner", "course", "track", "status", "verified_at"]
    list_filter = ["status", "track", "partner"]
    search_fields = ["learner__name", "course__title"]
    list_select_related = ["learner", "course"]


@admin.register(CourseAttendance)
class CourseAttendanceAdmin(TrainingAdmin):
    list_display = ["enrolment", "session", "status"]
    list_filter = ["status", "partner"]
    list_select_related = ["enrolment__learner", "enrolment__course", "session"]


@admin.register(CriterionAssessment)
class CriterionAssessmentAdmin(TrainingAdmin):
    confidential = ["evidence"]
    list_display = ["enrolment", "criterion", "decision", "assessor", "assessed_on"]
    list_filter = ["decision", "partner"]
    search_fields = ["enrolment__learner__name", "criterion__code"]
    list_select_related = ["enrolment__learner", "enrolment__course", "criterion", "assessor"]


@admin.register(Certificate)
class CertificateAdmin(TrainingAdmin):
    """Revocation goes through POST /api/v1/certificates/{id}/revoke/, which records who and why."""

    confidential = ["revocation_reason"]
    list_display = ["holder_name", "partner", "issued_on", "status"]
    list_filter = ["status", "partner"]
    search_fields = ["holder_name", "code"]
    list_select_related = ["partner"]


class AccreditationEventInline(TandemTabularInline):
    model = AccreditationEvent
    extra = 0
    fields = ["at", "kind", "stage", "status", "expires_on", "by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TrainerAccreditation)
class TrainerAccreditationAdmin(TrainingAdmin):
    list_display = ["person", "partner", "programme", "stage", "status", "expires_on"]
    list_filter = ["stage", "status", "partner", "programme"]
    search_fields = ["person__name"]
    list_select_related = ["person", "partner", "programme"]
    inlines = [AccreditationEventInline]


@admin.register(AccreditationEvent)
class AccreditationEventAdmin(TrainingAdmin):
    list_display = ["accreditation", "kind", "stage", "status", "at", "by"]
    list_filter = ["kind", "partner"]
    list_select_related = ["accreditation__person", "by"]


@admin.register(TeachingRecord)
class TeachingRecordAdmin(TrainingAdmin):
    confidential = ["note"]
    list_display = ["person", "session", "role", "observed", "signed_off_by", "signed_off_at"]
    list_filter = ["role", "observed", "partner"]
    search_fields = ["person__name"]
    list_select_related = ["person", "session", "signed_off_by"]


@admin.register(CPDRecord)
class CPDRecordAdmin(TrainingAdmin):
    editable = ("activity",)
    list_display = ["person", "date", "hours", "activity"]
    list_filter = ["partner"]
    search_fields = ["person__name", "activity"]
    list_select_related = ["person"]
