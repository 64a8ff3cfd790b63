"""Reminder sweeps run by Celery: thin, idempotent, each a function of database state.

A message carries no reminder: every task re-reads the ledger, so a task
delivered twice, or again after its worker died (acks_late with
reject_on_worker_lost), plans and sends nothing twice. The hard time limit
is below the dispatcher's lease (TANDEM_REMINDER_LEASE_SECONDS), so a killed
task's claims run out only after the task is certainly gone.
"""

import logging

from celery import shared_task

from reminders import dispatcher, planner

logger = logging.getLogger(__name__)

_SWEEP = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 240, "time_limit": 270}


@shared_task(name="reminders.tasks.plan_reminders", **_SWEEP)
def plan_reminders(dispatch=False):
    """Plan the reminders found by the sweep (sessions, overdue supervision, reviews …); then send, if asked."""
    counts = planner.plan(daily=False)
    if any(counts.values()):
        logger.info("Reminders planned: %s", {kind: n for kind, n in counts.items() if n})
    if dispatch:
        dispatcher.dispatch()
    return counts


@shared_task(name="reminders.tasks.plan_expiry_reminders", **_SWEEP)
def plan_expiry_reminders():
    """Plan the daily kinds: licences and accreditations expiring in 90, 30 and 7 days."""
    counts = planner.plan(daily=True)
    if any(counts.values()):
        logger.info("Expiry reminders planned: %s", {kind: n for kind, n in counts.items() if n})
    return counts


@shared_task(name="reminders.tasks.dispatch_reminders", **_SWEEP)
def dispatch_reminders():
    """Send the reminders that are due."""
    return dispatcher.dispatch().as_dict()
