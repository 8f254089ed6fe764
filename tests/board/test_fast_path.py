"""The board for anonymous visitors answered from its cache before Flask (app.board.fast): the
same bytes as Flask's answer, no statement, no cookie, the security headers with a fresh nonce,
and a change shown at once. Run with REDIS_URL for the shared cache as well."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db
from app.tenancy import bind_township
from tests import factories


@pytest.fixture
def statements(app):
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def _township(app, slug="fast", title="桥头路灯不亮"):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township(slug, code=slug[:2].upper(), services=())
        bind_township(db.session, t.id)
        factories.matter(t, title=title)
        db.session.commit()
        bind_township(db.session, None)
    return t


def _without_nonce(headers) -> dict:
    return {k: re.sub(r"'nonce-[^']+'", "'nonce'", v) for k, v in headers.items()
            if k not in ("Date",)}


def test_the_second_anonymous_request_is_answered_without_flask(app, statements):
    t = _township(app)
    url = f"/t/{t.slug}/board"
    client = app.test_client(use_cookies=False)
    first = client.get(url)  # learns the township's id
    second = client.get(url)  # renders after reading the version, keeps the page
    statements.clear()
    third = client.get(url)
    assert third.status_code == 200 and "桥头路灯不亮" in third.text
    assert statements == []  # answered from the cache: no statement at all
    assert third.get_data() == second.get_data() == first.get_data()
    assert _without_nonce(third.headers) == _without_nonce(first.headers)
    assert "Set-Cookie" not in third.headers
    assert third.headers["Cache-Control"] == "public, max-age=60"
    assert third.headers["X-Frame-Options"] == "SAMEORIGIN"
    nonces = [re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
              for r in (second, third, client.get(url))]
    assert len(set(nonces)) == 3  # a fresh nonce each time


def test_a_committed_change_shows_at_once(app, statements):
    t = _township(app)
    url = f"/t/{t.slug}/board"
    client = app.test_client(use_cookies=False)
    for _ in range(3):
        client.get(url)
    with app.app_context():
        bind_township(db.session, t.id)
        factories.matter(t, title="村西水渠堵了")
        db.session.commit()
        bind_township(db.session, None)
    statements.clear()
    assert "村西水渠堵了" in client.get(url).text
    assert statements  # rendered afresh
    assert "村西水渠堵了" in client.get(url).text
    with app.app_context():  # the township's own row is on the page too
        from app.townships.models import Township

        row = db.session.get(Township, t.id)
        row.name = "新名字镇"
        db.session.commit()
    assert "新名字镇" in client.get(url).text


def test_language_query_and_township_have_their_own_entries(app):
    one = _township(app, "fastone", "一镇的事")
    two = _township(app, "fasttwo", "二镇的事")
    client = app.test_client(use_cookies=False)
    for _ in range(3):
        a = client.get(f"/t/{one.slug}/board")
        b = client.get(f"/t/{two.slug}/board")
    assert "一镇的事" in a.text and "二镇的事" not in a.text
    assert "二镇的事" in b.text and "一镇的事" not in b.text
    for _ in range(3):
        english = client.get(f"/t/{one.slug}/board", headers={"Cookie": "lang=en"})
        chinese = client.get(f"/t/{one.slug}/board")
        paged = client.get(f"/t/{one.slug}/board?page=2")
    assert 'lang="en"' in english.text and 'lang="zh-CN"' in chinese.text
    assert "一镇的事" not in paged.text
    # ?lang= sets the cookie that remembers it: always Flask's answer.
    chosen = client.get(f"/t/{one.slug}/board?lang=en")
    assert "lang=en" in chosen.headers.get("Set-Cookie", "")


def test_a_signed_in_visitor_gets_flasks_answer(app, statements):
    from app.accounts.models import Role
    from tests.conftest import login

    t = _township(app)
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘镇长")
        db.session.commit()
        bind_township(db.session, None)
    anonymous = app.test_client(use_cookies=False)
    for _ in range(3):
        anonymous.get(f"/t/{t.slug}/board")
    client = app.test_client()
    login(client, leader)
    statements.clear()
    page = client.get(f"/t/{t.slug}/board")
    assert statements and "刘镇长" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_a_slug_that_names_another_township_never_answers_the_old_page(app):
    from sqlalchemy import text

    t = _township(app, "reused", "旧镇的事")
    client = app.test_client(use_cookies=False)
    for _ in range(3):
        client.get(f"/t/{t.slug}/board")
    with app.app_context(), db.engine.begin() as conn:  # renamed past the ORM
        conn.execute(text("update townships set slug = 'reused-old' where slug = 'reused'"))
    _township(app, "reused", "新镇的事")
    page = client.get(f"/t/{t.slug}/board")
    assert "新镇的事" in page.text and "旧镇的事" not in page.text
