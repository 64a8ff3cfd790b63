"""`/`: where a signed-in person starts; `/<partner>/`: their home in one partner, by the roles they hold."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from core.tenancy import COORDINATOR, MENTOR, SUPERVISOR, TRAINER, access_for
from web import navigation, partners, today
from web.partners import partner_page


@login_required
def home(request):
    """One place to be: straight there (a partner's home, or for a licensor admin the console's overview of the
    partners). Several: pick one (each link can be bookmarked)."""
    memberships = partners.member_partners(request.user)
    is_licensor = access_for(request.user).is_licensor
    if len(memberships) == 1 and not is_licensor:
        return redirect("partner-home", memberships[0].partner.slug)
    if is_licensor and not memberships:
        return redirect("console-partners")
    return render(
        request,
        "web/home/choose.html",
        {
            "memberships": memberships,
            "console_areas": navigation.console_links() if is_licensor else [],
        },
    )


# Each role's part of a partner's home ("what needs me today"), in this order; a member holding several roles
# sees each part in turn. Each module's context(request, here) gathers its figures with a fixed number of queries.
PARTS = (
    (COORDINATOR, today.coordinator),
    (SUPERVISOR, today.supervisor),
    (TRAINER, today.trainer),
    (MENTOR, today.mentor),
)


@partner_page()
def partner_home(request, here):
    return render_home(request, here)


def render_home(request, here, *, problem=None, status=200):
    """The partner's home; `problem` ({"title", "messages"}) is a refusal of something asked from it (joining a
    peer group), shown above the parts with the status of the refusal."""
    parts = [
        {"role": role, "template": f"web/today/{role}.html", **module.context(request, here)}
        for role, module in PARTS
        if role in here.roles
    ]
    return render(request, "web/home/partner.html", {"parts": parts, "nav": "home", "problem": problem}, status=status)
