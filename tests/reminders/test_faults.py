"""Fault tests: real Redis, real Celery workers, real PostgreSQL; every reminder goes out exactly once.

Each test starts its workers on loopback (their log files are printed when a
wait runs out), consumes from a queue of its own on TANDEM_TEST_REDIS_URL (or
on a redis-server it starts itself, when Redis is to be stopped), and counts
the messages the workers' file email backend wrote, by the reminder id each
carries in its X-Tandem-Reminder header.
"""

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import redis
from celery import Celery
from django.utils import timezone

from reminders.models import Reminder
from tests.conftest import redis_url
from tests.franchise.factories import LicenceFactory
from tests.reminders.backends import IN_FLIGHT
from tests.reminders.factories import ReminderFactory
from tests.reminders.workers import (
    BIN,
    Process,
    RedisServer,
    celery_worker,
    free_port,
    sent_ids,
    start_worker,
    wait_until,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

DISPATCH = "reminders.tasks.dispatch_reminders"


class Broker:
    """A queue of this test's own on a real Redis, and a Celery client that publishes to it."""

    def __init__(self, url):
        self.url = url
        self.queue = f"tandem-faults-{uuid.uuid4().hex[:10]}"
        self.client = Celery("tandem-faults", broker=url)
        self.client.conf.update(broker_connection_retry_on_startup=True, task_serializer="json")

    def publish(self, name, *, task_id=None, **kwargs):
        return self.client.send_task(name, kwargs=kwargs, queue=self.queue, task_id=task_id)

    def close(self):
        self.client.close()
        # Leave the shared Redis database as it was found: this queue, and any message a
        # killed worker left unacknowledged (it would come back in an hour to a queue nobody reads).
        server = redis.Redis.from_url(self.url)
        try:
            server.delete(self.queue)
            for tag, payload in server.hgetall("unacked").items():
                if self.queue.encode() in payload:
                    server.hdel("unacked", tag)
                    server.zrem("unacked_index", tag)
        finally:
            server.close()


@pytest.fixture
def broker():
    broker = Broker(redis_url())
    yield broker
    broker.close()


@pytest.fixture
def processes():
    """Every process a test starts; all are stopped at its end, whatever happened."""
    started = []
    yield started
    for process in reversed(started):
        process.stop()


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


def _due_reminders(count):
    today = timezone.localdate()
    licence = LicenceFactory(starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=12))
    return [
        str(reminder.pk)
        for reminder in ReminderFactory.create_batch(count, partner=licence.partner, subject=licence, by_email=True)
    ]


def _every_reminder_sent(ids):
    return not Reminder.objects.filter(pk__in=ids).exclude(status=Reminder.Status.SENT).exists()


def _logs(*workers):
    return "\n".join(f"===== {w.name} =====\n{w.log()[-6000:]}" for w in workers)


def _drain(broker, ids, workers, timeout, *, every=1.0):
    """Publish a dispatch every `every` seconds, as beat does, until every reminder is sent."""
    last = 0.0

    def done():
        nonlocal last
        if _every_reminder_sent(ids):
            return True
        if time.monotonic() - last >= every:
            broker.publish(DISPATCH)
            last = time.monotonic()
        return False

    wait_until(done, timeout, interval=0.2, what="every reminder sent", on_timeout=lambda: _logs(*workers))


def _assert_each_sent_once(ids, mail_dir):
    counts = sent_ids(mail_dir)
    assert set(counts) == set(ids), f"missing {set(ids) - set(counts)}, unexpected {set(counts) - set(ids)}"
    duplicates = {pk: n for pk, n in counts.items() if n != 1}
    assert not duplicates, f"sent more than once: {duplicates}"
    assert Reminder.objects.filter(pk__in=ids, status=Reminder.Status.SENT, attempts=1).count() == len(ids)


# --- (a) a worker killed in the middle of sending ---------------------------------


def test_a_worker_killed_in_the_middle_of_sending_leaves_each_reminder_sent_exactly_once(
    transactional_db, broker, processes, mail_dir, tmp_path
):
    ids = _due_reminders(6)
    lease = 10
    env = worker_env(broker_url=broker.url, mail_dir=mail_dir, var_dir=tmp_path, TANDEM_REMINDER_LEASE_SECONDS=lease)
    first = celery_worker("first", queue=broker.queue, env={**env, "TANDEM_TEST_SEND_SECONDS": "1"}, log_dir=tmp_path)
    processes.append(start_worker(first))

    broker.publish(DISPATCH)
    in_flight = mail_dir / IN_FLIGHT
    wait_until(
        lambda: len(sent_ids(mail_dir)) >= 2 and in_flight.exists(),
        30,
        what="two messages written and a third being sent",
        on_timeout=lambda: _logs(first),
    )
    interrupted = in_flight.read_text()
    first.kill()

    sent_before = sent_ids(mail_dir)
    assert interrupted not in sent_before
    assert Reminder.objects.get(pk=interrupted).status == Reminder.Status.PENDING
    # The dead pass still holds what it did not send, until its lease runs out.
    assert Reminder.objects.filter(pk__in=ids, claimed_by__isnull=False).count() == len(ids) - len(sent_before)

    second = celery_worker("second", queue=broker.queue, env=env, log_dir=tmp_path)
    processes.append(start_worker(second))
    _drain(broker, ids, [first, second], timeout=lease + 40)

    _assert_each_sent_once(ids, mail_dir)


