"""The supervision app's models, for Django: each sub-domain declares its own (supervision/<sub-domain>/models.py)
and they are re-exported here, under the one app label "supervision"."""

from supervision.fidelity.models import *  # noqa: F403
from supervision.incidents.models import *  # noqa: F403
from supervision.mentoring.models import *  # noqa: F403
from supervision.people.models import *  # noqa: F403
from supervision.sessions.models import *  # noqa: F403
