"""Import a partner's existing volunteers and staff from a CSV: `manage.py import_people FILE --partner SLUG`.

The same import as the web page's (supervision.people.imports): every row's problems printed, and either every
row written or none. The import is recorded as made by a coordinator of the partner (`--by`, else the partner's
longest-standing coordinator), whose role is checked as on the page.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from franchise.models import Membership, Partner, Role, User, normalise_email
from supervision.people.imports import ImportRefused, import_people, preview


class Command(BaseCommand):
    help = (
        "Import people from a CSV file (headers: Name, Email, Mentor status, Date prior learning was recognised, "
        "Background check date). Prints every row's problems and writes nothing while there are any; "
        "--dry-run writes nothing and says what would be imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8).")
        parser.add_argument("--partner", required=True, help="The partner's slug, as in its web address.")
        parser.add_argument("--by", help="Email of the coordinator the import is recorded as made by.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and write nothing.")

    def handle(self, *args, file, partner, by=None, dry_run=False, **options):
        slug, partner = partner, Partner.objects.filter(slug=partner).first()
        if partner is None:
            raise CommandError(f"No partner has the slug {slug!r}.")
        importer = self._importer(partner, by)
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.")
        try:
            if dry_run:
                result = preview(partner, content, by=importer)
                self._report(result)
                if not result.ok:
                    raise CommandError(f"Dry run: the file has {result.problem_count} problem(s); nothing written.")
                for row in result.rows:
                    self.stdout.write(f"Would import row {row.number}: {row.name} ({row.status_label}).")
                self.stdout.write(f"Dry run: {len(result.rows)} people would be imported; nothing was written.")
                return
            created = import_people(partner, content, by=importer)
        except ImportRefused as refused:
            self._report(refused.preview)
            raise CommandError(refused.message)
        except DomainError as error:
            raise CommandError(error.message)
        self.stdout.write(self.style.SUCCESS(f"Imported {len(created)} people into {partner.name}."))

    def _importer(self, partner, email):
        if email:
            user = User.objects.filter(email=normalise_email(email)).first()
            if user is None:
                raise CommandError(f"No user has the email {email}.")
            return user
        membership = (
            Membership.objects.filter(partner=partner, role=Role.COORDINATOR, user__is_active=True)
            .select_related("user")
            .order_by("created_at")
            .first()
        )
        if membership is None:
            raise CommandError(f"{partner.name} has no coordinator; name who imports with --by EMAIL.")
        return membership.user

    def _report(self, result):
        for problem in result.problems:
            self.stdout.write(f"File: {problem}")
        for row in result.rows_with_problems:
            for problem in row.problems:
                self.stdout.write(f"Row {row.number} ({row.name or 'no name'}): {problem}")
        if result.ignored_columns:
            self.stdout.write(f"Columns not read: {', '.join(result.ignored_columns)}.")
