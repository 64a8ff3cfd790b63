"""The main navigation of a partner's pages: which areas a member's roles open, in one place."""

from django.urls import NoReverseMatch, reverse

from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR, TRAINER

# (key, label, URL name, roles that see it). A link appears once its area's route exists.
AREAS = (
    ("people", "People", "people", (COORDINATOR, SUPERVISOR, TRAINER)),
    ("calendar", "Calendar", "calendar", (COORDINATOR, SUPERVISOR)),
    ("groups", "Peer groups", "groups", (COORDINATOR,)),
    ("courses", "Courses", "courses", (COORDINATOR, TRAINER)),
    ("toolkit", "Toolkit", "toolkit", (COORDINATOR,)),
    ("matching", "Matching", "matching", (COORDINATOR,)),
    ("incidents", "Incidents", "incidents", (COORDINATOR, SUPERVISOR, MENTOR)),
    ("trainers", "Trainers", "trainers", (COORDINATOR,)),
    ("accreditation", "Accreditation", "my-accreditation", (TRAINER,)),
    ("policy", "Policy", "policy", (COORDINATOR, SUPERVISOR, TRAINER, MENTOR)),
    ("audits", "Audits", "partner-audits", (COORDINATOR,)),
)


def links_for(here):
    links = []
    for key, label, url_name, roles in AREAS:
        if not here.has(*roles):
            continue
        try:
            url = reverse(url_name, args=[here.partner.slug])
        except NoReverseMatch:
            continue
        links.append({"key": key, "label": label, "url": url})
    return links


def console_links():
    from web.console.base import CONSOLE_AREAS

    return [{"key": key, "label": label, "url": reverse(url_name)} for key, label, url_name in CONSOLE_AREAS]


def context(request):
    """Template context processor: `here` (the partner of the page, if any) and its `nav_links`; on the
    licensor's console, the console's own areas."""
    here = getattr(request, "here", None)
    if getattr(request, "console", False):
        return {"here": None, "nav_links": [], "console_links": console_links()}
    return {"here": here, "nav_links": links_for(here) if here else []}
