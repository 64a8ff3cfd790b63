"""The browser tests' own helpers do what the journeys rely on: axe fails on a serious problem, a page too wide
for a phone is caught, screenshots are written only when asked for."""

import pytest

from tests.browser import conftest
from tests.browser.conftest import check_accessibility, fits_width, screenshot

UNLABELLED = '<!doctype html><html lang="en"><title>t</title><main><h1>T</h1><input type="text"></main></html>'


def test_check_accessibility_fails_naming_each_serious_problem(page):
    page.set_content(UNLABELLED)
    with pytest.raises(AssertionError, match=r"label \(critical\)"):
        check_accessibility(page)


def test_a_page_wider_than_a_phone_is_caught(phone):
    phone.set_content('<!doctype html><html lang="en"><title>t</title><main><p>fits</p></main></html>')
    assert fits_width(phone)
    phone.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><table><tr><td>'
        + "x" * 400
        + "</td></tr></table></main></html>"
    )
    assert not fits_width(phone)


def test_screenshots_are_written_only_when_asked_for(page, monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SCREENSHOTS", tmp_path)
    page.set_content(UNLABELLED)
    monkeypatch.delenv("TANDEM_SCREENSHOTS", raising=False)
    assert screenshot(page, "unasked") is None
    assert not (tmp_path / "unasked.png").exists()

    monkeypatch.setenv("TANDEM_SCREENSHOTS", "1")
    path = screenshot(page, "asked")
    assert path == tmp_path / "asked.png"
    assert path.read_bytes().startswith(b"\x89PNG")
