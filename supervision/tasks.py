"""Supervision sweeps run by Celery beat: thin and idempotent, the work is in services."""

import logging

from celery import shared_task

from supervision.fidelity.scorecard import take_snapshots
from supervision.incidents.services import anonymise_incidents, due_for_anonymisation
from supervision.people.retention import anonymise_exited_people, exited_people_due_for_anonymisation

logger = logging.getLogger(__name__)


@shared_task(name="supervision.tasks.anonymise_past_retention")
def anonymise_past_retention():
    """Anonymise closed incidents, and the records of people who left, kept longer than the retention period.

    Reads what is due from the database each run; running it twice anonymises nothing twice. Returns the counts.
    """
    incidents = anonymise_incidents(due_for_anonymisation().values_list("pk", flat=True))
    people = anonymise_exited_people(exited_people_due_for_anonymisation().values_list("pk", flat=True))
    if incidents or people:
        logger.info("Anonymised %d incident(s) and the records of %d person(s) who left", incidents, people)
    return {"incidents": incidents, "people": people}


@shared_task(name="supervision.tasks.take_score_snapshots")
def take_score_snapshots():
    """Store today's score of every partner, for the scorecard's trend. Running it twice on a day stores
    nothing twice."""
    taken = take_snapshots()
    if taken:
        logger.info("Stored %d partner score snapshot(s)", taken)
    return taken
