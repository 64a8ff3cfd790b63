"""Admin of supervision. Each area registers its models in its own module, imported here."""

from supervision import admin_incidents, admin_people, admin_sessions  # noqa: F401
