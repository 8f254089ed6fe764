"""Production headers (flask-talisman): a Content-Security-Policy that allows only the app's own
scripts and styles, on in tests too, so a template with an inline script or style fails here;
HSTS over HTTPS; `Cache-Control: no-store` on what signed-in staff see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.accounts.models import Role
from app.extensions import db
from tests import factories
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("headers", code="HD")
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        db.session.commit()
        return t, admin


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";"))


def test_the_policy_allows_only_our_own_scripts_and_styles(client, town):
    t, admin = town
    policy = _policy(client.get(f"/t/{t.slug}/board"))
    for directive in ("script-src", "style-src"):
        sources = policy[directive].split()
        assert sources[0] == "'self'"
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), sources
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'"


def test_every_page_template_keeps_to_the_policy():
    """No inline script (JSON data blocks aside), no inline event handler, no javascript: URL,
    no <style> without the nonce, in any template a browser renders (PDF templates excepted)."""
    offences = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "pdf" in path.relative_to(ROOT / "templates").parts:
            continue
        html = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag and "application/json" not in tag:
                offences.append(f"{path.name}: {tag}")
        for tag in re.findall(r"<style\b[^>]*>", html):
            if "csp_nonce()" not in tag:
                offences.append(f"{path.name}: {tag}")
        offences += [f"{path.name}: {m}" for m in re.findall(r"\s(on[a-z]+)\s*=", html)]
        offences += [f"{path.name}: javascript:" for _ in re.findall(r"javascript:", html)]
        offences += [f"{path.name}: hx-on" for _ in re.findall(r"hx-on", html)]
    assert offences == []


def test_htmx_injects_no_indicator_style(client, town):
    t, admin = town
    page = client.get(f"/t/{t.slug}/board").text
    assert '"includeIndicatorStyles": false' in page


def test_hsts_over_https_and_secure_defaults(client, town):
    t, admin = town
    answer = client.get(f"/t/{t.slug}/board", base_url="https://localhost")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_staff_pages_are_not_stored_public_pages_may_be(client, town):
    t, admin = town
    public = client.get(f"/t/{t.slug}/board")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    login(client, admin)
    for path in (f"/t/{t.slug}/", f"/t/{t.slug}/households/", f"/t/{t.slug}/matters/",
                 f"/t/{t.slug}/board", "/account"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path
    # A static file stays cacheable for everyone.
    assert "no-store" not in client.get("/static/minqing.css").headers.get("Cache-Control", "")
