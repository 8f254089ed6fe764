"""Browser tests: Debian's Chromium driven by Playwright, against the app served on loopback."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }


@pytest.fixture(scope="session")
def live_server(app):
    """The test application on a free loopback port, for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def phone(browser):
    """A phone-sized page (360×740, touch)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _no_csp_violations(monkeypatch):
    """Every page of every journey runs under the app's Content-Security-Policy: a script or
    style the policy refuses (Chromium says so on the console) fails the test."""
    from playwright.sync_api import BrowserContext

    refused: list[str] = []
    new_page = BrowserContext.new_page

    def watched_new_page(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    monkeypatch.setattr(BrowserContext, "new_page", watched_new_page)
    yield
    assert refused == [], "the Content-Security-Policy refused: " + "; ".join(refused)
