"""The licensing organisation's console, under `/console/`: licensor admins only.

Anyone else gets a 404, as for another partner's page: the console's addresses tell nobody what is behind them.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from core.tenancy import access_for

# (key, label, URL name) of the console's areas, in the order of its navigation.
CONSOLE_AREAS = (
    ("partners", "Partners", "console-partners"),
    ("licences", "Licences", "console-licences"),
    ("fees", "Fees", "console-fees"),
    ("audits", "Audits", "console-audits"),
    ("policy", "Baseline policy", "console-policy"),
    ("programmes", "Programmes", "console-programmes"),
    ("accreditations", "Accreditations", "console-accreditations"),
    ("incidents", "Escalated incidents", "console-incidents"),
    ("figures", "Fidelity figures", "console-figures"),
)


def licensor_page(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access_for(request.user).is_licensor:
            raise Http404("No such page.")
        request.console = True
        return view(request, *args, **kwargs)

    wrapper.licensor_only = True
    return wrapper
