"""Demo data for reminders: plan what the demo world is due (the expiring licence, sessions coming up,
the overdue mentor, incidents awaiting review) so that `make run` shows messages in var/mail/ as soon
as the worker starts, instead of at beat's first sweep."""

from reminders import planner, services


def seed(world):
    counts = planner.plan()
    world["reminders_planned"] = sum(counts.values())
    # The worker takes this sweep from the broker as it starts and sends what is due.
    services.kick()
