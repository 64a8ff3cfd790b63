"""Bootstrap a deployment: make the first licensor admin (no one exists yet to invite them)."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from franchise import services
from franchise.models import User

PASSWORD_VARIABLE = "TANDEM_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a licensor admin, who works through the API (the Django admin is for operators: "
        f"createsuperuser). The password comes from {PASSWORD_VARIABLE}, or is asked for. An existing user "
        "keeps their password and gains the role, unless they hold a partner role (separation of duties)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="The person's name, for a new user.")

    def handle(self, *args, email, name, **options):
        exists = User.objects.filter(email__iexact=email.strip()).exists()
        password = None if exists else self._password()
        try:
            user, user_created, role_added = services.make_licensor_admin(email=email, password=password, name=name)
        except DomainError as exc:
            raise CommandError(exc.message)
        if user_created:
            self.stdout.write(self.style.SUCCESS(f"Created licensor admin {user.email}."))
        elif role_added:
            self.stdout.write(self.style.SUCCESS(f"{user.email} already had an account and is now a licensor admin."))
        else:
            self.stdout.write(f"{user.email} is already a licensor admin; nothing changed.")

    def _password(self):
        password = os.environ.get(PASSWORD_VARIABLE)
        if password:
            return password
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError(f"No password given: set {PASSWORD_VARIABLE} or type one when asked.")
        if not password:
            raise CommandError("The password may not be empty.")
        if password != again:
            raise CommandError("The two passwords differ.")
        return password
