import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_CHECK_TIMEOUT_SECONDS = 2


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def broker_ok():
    # A dead broker is reported, not fatal: requests write rows and beat catches up.
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_CHECK_TIMEOUT_SECONDS)
            conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
        return True
    except Exception as exc:
        logger.warning("Health check: broker unreachable: %s", exc)
        return False


@never_cache
@require_GET
def healthz(request):
    database = database_ok()
    body = {"database": "ok" if database else "unreachable", "broker": "ok" if broker_ok() else "unreachable"}
    return JsonResponse(body, status=200 if database else 503)
