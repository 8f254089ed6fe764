"""Browser tests: Debian's Chromium driven by Playwright, against the app served on loopback."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import moved_now

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _browser_clock(monkeypatch):
    """With the clock moved (MINQING_TEST_NOW), every page's clock starts at the server's moved
    "now" and runs on (Playwright's page.clock), so the browser and the in-process server agree
    on the day wherever a page computes a date. Every context is covered: the `page` and `phone`
    fixtures and the contexts tests open themselves."""
    if moved_now() is None:
        return
    from playwright.sync_api import Browser

    from app.clock import utcnow

    new_context, new_page = Browser.new_context, Browser.new_page

    def context_with_clock(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        context.clock.install(time=utcnow())
        return context

    def page_with_clock(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)
        page.clock.install(time=utcnow())
        return page

    monkeypatch.setattr(Browser, "new_context", context_with_clock)
    monkeypatch.setattr(Browser, "new_page", page_with_clock)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Pages live in Beijing time, as the townships do (the browser's own zone is the machine's)."""
    return {**browser_context_args, "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }


@pytest.fixture
def phone(browser):
    """A phone-sized page (360×740, touch)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, locale="zh-CN", timezone_id="Asia/Shanghai")
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
