"""One planner pass and one dispatcher pass in the foreground: what beat runs every few minutes."""

from django.core.management.base import BaseCommand

from reminders import dispatcher, planner


class Command(BaseCommand):
    help = "Plan every kind of reminder once, then send the reminders that are due, and print the counts."

    def handle(self, *args, **options):
        counts = planner.plan()
        for kind, inserted in sorted(counts.items()):
            self.stdout.write(f"planned {kind}: {inserted}")
        result = dispatcher.dispatch()
        self.stdout.write(
            "dispatched: sent {sent}, retried {retried}, failed {failed}, cancelled {cancelled}".format(
                **result.as_dict()
            )
        )
