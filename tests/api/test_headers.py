"""Response headers: a Content-Security-Policy everywhere, no server banner, and the API docs behind sign-in."""

import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from franchise.models import Role
from tests.factories import user_with_role

ROOT = Path(__file__).resolve().parents[2]


def policy(response):
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return dict((directive.split()[0], directive.split()[1:]) for directive in header.split(";") if directive.strip())


def assert_strict(directives):
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)


def inline_code(html):
    """Inline scripts (a <script> without src that a browser would run), <style> elements and style attributes."""
    scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)
        if "src=" not in tag and "application/json" not in tag
    ]
    styles = re.findall(r"<style\b", html, flags=re.IGNORECASE)
    attributes = re.findall(r"""\sstyle\s*=\s*["']""", html, flags=re.IGNORECASE)
    handlers = re.findall(r"""\son[a-z]+\s*=\s*["']""", html, flags=re.IGNORECASE)
    return scripts + styles + attributes + handlers


# --- Content-Security-Policy ------------------------------------------------------------------


def test_api_answers_carry_the_policy(token_client_for, coordinator, api, db):
    assert_strict(policy(token_client_for(coordinator).get("/api/v1/me/")))
    assert_strict(policy(api.get("/api/v1/me/")))  # a 401 too
    assert_strict(policy(api.get("/api/v1/no-such-route/")))


@pytest.mark.parametrize("url", ["/api/v1/no-such-route/", "/api/v1/people/x.y.z/"])
def test_an_api_url_no_route_matches_is_a_json_404(api, db, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.fixture
def open_docs(settings):
    settings.TANDEM_PUBLIC_API_DOCS = True


def test_the_docs_page_runs_no_inline_script_under_the_policy(client, db, open_docs):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict(policy(response))
    html = response.content.decode()
    assert not inline_code(html)
    scripts = re.findall(r"""<script\b[^>]*\bsrc=["']([^"']+)["']""", html)
    assert any("swagger-ui-bundle" in src for src in scripts)
    # The init script is served by the docs view itself, same origin, as JavaScript.
    (init,) = [src for src in scripts if "script" in src.split("?", 1)[-1]]
    assert init.startswith("/api/docs/")
    script = client.get(init.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert_strict(policy(script))


def test_the_admin_login_page_carries_the_policy_and_no_inline_code(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_strict(policy(response))
    assert not inline_code(response.content.decode())


def test_admin_pages_carry_the_policy_and_no_inline_code(client, db, partner):
    operator = user_with_role(Role.LICENSOR_ADMIN, email="ops@example.org", name="Olu Operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    for url in ["/admin/", "/admin/franchise/partner/", f"/admin/franchise/partner/{partner.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(policy(response))
        assert not inline_code(response.content.decode()), url


def test_static_files_carry_the_policy(client, db, settings):
    # WhiteNoise serves from the apps' static folders, as in development, instead of a collectstatic.
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True
    response = client.get("/" + settings.STATIC_URL.lstrip("/") + "api/swagger_ui.css")
    assert response.status_code == 200
    assert_strict(policy(response))


# --- the schema and the docs: open in development, behind sign-in in production ----------------


@pytest.fixture
def closed_docs(settings):
    settings.DEBUG = False
    settings.TANDEM_PUBLIC_API_DOCS = False


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_schema_and_docs_are_closed_to_anonymous_users_in_production(api, db, closed_docs, url):
    response = api.get(url)
    assert response.status_code == 401
    assert "paths" not in response.content.decode()


def test_schema_is_open_to_a_token(token_client_for, coordinator, closed_docs):
    response = token_client_for(coordinator).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/me/" in response.json()["paths"]


def test_docs_are_open_to_a_signed_in_session(client, coordinator, closed_docs):
    client.force_login(coordinator)
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_the_setting_opens_schema_and_docs_to_anyone(api, db, closed_docs, settings, url):
    settings.TANDEM_PUBLIC_API_DOCS = True
    assert api.get(url).status_code == 200


def _settings_value(monkeypatch, name, **environ):
    """config/settings.py run as a fresh process would, in this one (a subprocess costs a Django start-up)."""
    with monkeypatch.context() as patch:
        for key in ("DEBUG", "TANDEM_PUBLIC_API_DOCS"):
            patch.delenv(key, raising=False)
        for key, value in environ.items():
            patch.setenv(key, value)
        try:
            return str(runpy.run_path(str(ROOT / "config" / "settings.py"))[name])
        except Exception as exc:  # noqa: BLE001 - the refusal's message is what is checked
            return f"{type(exc).__name__}: {exc}"


def test_the_docs_follow_debug_unless_the_setting_says_otherwise(monkeypatch):
    assert _settings_value(monkeypatch, "TANDEM_PUBLIC_API_DOCS", DEBUG="1") == "True"
    assert _settings_value(monkeypatch, "TANDEM_PUBLIC_API_DOCS", DEBUG="0") == "False"
    assert _settings_value(monkeypatch, "TANDEM_PUBLIC_API_DOCS", DEBUG="0", TANDEM_PUBLIC_API_DOCS="yes") == "True"
    refusal = _settings_value(monkeypatch, "TANDEM_PUBLIC_API_DOCS", TANDEM_PUBLIC_API_DOCS="maybe")
    assert "neither true nor false" in refusal


# --- no server banner ------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_as_configured_sends_no_server_header(tmp_path):
    port = _free_port()
    # Production settings (tests/environment.py gives the key), over plain HTTP on the loopback.
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "TANDEM_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen(  # noqa: S603 - the Dockerfile's web command, on a local port
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--config",
            "config/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/me/", timeout=2)  # noqa: S310
            except urllib.error.HTTPError as exc:
                status, headers = exc.code, exc.headers
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not answer")
                time.sleep(0.2)
        assert status == 401
        assert "Server" not in headers
        assert headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(timeout=30)
