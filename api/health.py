"""GET /healthz: is the database there, and does the broker answer.

A dead broker is reported, not fatal: requests write rows and beat catches up,
so the web process stays healthy without it.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

# The check's own deadline is settings.TANDEM_HEALTH_BROKER_TIMEOUT_MS, shorter than a load balancer's probe
# timeout. The broker's socket timeouts (CELERY_BROKER_TRANSPORT_OPTIONS) bound the probe itself; the deadline
# bounds the answer even where they would not (a DNS lookup, a transport without such options).

# A few long-lived threads: a hung broker then holds at most these, never one
# thread per health request.
_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz-broker")


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def _probe_broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0)
        conn.default_channel  # noqa: B018 - opening a channel proves the broker answers


def broker_ok():
    timeout = settings.TANDEM_HEALTH_BROKER_TIMEOUT_MS / 1000
    future = _probes.submit(_probe_broker)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        # A probe still queued behind hung ones is dropped rather than piling up.
        future.cancel()
        logger.warning("Health check: broker did not answer within %s s", timeout)
        return False
    except Exception as exc:
        logger.warning("Health check: broker unreachable: %s", exc)
        return False
    return True


@never_cache
@require_GET
def healthz(request):
    database = database_ok()
    body = {"database": "ok" if database else "unreachable", "broker": "ok" if broker_ok() else "unreachable"}
    return JsonResponse(body, status=200 if database else 503)
