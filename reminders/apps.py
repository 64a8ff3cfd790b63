from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self):
        # Every kind registers its planner and its content on import.
        from reminders import kinds
        from supervision.incidents.signals import incident_reported

        incident_reported.connect(
            kinds.incidents.notify_critical_incident, dispatch_uid="reminders.notify_critical_incident"
        )
