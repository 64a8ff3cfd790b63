"""Named rules of mentoring: single-row decisions that write nothing."""

from core.tenancy import COORDINATOR, access_for, is_own_person

__all__ = ["may_agree_goals", "may_record_contacts", "reads_mentoring_text"]


def reads_mentoring_text(user, partner_id):
    """Does `user` read what a partner's matches say in words (goals, outcome notes)? Anyone holding a role there
    who sees the match; not the licensor as such, who monitors by figures (DESIGN.md: never a mentee's story)."""
    return partner_id in access_for(user).roles_by_partner


def may_record_contacts(user, match):
    """The match's own mentor, and only while the match is under way or ended (a proposed one has no contacts)."""
    return match.status in ("active", "ended") and is_own_person(user, match.mentor)


def may_agree_goals(user, match):
    """The match's mentor or a coordinator of its partner, while the match is active."""
    if match.status != "active":
        return False
    return is_own_person(user, match.mentor) or access_for(user).has_role(match.partner_id, (COORDINATOR,))
