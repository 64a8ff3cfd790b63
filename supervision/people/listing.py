"""The people list's filters, shared by the list page and its CSV export so both show the same people."""

from django.db.models import Q

__all__ = ["NOT_ON_PATHWAY", "people_matching"]

# The status filter's value for people with no mentor status (staff, learners).
NOT_ON_PATHWAY = "none"


def people_matching(people, *, q="", status="", trained=None, on_pathway=None):
    """`people` (a Person queryset annotated with `trained`, e.g. `.for_listing()`) narrowed by the list's filters:
    `q` part of the name or email, `status` a mentor status or NOT_ON_PATHWAY, `trained` and `on_pathway` True,
    False or None (either). Empty values filter nothing."""
    q = (q or "").strip()
    if q:
        people = people.filter(Q(name__icontains=q) | Q(email__icontains=q))
    if status == NOT_ON_PATHWAY:
        people = people.filter(mentor_status__isnull=True)
    elif status:
        people = people.filter(mentor_status=status)
    if trained is not None:
        people = people.filter(trained=trained)
    if on_pathway is not None:
        people = people.filter(mentor_status__isnull=not on_pathway)
    return people
