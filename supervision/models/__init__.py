"""Supervision models, one module per area: people (mentors, shadowing, matches) and sessions
(groups, supervision sessions, series, actions)."""

from supervision.models.incidents import *  # noqa: F403
from supervision.models.people import *  # noqa: F403
from supervision.models.sessions import *  # noqa: F403
