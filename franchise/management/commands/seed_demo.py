"""Load the demo world: each domain app contributes one step, run in dependency order."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from franchise.models import Partner

# Each module has seed(world) -> None; `world` is a dict that earlier steps fill
# (partners, users, programme, ...) and later steps read.
DEMO_STEPS = [
    "franchise.demo",
    "training.demo",
    "supervision.people.demo",
    "supervision.sessions.demo",
    "supervision.incidents.demo",
    "supervision.mentoring.demo",
    "supervision.fidelity.demo",
    "reminders.demo",
    "supervision.fidelity.scorecard_demo",
]


class Command(BaseCommand):
    help = "Load demo data (a licensor, partners, people and their records). Does nothing if partners exist."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Only seed when the database has no partner yet.")

    def handle(self, *args, if_empty=False, **options):
        if Partner.objects.exists():
            message = "Demo data not loaded: the database already holds partners."
            if if_empty:
                self.stdout.write(message)
                return
            self.stderr.write(message)
            return
        world = {"accounts": []}
        with transaction.atomic():
            for step in DEMO_STEPS:
                importlib.import_module(step).seed(world)
        password = world["password"]
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded. Accounts (password for all: {password}):"))
        for email, description in world["accounts"]:
            self.stdout.write(f"  {email:<34} {description}")
