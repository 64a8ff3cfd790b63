from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every domain app shares: tenancy and the domain errors. No models, so no migrations."""

    name = "core"
    label = "core"
    verbose_name = "Core"
