"""One board cache for every worker (issue #20): with REDIS_URL set, two app processes share the
board's cache in Redis, and a rating given through one shows on the other at once. Anonymous
public pages set no cookie, so a proxy may keep them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.tenancy import bind_township
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
SERVE = ("import sys; from werkzeug.serving import run_simple; from app import create_app; "
         "run_simple('127.0.0.1', int(sys.argv[1]), create_app(), threaded=True)")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_servers(app, own_redis, tmp_path):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": own_redis.url, "MINQING_VAR_DIR": str(tmp_path), "MINQING_JOBS": "inline"}
    servers = []
    for _ in range(2):
        port = _port()
        process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append((f"http://127.0.0.1:{port}", process))
    import requests

    deadline = time.monotonic() + 180  # building the app takes a while on a busy machine
    for base, process in servers:
        while True:
            try:
                requests.get(base + "/healthz", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("an app process did not start")
                time.sleep(0.2)
    yield [base for base, _ in servers]
    for _, process in servers:
        process.terminate()
        process.wait(10)


def test_a_rating_shows_on_both_processes_at_once(app, two_servers):
    import requests

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("shared", code="SH", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘镇长")
        matter = factories.matter(t, title="东街路灯不亮")
        ops.reply(matter, leader, public_text="已修好")
        db.session.commit()
        bind_township(db.session, None)
    one, two = two_servers
    board = f"/t/{t.slug}/board"
    for base in (one, two):  # both render and cache the board
        for _ in range(2):
            page = requests.get(base + board, timeout=10)
            assert "东街路灯不亮" in page.text and "非常满意" not in page.text
    resident = requests.Session()
    form = resident.get(f"{one}/t/{t.slug}/rate/{matter.rating_token}", timeout=10)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form.text).group(1)
    rated = resident.post(f"{one}/t/{t.slug}/rate/{matter.rating_token}", timeout=10,
                          data={"csrf_token": token, "rating": "very_satisfied", "comment": ""})
    assert rated.status_code == 200
    assert "非常满意" in requests.get(two + board, timeout=10).text  # the other process, at once
    assert "非常满意" in requests.get(one + board, timeout=10).text


def test_anonymous_public_pages_set_no_cookie_and_may_be_kept(app, client):
    with app.app_context():
        t = factories.township("nocookie", code="NC", services=())
        db.session.commit()
        slug = t.slug
    board = client.get(f"/t/{slug}/board")
    assert "Set-Cookie" not in board.headers
    assert board.headers["Cache-Control"] == "public, max-age=60"
    assert "X-CSRFToken" not in board.text
    # A page with a form needs its CSRF token, so it sets the session cookie and is not kept.
    form = client.get(f"/t/{slug}/raise")
    assert "Set-Cookie" in form.headers and "public" not in form.headers.get("Cache-Control", "")
