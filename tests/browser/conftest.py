"""Browser tests: Debian's Chromium, driven by Playwright, against a live server of the app.

Each worker starts one Chromium for its whole session, and each test gets a fresh browser context (no cookies
carried over) at desktop size (`page`) or phone size (`phone`). The live server reads and writes the real test
database, so these tests are transactional (pytest-django flushes after each); they never see the shared demo
(tests/conftest.py rolls it back before any test that does not ask for it) and seed what they need themselves.

`check_accessibility(page)` runs axe-core (shipped inside axe-playwright-python, so no CDN) on the page as it is;
`screenshot(page, name)` refreshes docs/screenshots/<name>.png for the README, only when TANDEM_SCREENSHOTS=1.
"""

import asyncio
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
BLOCKING_IMPACTS = ("critical", "serious")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


class _PlaywrightLoop:
    """Playwright's sync API runs its asyncio loop in a greenlet of this thread and marks it as running here. While
    it is marked Django refuses ORM calls ("async context"), in the fixtures of later tests of this worker too; while
    it is not, Playwright cannot work. So it is marked only while a test has a page open."""

    loop = None
    open_pages = 0

    @classmethod
    def pause(cls):
        cls.loop = asyncio.get_running_loop()
        asyncio._set_running_loop(None)

    @classmethod
    def resume(cls):
        asyncio._set_running_loop(cls.loop)

    @classmethod
    def page_opened(cls):
        cls.open_pages += 1
        cls.resume()

    @classmethod
    def page_closed(cls):
        cls.open_pages -= 1
        if not cls.open_pages:
            asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    """One headless Chromium per worker, started the first time a browser test runs (after the test database,
    which is thus destroyed after it)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}: run `apt-get install chromium` "
            "(.ci/run installs it). Playwright's own downloaded browsers are not used."
        )
    from playwright.sync_api import expect, sync_playwright

    # Two cores shared by two test workers and their browsers: give a page as long as a person would wait.
    expect.set_options(timeout=10_000)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except BaseException:
        playwright.stop()
        asyncio._set_running_loop(None)
        raise
    _PlaywrightLoop.pause()
    yield browser
    _PlaywrightLoop.resume()
    try:
        browser.close()
    finally:
        playwright.stop()
        asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def _live_server_database(django_db_setup, django_db_blocker):
    """After the last browser test, end the database sessions the live server's threads left open.

    One of them outlives the server's stop (seen on PostgreSQL: an idle session of this process that no live
    connection object owns), and would stop pytest-django dropping the worker's test database at the end.
    """
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def _open_page(chromium, live_server, monkeypatch, **context_options):
    _PlaywrightLoop.page_opened()
    # The test's own ORM calls are plain synchronous code in the main thread: Django's guard is lifted meanwhile.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = chromium.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/London", **context_options
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return context, page, problems


def _close_page(context, problems):
    try:
        context.close()
    finally:
        _PlaywrightLoop.page_closed()
    assert not problems, "The browser reported:\n" + "\n".join(problems)


def _refuse_the_shared_demo(request):
    if "demo" in request.fixturenames:
        pytest.fail(
            "A browser test cannot use `demo`: that demo lives in a transaction the live server cannot see. "
            "Use `demo_site` (the same demo, committed for this test)."
        )


@pytest.fixture
def demo_site(transactional_db):
    """The demo of `manage.py seed_demo` (its `world` dict), committed where the live server reads it; the test's
    flush removes it afterwards."""
    from tests.conftest import build_demo

    return build_demo()


@pytest.fixture
def page(request, chromium, _live_server_database, live_server, monkeypatch):
    """A fresh desktop-sized tab on the live server (`page.goto("/login/")`); fails on a script error or a CSP
    violation."""
    _refuse_the_shared_demo(request)
    context, page, problems = _open_page(chromium, live_server, monkeypatch, viewport=DESKTOP)
    yield page
    _close_page(context, problems)


@pytest.fixture
def phone(request, chromium, _live_server_database, live_server, monkeypatch):
    """A fresh tab the size of a small phone (360×740, touch, mobile viewport rules)."""
    _refuse_the_shared_demo(request)
    context, page, problems = _open_page(
        chromium, live_server, monkeypatch, viewport=PHONE, is_mobile=True, has_touch=True
    )
    yield page
    _close_page(context, problems)


_axe = None


def _run_axe(page):
    """axe-core's violations on the page. A click that navigates may still be replacing the page when a test checks
    it (axe then finds no document, or its script's page goes away): wait for the new page and run again."""
    from playwright.sync_api import Error

    page.wait_for_load_state()
    try:
        return _axe.run(page).response["violations"]
    except Error as error:
        if "documentElement" not in str(error) and "context was destroyed" not in str(error):
            raise
    page.wait_for_load_state()
    return _axe.run(page).response["violations"]


def check_accessibility(page):
    """Run axe-core on the page as it is now; fail listing every serious or critical violation."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    violations = _run_axe(page)
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    lines = []
    for violation in blocking:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {' '.join(map(str, node['target']))}: {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    assert not blocking, f"axe-core found serious or critical problems on {page.url}:\n" + "\n".join(lines)


def fits_width(page):
    """True when the page needs no horizontal scrolling at the window's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(page, name):
    """Save docs/screenshots/<name>.png (the whole page) when TANDEM_SCREENSHOTS=1; otherwise do nothing, so
    ordinary runs neither spend the time nor touch the committed pictures."""
    if os.environ.get("TANDEM_SCREENSHOTS", "").lower() not in {"1", "true", "yes"}:
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    # Chromium's full-page capture leaves a scrolled page's hit-testing off by the scroll (a click on a button far
    # down lands on the form around it) until the page scrolls again.
    page.evaluate("window.scrollTo(0, 0)")
    return path
