from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "Supervision"

    def ready(self):
        # Sub-domains register what they anonymise of people who left when their services load.
        from supervision.mentoring import services  # noqa: F401
