"""Training sweeps run by Celery beat: thin and idempotent, the work is in services."""

import logging

from celery import shared_task

from training import services

logger = logging.getLogger(__name__)


@shared_task(name="training.tasks.lapse_accreditations")
def lapse_accreditations():
    """Lapse active accreditations past their expiry date. Running it twice lapses nothing twice."""
    lapsed = services.lapse_accreditations()
    if lapsed:
        logger.info("Lapsed %d trainer accreditation(s) past their expiry date", lapsed)
    return lapsed
