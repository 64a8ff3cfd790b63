"""Admin of fidelity: look-up only. Audits, their answers and corrective actions are written through the
console and the API (supervision.fidelity.services), where the workflow's rules hold."""

from django.contrib import admin

from franchise.admin import ReadOnlyAdmin
from supervision.models import (
    Audit,
    AuditAnswer,
    AuditQuestion,
    AuditSection,
    AuditTemplate,
    CorrectiveAction,
    ScorecardWeight,
    ScoreSnapshot,
)


@admin.register(AuditTemplate)
class AuditTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "programme", "retired_at"]


@admin.register(AuditSection)
class AuditSectionAdmin(ReadOnlyAdmin):
    list_display = ["title", "template", "position"]
    list_select_related = ["template"]


@admin.register(AuditQuestion)
class AuditQuestionAdmin(ReadOnlyAdmin):
    list_display = ["code", "section", "weight", "policy_field"]
    list_select_related = ["section"]


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["partner", "template", "scheduled_on", "held_on", "mode", "status", "score"]
    list_filter = ["status", "mode", "partner"]
    list_select_related = ["partner", "template"]


@admin.register(AuditAnswer)
class AuditAnswerAdmin(ReadOnlyAdmin):
    # Evidence may name the mentors and cases the auditor looked at.
    confidential = ["evidence"]
    list_display = ["audit", "question", "answer"]
    list_select_related = ["audit", "question"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdmin):
    confidential = ["description", "evidence", "review_note"]
    list_display = ["partner", "audit", "due_on", "status"]
    list_filter = ["status", "partner"]
    list_select_related = ["partner", "audit"]


@admin.register(ScorecardWeight)
class ScorecardWeightAdmin(ReadOnlyAdmin):
    list_display = ["code", "weight", "updated_at"]


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["partner", "taken_on", "score"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
