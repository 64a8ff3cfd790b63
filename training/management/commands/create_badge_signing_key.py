"""`python manage.py create_badge_signing_key`: the Ed25519 key that signs certificates as Open Badges."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training import badges


class Command(BaseCommand):
    help = (
        "Write a new Ed25519 signing key for Open Badges to TANDEM_BADGE_SIGNING_KEY_FILE (or --path). Refuses to "
        "replace an existing key: credentials already issued would no longer verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Where to write the key (default: TANDEM_BADGE_SIGNING_KEY_FILE).")

    def handle(self, *args, path=None, **options):
        if settings.TANDEM_BADGE_SIGNING_KEY and not path:
            raise CommandError("TANDEM_BADGE_SIGNING_KEY is set: that key signs, and no file is needed.")
        try:
            written = badges.create_signing_key(path)
        except FileExistsError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Wrote a new signing key to {written} (readable by its owner only). Keep it secret and back it up."
        )
