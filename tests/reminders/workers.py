"""Real processes for the fault tests: Celery workers, a Redis server of the test's own, a web server.

Every process is started on loopback by the test that needs it, in a process
group of its own (so a SIGKILL takes the pool's children too, as when a
container dies), logs to a file under the test's tmp_path, and is stopped at
the end with bounded waits.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HEADER = re.compile(rb"^X-Tandem-Reminder: ([0-9a-f-]{36})\r?$", re.MULTILINE)


def wait_until(predicate, timeout, *, interval=0.1, what="the condition", on_timeout=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    details = on_timeout() if on_timeout else ""
    raise AssertionError(f"{what} did not happen within {timeout} s\n{details}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url():
    """The database this test uses (pytest-django's test database), for processes outside pytest."""
    settings = connection.settings_dict
    assert connection.vendor == "postgresql", "worker processes need a database they can share: PostgreSQL"
    credentials = quote(settings["USER"] or "postgres")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"])
    return f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def sent_ids(mail_dir):
    """How often each reminder id was written by the file email backend(s) under `mail_dir`."""
    counts = Counter()
    for path in Path(mail_dir).rglob("*.log"):
        counts.update(match.decode() for match in HEADER.findall(path.read_bytes()))
    return counts


class Process:
    """A child process in its own process group, logging to a file."""

    def __init__(self, name, args, *, env, log_path):
        self.name = name
        self.args = args
        self.env = env
        self.log_path = Path(log_path)
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own command line
                self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL the whole process group: the machine or container died."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout=15):
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def children(self):
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def worker_env(*, broker_url, mail_dir, var_dir, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_SOCKET_TIMEOUT="2",
        CELERY_BROKER_CONNECTION_TIMEOUT="2",
        EMAIL_BACKEND="tests.reminders.backends.SlowFileBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        TANDEM_VAR_DIR=str(var_dir),
        TANDEM_SITE_URL="https://tandem.test",
        DATABASE_CONN_MAX_AGE="0",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


# What `restart: unless-stopped` does for the worker container in docker-compose.yml.
RESTART_LOOP = 'while true; do "$@"; echo "supervisor: worker exited with status $?, restarting"; sleep 1; done'


def celery_worker(name, *, queue=None, concurrency=1, beat=False, restart=False, env, log_dir):
    """A Celery worker process; with `restart`, kept running by a loop as the container runtime keeps it."""
    args = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-n",
        f"{name}-{uuid.uuid4().hex[:6]}@%h",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    if queue:
        args += ["-Q", queue]
    if beat:
        args += ["-B", "-s", str(Path(log_dir) / f"{name}-beat-schedule")]
    if restart:
        args = ["bash", "-c", RESTART_LOOP, "supervisor", *args]
    return Process(name, args, env=env, log_path=Path(log_dir) / f"{name}.log")


def start_worker(worker, timeout=60):
    worker.start()
    wait_until(
        lambda: " ready." in worker.log() or not worker.alive(),
        timeout,
        what=f"worker {worker.name} start-up",
        on_timeout=worker.log,
    )
    assert worker.alive(), worker.log()
    return worker


class RedisServer(Process):
    """A redis-server of the test's own on a loopback port: it can be stopped and started at will."""

    def __init__(self, port, directory):
        super().__init__(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            env=dict(os.environ),
            log_path=Path(directory) / "redis.log",
        )
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        super().start()
        wait_until(self.answers, 20, what="redis-server start-up", on_timeout=self.log)
        return self

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
