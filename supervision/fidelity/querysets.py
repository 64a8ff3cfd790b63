"""Who reads fidelity records. Templates are the licensor's and every member reads them (a partner may see what
it will be audited against); an audit, its answers, its corrective actions and a partner's score snapshots are
read by the licensing organisation and by the audited partner's coordinators, nobody else."""

from django.db.models import Q

from core.tenancy import COORDINATOR, TenantQuerySet


class AuditTemplateQuerySet(TenantQuerySet):
    """The licensor's templates (no partner): every signed-in member reads them, the licensor writes them."""

    partner_field = None

    def visible_condition(self, access, user):
        return Q() if access.roles_by_partner else Q(pk__in=[])


class AuditSectionQuerySet(TenantQuerySet):
    visible_with = "template"


class AuditQuestionQuerySet(TenantQuerySet):
    visible_with = "section__template"


class AuditQuerySet(TenantQuerySet):
    reader_roles = (COORDINATOR,)

    def completed(self):
        return self.filter(status="completed")


class AuditAnswerQuerySet(TenantQuerySet):
    visible_with = "audit"


class CorrectiveActionQuerySet(TenantQuerySet):
    reader_roles = (COORDINATOR,)

    def unresolved(self):
        return self.exclude(status="accepted")

    def overdue(self, on):
        """Still open (no evidence submitted) after its due date."""
        return self.filter(status="open", due_on__lt=on)


class ScoreSnapshotQuerySet(TenantQuerySet):
    reader_roles = (COORDINATOR,)


__all__ = [
    "AuditAnswerQuerySet",
    "AuditQuerySet",
    "AuditQuestionQuerySet",
    "AuditSectionQuerySet",
    "AuditTemplateQuerySet",
    "CorrectiveActionQuerySet",
    "ScoreSnapshotQuerySet",
]
