"""People recorded twice: a Person on file without a login, and a second Person of the same partner and address
that a login's first action created before invitations linked logins to people on file.

The second one holds the login and, as a rule, nothing but the member's policy acknowledgements. Merging moves
the login and those acknowledgements to the person on file and deletes the second one. Anything else on the
second person (a course, shadowing, a session) or a second person on file with the address makes the pair
ambiguous: it is listed with the reason and left for a coordinator.
"""

from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from franchise.models import PolicyAcknowledgement
from supervision.people.models import Person

# What a person made on a login's first action carries besides the login: these move with the merge
# (acknowledgements) or only point at the person (an invitation naming it) and do not make it a record holder.
_CARRIED = {(PolicyAcknowledgement._meta.label, "person"), ("franchise.Invitation", "person")}


@dataclass
class Duplicate:
    """`kept` is the person on file (no login); `made` the one created for the login."""

    partner: object
    email: str
    made: Person
    kept: Person | None
    reasons: list = field(default_factory=list)

    @property
    def mergeable(self):
        return self.kept is not None and not self.reasons


def _record_relations():
    """Every relation that points at a Person, hidden ones (related_name="+") included, but the carried ones."""
    for relation in Person._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        if (relation.related_model._meta.label, relation.field.name) in _CARRIED:
            continue
        yield relation


def _holds_records(queryset):
    """Annotate `holds_records`: the person has any row of their own outside the carried relations."""
    condition = None
    for relation in _record_relations():
        exists = Exists(relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")}))
        condition = exists if condition is None else condition | exists
    return queryset.annotate(holds_records=models.ExpressionWrapper(condition, output_field=models.BooleanField()))


def duplicate_people(partner=None):
    """Every Person with a login that shares its partner and address (case-insensitive) with a Person without
    one, as Duplicates with the reasons a merge would be unsafe. A fixed number of queries."""
    people = Person.objects.exclude(email="").annotate(address=Lower("email"))
    if partner is not None:
        people = people.filter(partner=partner)
    unlinked = people.filter(user__isnull=True)
    made = _holds_records(
        people.filter(user__isnull=False).filter(
            Exists(unlinked.filter(partner=OuterRef("partner"), address=OuterRef("address")))
        )
    ).select_related("partner")
    made = list(made.order_by("partner__slug", "address", "created_at"))
    on_file = {}
    for person in unlinked.filter(
        partner__in={person.partner_id for person in made}, address__in={person.address for person in made}
    ).order_by("created_at"):
        on_file.setdefault((person.partner_id, person.address), []).append(person)
    duplicates = []
    for person in made:
        candidates = on_file.get((person.partner_id, person.address), [])
        reasons = []
        if person.holds_records:
            reasons.append(f"{person.name} (with the login) holds records of their own besides acknowledgements.")
        if len(candidates) > 1:
            reasons.append(f"{len(candidates)} people without a login are on file with this address.")
        duplicates.append(
            Duplicate(
                partner=person.partner,
                email=person.address,
                made=person,
                kept=candidates[0] if len(candidates) == 1 else None,
                reasons=reasons,
            )
        )
    return duplicates


@transaction.atomic
def merge_duplicates(duplicates):
    """Merge every mergeable duplicate in one transaction; returns how many were merged.

    Each pair is read again under lock and skipped if it changed since it was listed (the person on file got
    a login, the other got a record), so running it twice, or beside a request, merges nothing wrongly.
    """
    merged = 0
    for duplicate in duplicates:
        if not duplicate.mergeable:
            continue
        pair = {
            person.pk: person
            for person in Person.objects.select_for_update().filter(pk__in=[duplicate.made.pk, duplicate.kept.pk])
        }
        made, kept = pair.get(duplicate.made.pk), pair.get(duplicate.kept.pk)
        if made is None or kept is None or kept.user_id is not None or made.user_id is None:
            continue
        if _holds_records(Person.objects.filter(pk=made.pk)).values_list("holds_records", flat=True).get():
            continue
        acknowledgements = PolicyAcknowledgement.objects.filter(person=made)
        # A version the person on file acknowledged already (on signed paper, say) keeps that acknowledgement.
        acknowledgements.filter(
            policy_version__in=PolicyAcknowledgement.objects.filter(person=kept).values("policy_version")
        ).delete()
        acknowledgements.update(person=kept)
        user_id = made.user_id
        made.delete()
        kept.user_id = user_id
        kept.save(update_fields=["user", "updated_at"])
        merged += 1
    return merged
