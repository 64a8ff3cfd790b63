"""GET /healthz: the database must answer; a broker that does not is reported, quickly, never fatal."""

import runpy
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from api import health
from config.celery import app as celery_app
from tests.conftest import redis_url

# What "quickly" means here: a load balancer gives up on a probe after ~10 s.
QUICKLY = 5


def _settings_for(monkeypatch, broker_url, **environment):
    """Run config/settings.py as production would with CELERY_BROKER_URL=broker_url."""
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "settings.py"))


@pytest.fixture
def broker_at(monkeypatch):
    """Point the Celery app at a broker, with the transport options the settings give that URL."""

    def point(url, **environment):
        computed = _settings_for(monkeypatch, url, **environment)
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(celery_app.conf, "broker_transport_options", computed["CELERY_BROKER_TRANSPORT_OPTIONS"])
        return computed

    return point


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def closed_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _timed_health(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


def test_health_with_the_embedded_broker_is_ok(client, db, broker_at, tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_VAR_DIR", str(tmp_path))
    broker_at("filesystem://")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_broker_that_never_answers_is_unreachable_and_health_answers_quickly(
    client, db, broker_at, silent_server, monkeypatch
):
    # A shorter deadline than production's 2 s, so the suite does not wait it out; it is still what answers.
    monkeypatch.setattr(health, "BROKER_CHECK_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(health.broker_ok, "__defaults__", (health.BROKER_CHECK_TIMEOUT_SECONDS,))
    port, accepted = silent_server
    options = broker_at(f"redis://127.0.0.1:{port}/0")["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["socket_timeout"] > health.BROKER_CHECK_TIMEOUT_SECONDS  # the check's own deadline is what answers

    response, elapsed = _timed_health(client)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unreachable"}
    assert elapsed < QUICKLY
    assert accepted, "the probe never reached the silent server"


def test_the_settings_alone_bound_a_broker_call_to_a_silent_server(db, broker_at, silent_server):
    # Without the health check's deadline: the production transport options must still end the wait.
    port, _ = silent_server
    options = broker_at(f"redis://127.0.0.1:{port}/0", CELERY_BROKER_SOCKET_TIMEOUT="1")[
        "CELERY_BROKER_TRANSPORT_OPTIONS"
    ]
    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (1, 1)

    started = time.monotonic()
    with pytest.raises(Exception, match="(?i)timeout|timed out"):
        health._probe_broker()
    assert time.monotonic() - started < 3


def test_a_closed_broker_port_is_unreachable_and_health_answers_quickly(client, db, broker_at, closed_port):
    broker_at(f"redis://127.0.0.1:{closed_port}/0")
    response, elapsed = _timed_health(client)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unreachable"}
    assert elapsed < QUICKLY


@pytest.mark.redis
def test_a_real_redis_broker_is_ok(client, db, broker_at):
    broker_at(redis_url())
    response = client.get("/healthz")
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_a_database_that_fails_makes_health_503(client, db, monkeypatch):
    class GoneDatabase:
        def cursor(self):
            raise RuntimeError("database gone")

    monkeypatch.setattr(health, "connection", GoneDatabase())
    monkeypatch.setattr(health, "broker_ok", lambda: True)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unreachable", "broker": "ok"}


def test_health_answers_get_only(client, db):
    assert client.post("/healthz").status_code == 405
