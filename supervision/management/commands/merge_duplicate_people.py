"""List the people recorded twice (a Person on file and one made for the same address's login) and, with --apply,
merge the unambiguous ones."""

from django.core.management.base import BaseCommand

from supervision.people.duplicates import duplicate_people, merge_duplicates


class Command(BaseCommand):
    help = (
        "List people recorded twice in a partner: a person on file without a login and one with the same address "
        "that a login's first action created. A dry run by default; --apply merges, in one transaction, the pairs "
        "whose second person holds nothing but policy acknowledgements (the login and the acknowledgements move "
        "to the person on file). Ambiguous pairs are listed with the reason and left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Merge the unambiguous pairs (default: dry run).")

    def handle(self, *args, apply=False, **options):
        duplicates = duplicate_people()
        if not duplicates:
            self.stdout.write("No person is recorded twice.")
            return
        for duplicate in duplicates:
            where = f"{duplicate.partner.slug}, {duplicate.email}"
            if duplicate.mergeable:
                verb = "Merging" if apply else "Would merge"
                self.stdout.write(
                    f"{verb} {where}: {duplicate.made.pk} (login, acknowledgements) into {duplicate.kept.pk}"
                )
            else:
                self.stdout.write(f"Leaving {where}: " + " ".join(duplicate.reasons))
        mergeable = sum(duplicate.mergeable for duplicate in duplicates)
        if not apply:
            self.stdout.write(f"Dry run: {mergeable} of {len(duplicates)} would be merged; nothing was changed.")
            return
        merged = merge_duplicates(duplicates)
        self.stdout.write(self.style.SUCCESS(f"Merged {merged} of {len(duplicates)}."))
