"""Anonymise closed boundary incidents kept longer than the licensor's retention period."""

from django.core.management.base import BaseCommand
from django.db.models import Count

from supervision.incidents.services import anonymise_incidents, due_for_anonymisation
from supervision.models import IncidentAccess, IncidentAction, IncidentDiscussion, IncidentTransition
from supervision.people.retention import anonymise_exited_people, exited_people_due_for_anonymisation


class Command(BaseCommand):
    help = (
        "Anonymise closed boundary incidents older than the retention period (incident_retention_years, "
        "6 by default): descriptions replaced, people detached, figures kept; and the notes about people who "
        "exited longer ago than that period (1:1 session notes, actions, pathway reasons, shadowing notes). "
        "Beat runs the same daily (supervision.tasks.anonymise_past_retention). --dry-run prints what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        self._incidents(dry_run)
        self._people(dry_run)

    def _incidents(self, dry_run):
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

    def _people(self, dry_run):
        due = list(exited_people_due_for_anonymisation())
        if not due:
            self.stdout.write("No one who left is past the retention period with records still to anonymise.")
            return
        if dry_run:
            for person in due:
                # The id and the dates only: the dry run's output is itself kept in logs.
                self.stdout.write(
                    f"Would anonymise the records of {person.pk} ({person.partner.slug}, exited "
                    f"{person.exited_at.date().isoformat()}): 1:1 session notes and comments, their actions, "
                    "incident discussions in their sessions, pathway reasons, shadowing notes"
                )
            self.stdout.write(
                f"Dry run: the records of {len(due)} person(s) who left would be anonymised; nothing was changed."
            )
            return
        count = anonymise_exited_people([person.pk for person in due])
        self.stdout.write(self.style.SUCCESS(f"Anonymised the records of {count} person(s) who left."))

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
