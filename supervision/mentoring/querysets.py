"""Who reads a match's goals and contact records, and the set-based reads of them.

Contact records are partner-owned and read by the partner's coordinators and supervisors and by the match's
mentor. The licensor reads none of them, only figures (MatchQuerySet.with_contact_counts): a licensor admin is
held to the rule every member is, and holds no partner role. Goals have the same readers: they are the mentee's
own aims, in words.
"""

from core.tenancy import COORDINATOR, SUPERVISOR, TenantQuerySet

READER_ROLES = (COORDINATOR, SUPERVISOR)


class _MentoringQuerySet(TenantQuerySet):
    reader_roles = READER_ROLES
    own_person_paths = ("match__mentor",)

    def licensor_condition(self, access, user):
        return self.visible_condition(access, user)


class MatchGoalQuerySet(_MentoringQuerySet):
    pass


class ContactRecordQuerySet(_MentoringQuerySet):
    def concerns(self):
        return self.filter(concern=True)

    def not_anonymised(self):
        return self.filter(anonymised_at__isnull=True)


__all__ = ["ContactRecordQuerySet", "MatchGoalQuerySet", "READER_ROLES"]
