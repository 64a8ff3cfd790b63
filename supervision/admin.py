"""Admin of supervision. Each sub-domain registers its models in its own admin module, imported here."""

from supervision.fidelity import admin as fidelity_admin  # noqa: F401
from supervision.incidents import admin as incidents_admin  # noqa: F401
from supervision.mentoring import admin as mentoring_admin  # noqa: F401
from supervision.people import admin as people_admin  # noqa: F401
from supervision.sessions import admin as sessions_admin  # noqa: F401
