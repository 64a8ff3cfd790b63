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


class MatchingTagQuerySet(TenantQuerySet):
    """The partner's list of needs and interests (housing, benefits, …): read by every member of the partner."""


class MentorProfileQuerySet(TenantQuerySet):
    """What a mentor offers for matching: the partner's coordinators, and the mentor themselves."""

    reader_roles = (COORDINATOR,)
    own_person_paths = ("person",)

    def licensor_condition(self, access, user):
        return self.visible_condition(access, user)


class MentorConflictQuerySet(TenantQuerySet):
    """People a mentor must not be matched with (a former partner, their own probation officer): told to the
    partner's coordinators, who make matches, and known to the mentor who declared them. Nobody else."""

    reader_roles = (COORDINATOR,)
    own_person_paths = ("mentor",)

    def licensor_condition(self, access, user):
        return self.visible_condition(access, user)


__all__ = [
    "ContactRecordQuerySet",
    "MatchGoalQuerySet",
    "MatchingTagQuerySet",
    "MentorConflictQuerySet",
    "MentorProfileQuerySet",
    "READER_ROLES",
]
