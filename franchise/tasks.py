"""Franchise sweeps run by Celery beat: thin and idempotent, the work is in services."""

import logging

from celery import shared_task

from franchise import services

logger = logging.getLogger(__name__)


@shared_task(name="franchise.tasks.expire_licences")
def expire_licences():
    """Expire active licences past their end date. Running it twice expires nothing twice."""
    expired = services.expire_licences()
    if expired:
        logger.info("Expired %d licence(s) past their end date", expired)
    return expired


@shared_task(name="franchise.tasks.mark_overdue_fees")
def mark_overdue_fees():
    """Licence fees past their due date and unpaid become overdue. Running it twice changes nothing twice."""
    marked = services.mark_overdue_fees()
    if marked:
        logger.info("Marked %d licence fee(s) overdue", marked)
    return marked