def test_a_pool_process_killed_while_sending_has_its_task_redelivered_and_sends_each_reminder_once(
    transactional_db, broker, processes, mail_dir, tmp_path
):
    ids = _due_reminders(5)
    lease = 10
    env = worker_env(
        broker_url=broker.url,
        mail_dir=mail_dir,
        var_dir=tmp_path,
        TANDEM_REMINDER_LEASE_SECONDS=lease,
        TANDEM_TEST_SEND_SECONDS="0.5",
    )
    worker = celery_worker("pool", queue=broker.queue, env=env, log_dir=tmp_path)
    processes.append(start_worker(worker))

    broker.publish(DISPATCH)
    in_flight = mail_dir / IN_FLIGHT
    wait_until(
        lambda: len(sent_ids(mail_dir)) >= 1 and in_flight.exists(),
        30,
        what="a message being sent",
        on_timeout=lambda: _logs(worker),
    )
    for child in worker.children():
        os.kill(child, signal.SIGKILL)

    # reject_on_worker_lost: the lost task goes back to the queue and a new pool process runs it.
    wait_until(
        lambda: "exited prematurely" in worker.log(), 20, what="the worker noticing", on_timeout=lambda: _logs(worker)
    )
    wait_until(
        lambda: worker.log().count("succeeded in") >= 1,
        30,
        what="the redelivered task running",
        on_timeout=lambda: _logs(worker),
    )
    _drain(broker, ids, [worker], timeout=lease + 40)

    _assert_each_sent_once(ids, mail_dir)
    assert worker.alive()


# --- (b) the dispatcher task delivered twice ---------------------------------------


def test_a_dispatch_task_delivered_twice_sends_each_reminder_once(
    transactional_db, broker, processes, mail_dir, tmp_path
):
    ids = _due_reminders(20)
    env = worker_env(broker_url=broker.url, mail_dir=mail_dir, var_dir=tmp_path, TANDEM_TEST_SEND_SECONDS="0.05")
    worker = celery_worker("twice", queue=broker.queue, concurrency=2, env=env, log_dir=tmp_path)
    processes.append(start_worker(worker))

    task_id = str(uuid.uuid4())
    broker.publish(DISPATCH, task_id=task_id)
    broker.publish(DISPATCH, task_id=task_id)
    wait_until(
        lambda: worker.log().count(f"[{task_id}] succeeded") == 2,
        60,
        what="both deliveries run",
        on_timeout=lambda: _logs(worker),
    )

    assert _every_reminder_sent(ids)
    _assert_each_sent_once(ids, mail_dir)

    # And once more, long after: a late redelivery finds nothing to do.
    broker.publish(DISPATCH, task_id=task_id)
    wait_until(lambda: worker.log().count(f"[{task_id}] succeeded") == 3, 30, on_timeout=lambda: _logs(worker))
    _assert_each_sent_once(ids, mail_dir)


# --- (d) two dispatchers at once on PostgreSQL -------------------------------------


def _many_due_reminders(count):
    today = timezone.localdate()
    licence = LicenceFactory(starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=12))
    rows = ReminderFactory.build_batch(count, partner=licence.partner, subject=licence, by_email=True)
    Reminder.objects.bulk_create(rows)
    return [str(row.pk) for row in rows]


def test_two_dispatchers_in_one_process_never_send_the_same_reminder(transactional_db, settings):
    from django.core import mail
    from django.db import connection as default_connection

    from reminders import dispatcher

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = _many_due_reminders(400)
    mail.outbox = []
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(dispatcher.dispatch(batch_size=25))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            default_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert all(result.sent > 0 for result in results), "the two passes did not both send: no concurrency tested"
    assert sum(result.sent for result in results) == len(ids)
    sent = Counter(message.extra_headers["X-Tandem-Reminder"] for message in mail.outbox)
    assert set(sent) == set(ids) and set(sent.values()) == {1}


