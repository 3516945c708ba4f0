"""The admin in a real browser: headless Chromium (the distribution's package) through
Playwright, against a live server with CSRF on.

These tests never skip: without Chromium they fail, saying how to install it. Deselect
them explicitly (``-m "not browser"``) on a machine that cannot have it.

Every journey keeps screenshots; set ``CONSENTDESK_SCREENSHOTS=docs/screenshots`` to
refresh the ones the README shows.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright import sync_api as playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def page(tmp_path):
    """A phone-or-desktop page that fails the test if the Content-Security-Policy blocked
    anything on it, or if the page asked another host for anything."""
    if CHROMIUM is None:
        pytest.fail("Chromium is missing: install the distribution's package "
                    "(apt-get install chromium); the browser tests do not skip")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        blocked, foreign = [], []
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("request", lambda request: foreign.append(request.url)
                if not request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else None)
        yield page
        page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
        browser.close()
        assert blocked == [], blocked
        assert foreign == [], f"pages asked other hosts: {foreign}"


@pytest.fixture
def snap(tmp_path):
    """``snap(page, "name")`` keeps a screenshot of what the person sees."""
    folder = Path(os.environ.get("CONSENTDESK_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)

    return take
