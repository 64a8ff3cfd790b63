"""Tenant scoping: the one mechanism every partner-owned model uses.

Reads start from ``Model.objects.visible_to(user)``; writes go through
``require_role(user, partner, roles)``. Both are computed from the user's
memberships, never from a thread-local or middleware state, so a caller that
forgets to pass a user gets nothing rather than everything.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

from core.errors import NotFound, NotPermitted

LICENSOR_ADMIN = "licensor_admin"
COORDINATOR = "coordinator"
TRAINER = "trainer"
SUPERVISOR = "supervisor"
MENTOR = "mentor"

_CACHE_ATTRIBUTE = "_tandem_access"


@dataclass(frozen=True)
class Access:
    """What one user may reach: licensor or not, and their roles per partner id."""

    is_licensor: bool = False
    roles_by_partner: dict = field(default_factory=dict)

    def partner_ids(self, roles=None):
        if roles is None:
            return list(self.roles_by_partner)
        wanted = set(roles)
        return [pid for pid, held in self.roles_by_partner.items() if held & wanted]

    def has_role(self, partner_id, roles):
        return bool(self.roles_by_partner.get(partner_id, frozenset()) & set(roles))

    def can_see_partner(self, partner_id):
        return self.is_licensor or partner_id in self.roles_by_partner


NO_ACCESS = Access()


def access_for(user):
    """The user's Access, computed with one query and kept on the user object.

    The API authenticates a fresh user object per request, so the cached value
    never outlives a request there; code that changes memberships of a user it
    is still holding calls ``forget_access``.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    membership_model = apps.get_model("franchise", "Membership")
    is_licensor = False
    roles = defaultdict(set)
    for partner_id, role in membership_model.objects.filter(user_id=user.pk).values_list("partner_id", "role"):
        if role == LICENSOR_ADMIN:
            is_licensor = True
        elif partner_id is not None:
            roles[partner_id].add(role)
    access = Access(is_licensor=is_licensor, roles_by_partner={pid: frozenset(r) for pid, r in roles.items()})
    setattr(user, _CACHE_ATTRIBUTE, access)
    return access


def forget_access(user):
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def is_licensor(user):
    return access_for(user).is_licensor


def can_write(user, partner, roles=(COORDINATOR,)):
    """May `user` write to `partner` in one of `roles`? Licensor admins may write anywhere.

    `partner` is a Partner, its id, or None for licensor-owned rows (licensor only).
    """
    access = access_for(user)
    if access.is_licensor:
        return True
    if partner is None:
        return False
    partner_id = getattr(partner, "pk", partner)
    return access.has_role(partner_id, roles)


def require_role(user, partner, roles=(COORDINATOR,), *, licensor=True, message=None):
    """Raise unless `user` holds one of `roles` in `partner` (or is a licensor admin, when `licensor`).

    A partner the user has no membership in at all answers NotFound (404), so
    that its existence is not disclosed; a visible partner where the user's role
    is not enough answers NotPermitted (403).
    """
    access = access_for(user)
    if licensor and access.is_licensor:
        return
    partner_id = getattr(partner, "pk", partner)
    if partner_id is None:
        raise NotPermitted(message or "Only the licensing organisation may do this.")
    if partner_id not in access.roles_by_partner and not access.is_licensor:
        # The code lets the API answer 403 where the caller reached this partner's object some other way.
        raise NotFound(code="partner_not_visible")
    if not access.has_role(partner_id, roles):
        raise NotPermitted(message or f"This needs the role of {' or '.join(r.replace('_', ' ') for r in roles)}.")


# Person.mentor_status of someone who has left the programme (supervision.models.MentorStatus.EXITED; spelt
# out here because core imports no domain app).
EXITED = "exited"


def own_person_q(access, user, path="person"):
    """A condition on the rows a user reaches through their own Person at `path` ("" on Person itself).

    Every "their own" visibility rule starts here: the person must belong to a
    partner where the user holds a current membership, and must not have exited
    the programme, so a removed or departed member stops seeing their sessions,
    actions, groups and records at once, with no row to delete.
    """
    if access is NO_ACCESS or user is None or user.pk is None:
        return models.Q(pk__in=[])
    prefix = f"{path}__" if path else ""
    # Said positively (a status other than exited, or none): a negated condition on a many-valued path (a
    # course's co-trainers) would mean "no one there has exited" instead of "this person has not".
    staying = [value for value in apps.get_model("supervision", "Person").Status.values if value != EXITED]
    return models.Q(**{f"{prefix}user_id": user.pk, f"{prefix}partner_id__in": access.partner_ids()}) & (
        models.Q(**{f"{prefix}mentor_status__in": staying}) | models.Q(**{f"{prefix}mentor_status__isnull": True})
    )


