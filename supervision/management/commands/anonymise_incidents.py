"""Anonymise closed boundary incidents kept longer than the licensor's retention period."""

from django.core.management.base import BaseCommand
from django.db.models import Count

from supervision.incidents.services import anonymise_incidents, due_for_anonymisation
from supervision.models import IncidentAccess, IncidentAction, IncidentDiscussion, IncidentTransition


class Command(BaseCommand):
    help = (
        "Anonymise closed boundary incidents older than the retention period (incident_retention_years, "
        "6 by default): descriptions replaced, people detached, figures kept. --dry-run prints what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        due = list(due_for_anonymisation())
        if not due:
            self.stdout.write("No closed incident is past its retention period.")
            return
        if dry_run:
            self._describe(due)
            self.stdout.write(f"Dry run: {len(due)} incident(s) would be anonymised; nothing was changed.")
            return
        count = anonymise_incidents([incident.pk for incident in due])
        self.stdout.write(self.style.SUCCESS(f"Anonymised {count} incident(s)."))

    def _describe(self, due):
        ids = [incident.pk for incident in due]
        related = {
            label: _counts(model, ids)
            for label, model in (
                ("transition note(s)", IncidentTransition),
                ("action(s)", IncidentAction),
                ("reflective note(s)", IncidentDiscussion),
                ("access-log entries", IncidentAccess),
            )
        }
        for incident in due:
            # Only what the statistics show anyway: no description, no person.
            parts = ", ".join(
                f"{counts[incident.pk]} {label}" for label, counts in related.items() if counts.get(incident.pk)
            )
            self.stdout.write(
                f"Would anonymise {incident.pk} ({incident.partner.slug}, {incident.category}, {incident.severity}, "
                f"closed {incident.closed_at.date().isoformat()}): description, immediate action, reporter, mentor, "
                f"match" + (f"; {parts}" if parts else "")
            )


def _counts(model, incident_ids):
    rows = model.objects.filter(incident__in=incident_ids).values("incident").annotate(n=Count("pk")).order_by()
    return {row["incident"]: row["n"] for row in rows}