def test_two_workers_dispatching_at_once_send_each_reminder_once(transactional_db, broker, processes, tmp_path):
    ids = _many_due_reminders(600)
    workers = []
    for name in ("left", "right"):
        env = worker_env(
            broker_url=broker.url, mail_dir=tmp_path / name, var_dir=tmp_path, TANDEM_TEST_SEND_SECONDS="0.005"
        )
        workers.append(celery_worker(name, queue=broker.queue, concurrency=2, env=env, log_dir=tmp_path))
    for worker in workers:
        processes.append(start_worker(worker))

    for _ in range(4):
        broker.publish(DISPATCH)
    _drain(broker, ids, workers, timeout=90, every=5.0)

    per_worker = [sent_ids(tmp_path / worker.name) for worker in workers]
    assert all(per_worker), "one worker sent nothing: the dispatchers did not run at once"
    _assert_each_sent_once(ids, tmp_path)


# --- (c) Redis stopped while the API schedules sessions ----------------------------


def _http(method, url, token, body=None, timeout=30):
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "127.0.0.1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_writes_succeed_while_redis_is_down_and_every_reminder_goes_out_once_it_is_back(
    transactional_db, processes, mail_dir, tmp_path, partner, coordinator, licensor
):
    from franchise.tokens import issue_token
    from tests.franchise.factories import BoundaryRuleFactory
    from tests.supervision.factories import PersonFactory

    supervisor = PersonFactory(partner=partner, staff=True, staff_role="supervisor", email="sup@example.org")
    mentor = PersonFactory(partner=partner, active_mentor=True, email="mentor.person@example.org")
    rule = BoundaryRuleFactory(partner=partner)
    _token, token = issue_token(coordinator)

    redis_server = RedisServer(free_port(), tmp_path)
    processes.append(redis_server.start())
    env = worker_env(
        broker_url=redis_server.url,
        mail_dir=mail_dir,
        var_dir=tmp_path,
        TANDEM_REMINDER_PLAN_SECONDS=1,
        TANDEM_REMINDER_DISPATCH_SECONDS=1,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT=0,
    )
    # Supervised like the compose service: kombu's Redis transport can make a worker exit when the
    # broker vanishes while a task is in flight ("Unrecoverable error" restoring unacked messages);
    # the container runtime starts it again, and nothing may be lost either way.
    worker = celery_worker("beat-worker", beat=True, concurrency=2, restart=True, env=env, log_dir=tmp_path)
    port = free_port()
    web = Process(
        "web",
        [str(BIN / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"],
        env=env,
        log_path=tmp_path / "web.log",
    )
    processes.extend([start_worker(worker), web.start()])
    base = f"http://127.0.0.1:{port}/api/v1"
    wait_until(lambda: _up(f"{base}/me/", token), 30, what="the web server", on_timeout=web.log)

    redis_server.stop()
    assert not redis_server.answers()

    statuses, slowest = [], 0.0
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    for n in range(6):
        began = time.monotonic()
        status, body = _http(
            "POST",
            f"{base}/supervision-sessions/",
            token,
            {
                "partner": str(partner.pk),
                "kind": "one_to_one",
                "supervisor": str(supervisor.pk),
                "supervisee": str(mentor.pk),
                "starts_at": (start + timedelta(hours=2 * n)).isoformat(),
                "ends_at": (start + timedelta(hours=2 * n + 1)).isoformat(),
                "location": "Room 2",
            },
        )
        statuses.append((status, body[:200]))
        slowest = max(slowest, time.monotonic() - began)
    began = time.monotonic()
    status, body = _http(
        "POST",
        f"{base}/incidents/",
        token,
        {
            "mentor": str(mentor.pk),
            "rule": str(rule.pk),
            "severity": "critical",
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "description": "Met the mentee alone at home against the agreed plan.",
        },
    )
    statuses.append((status, body[:200]))
    slowest = max(slowest, time.monotonic() - began)

    assert [s for s, _ in statuses] == [201] * 7, statuses
    # A publish to a broker that is down costs at most its socket timeouts (2 s here), never a failed write.
    assert slowest < 10, f"a write took {slowest:.1f} s with the broker down"
    assert "Could not publish a reminders sweep" in web.log()
    critical = list(Reminder.objects.filter(kind="incident_critical").values_list("pk", flat=True))
    assert len(critical) == 2  # planned at once, in the database, while nothing could be published

    redis_server.start()
    expected = None

    def every_reminder_sent():
        nonlocal expected
        due = Reminder.objects.filter(kind__in=["session_upcoming", "incident_critical"])
        expected = {str(pk) for pk in due.values_list("pk", flat=True)}
        return len(expected) == 6 * 2 + 2 and not due.exclude(status=Reminder.Status.SENT).exists()

    wait_until(every_reminder_sent, 90, interval=0.5, what="every reminder sent", on_timeout=lambda: _logs(worker))
    counts = sent_ids(mail_dir)
    assert set(counts) == expected and set(counts.values()) == {1}


def _up(url, token):
    try:
        return _http("GET", url, token, timeout=2)[0] == 200
    except OSError:
        return False
