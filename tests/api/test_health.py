"""GET /healthz: the database must answer; a broker that does not is reported within a deadline, never fatal."""

import logging
import runpy
import socket
import threading
from pathlib import Path

import pytest
from django.conf import settings

from api import health
from config.celery import app as celery_app
from tests.conftest import redis_url

# A load balancer gives up on a probe after about this many seconds: health must have answered by then.
LOAD_BALANCER_PROBE_SECONDS = 10


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
    accepted, stop, reached = [], threading.Event(), threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)
            reached.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], reached
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


def test_health_with_the_embedded_broker_is_ok(client, db, broker_at, tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_VAR_DIR", str(tmp_path))
    broker_at("filesystem://")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_health_deadline_for_the_broker_is_a_setting_shorter_than_a_probe_and_the_socket_timeout(broker_at):
    computed = broker_at("redis://127.0.0.1:6379/0")
    deadline = computed["TANDEM_HEALTH_BROKER_TIMEOUT_MS"] / 1000

    assert deadline < LOAD_BALANCER_PROBE_SECONDS
    # Shorter than the socket timeout: a silent broker is then cut off by the health check's own deadline.
    assert deadline < computed["CELERY_BROKER_TRANSPORT_OPTIONS"]["socket_timeout"]
    assert (
        broker_at("redis://127.0.0.1:6379/0", TANDEM_HEALTH_BROKER_TIMEOUT_MS="750")["TANDEM_HEALTH_BROKER_TIMEOUT_MS"]
        == 750
    )


def test_a_broker_that_never_answers_is_reported_unreachable_at_the_health_deadline(
    client, db, broker_at, silent_server, settings, caplog
):
    # A shorter deadline than production's, so the suite does not wait it out; it is still what answers.
    settings.TANDEM_HEALTH_BROKER_TIMEOUT_MS = 300
    port, reached = silent_server
    options = broker_at(f"redis://127.0.0.1:{port}/0")["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["socket_timeout"] > 0.3

    with caplog.at_level(logging.WARNING, logger="api.health"):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unreachable"}
    # The health check's own deadline gave up on the broker, not the broker's (longer) socket timeout.
    assert "broker did not answer within 0.3 s" in caplog.text
    # The probe goes on in its thread past the deadline: on a busy machine it may connect only after the answer.
    assert reached.wait(timeout=30), "the probe never reached the silent server"


def test_the_settings_alone_bound_a_broker_call_to_a_silent_server(db, broker_at, silent_server):
    # Without the health check's deadline: the production transport options must still end the wait, with the
    # socket's timeout rather than a hang.
    port, _ = silent_server
    options = broker_at(f"redis://127.0.0.1:{port}/0", CELERY_BROKER_SOCKET_TIMEOUT="1")[
        "CELERY_BROKER_TRANSPORT_OPTIONS"
    ]
    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (1, 1)

    with pytest.raises(Exception, match="(?i)timeout|timed out"):
        health._probe_broker()


def test_a_closed_broker_port_is_reported_unreachable(client, db, broker_at, closed_port, caplog):
    broker_at(f"redis://127.0.0.1:{closed_port}/0")

    with caplog.at_level(logging.WARNING, logger="api.health"):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unreachable"}
    # Refused at once: reported as unreachable, without waiting for the deadline.
    assert "Health check: broker unreachable" in caplog.text


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