def own_user_q(access, user, user_field, partner_field="partner"):
    """A condition on rows that name the user themselves (`user_field`: a reporter, a recipient), for the
    same rule as own_person_q: only in partners where they hold a current membership and have not exited."""
    if access is NO_ACCESS or user is None or user.pk is None:
        return models.Q(pk__in=[])
    person_model = apps.get_model("supervision", "Person")
    exited = person_model.objects.filter(
        user_id=user.pk, partner_id=models.OuterRef(partner_field), mentor_status=EXITED
    )
    return models.Q(**{user_field: user.pk, f"{partner_field}__in": access.partner_ids()}) & ~models.Exists(exited)


def is_own_person(user, person):
    """Is `person` the user's own, by the rule of own_person_q (a current membership of the person's partner,
    not exited)? For the checks of services that act on one row already in hand."""
    if person is None or user is None or person.user_id is None or person.user_id != user.pk:
        return False
    return person.partner_id in access_for(user).roles_by_partner and person.mentor_status != EXITED


def feed_is_open(person):
    """May `person`'s secret calendar feed answer? Not once they have exited, nor once their login no longer
    holds a membership of their partner. A person without a login keeps their feed: a coordinator may have
    given the link to someone who never signs in."""
    if person.mentor_status == EXITED:
        return False
    return person.user_id is None or is_own_person(person.user, person)


def restrict(rows, user, condition, *, licensor_condition=None):
    """`rows` (a queryset) cut down to what `user` may see: nothing for an anonymous or inactive caller;
    for a licensor admin `licensor_condition(access, user)`, or every row when None; for anyone else
    `condition(access, user)`. A condition is a Q; an empty Q() means every row.

    TenantQuerySet.visible_to is built on this; a read that is no single model's visibility (the compliance
    rows) calls it directly, so that those callers are handled in this one place too.
    """
    access = access_for(user)
    if access is NO_ACCESS:
        return rows.none()
    if access.is_licensor:
        if licensor_condition is None:
            return rows.all()
        condition = licensor_condition
    found = condition(access, user)
    return rows.filter(found) if found else rows.all()


class TenantQuerySet(models.QuerySet):
    """Rows owned by a partner, and the one place that answers who sees them: ``visible_to(user)``.

    Anonymous and inactive users see nothing and licensor admins see every row, decided here once; a queryset
    states only what differs:

    - ``reader_roles``: the roles whose holders read the partner's rows (any role when None);
    - ``partner_field``: the path to the owning partner (``"pk"`` on Partner itself);
    - ``licensor_rows_public``: rows with no partner belong to the licensing organisation and are read by
      every signed-in user (baseline rules);
    - ``own_person_paths``: the user also reads the rows of their own Person at these paths (``""`` on Person
      itself), by the rule of own_person_q;
    - ``visible_with``: the path to the row this one belongs to (an incident's chronology, a session's
      attendance): visible exactly when that row is, for every caller, licensor included;
    - ``visible_condition(access, user)``: the condition for a member, when the attributes are not enough;
    - ``licensor_condition(access, user)``: for a model the licensor reads less of (incidents only once
      escalated, reminders addressed to the licensing organisation); every row by default.

    A condition is a Q; an empty Q() means every row.
    """

    partner_field = "partner"
    reader_roles = None
    licensor_rows_public = False
    own_person_paths = ()
    visible_with = None

    def visible_to(self, user):
        if self.visible_with is not None:
            return restrict(self, user, self._with_owner, licensor_condition=self._with_owner)
        return restrict(self, user, self.visible_condition, licensor_condition=self.licensor_condition)

    def visible_condition(self, access, user):
        condition = models.Q(**{f"{self.partner_field}__in": access.partner_ids(self.reader_roles)})
        if self.licensor_rows_public:
            condition |= models.Q(**{f"{self.partner_field}__isnull": True})
        for path in self.own_person_paths:
            condition |= own_person_q(access, user, path)
        return condition

    def licensor_condition(self, access, user):
        return models.Q()

    def _with_owner(self, access, user):
        owner = _model_at(self.model, self.visible_with)
        return models.Q(**{f"{self.visible_with}__in": owner.objects.visible_to(user).values("pk")})

    def annotate_visibility(self, user, name, condition):
        """Annotate `name`: does `condition(access, user)` (a Q on this queryset's rows) hold for `user`?
        False on every row for an anonymous or inactive caller. For what a row shows to some of those who see
        it (a session's notes), decided in the list's own query."""
        access = access_for(user)
        if access is NO_ACCESS:
            return self.annotate(**{name: models.Value(False, output_field=models.BooleanField())})
        return self.annotate(
            **{name: models.ExpressionWrapper(condition(access, user), output_field=models.BooleanField())}
        )


def _model_at(model, path):
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


class CoordinatorQuerySet(TenantQuerySet):
    reader_roles = (COORDINATOR,)
