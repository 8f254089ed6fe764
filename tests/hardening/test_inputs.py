"""Every input the probe used answers 4xx with a clear message, never a 500: NUL and other control
characters in form fields, query strings and URL paths; page numbers beyond any list; dates out of
range; and the error page renders when the database refuses connections, for visitors and for
signed-in staff alike."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from app.accounts.models import Role
from app.extensions import db
from app.matters.models import Matter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("inputs", code="IN", services=())
        v = factories.village(t, "东村")
        h = factories.household(t, v)
        leader = factories.user(t, Role.LEADER, name="刘镇长")
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        db.session.commit()
        return t, v, h, leader, admin


@pytest.mark.parametrize("bad", ["a\x00b", "a\x01\x1b[31mb", "a\x7fb", "a\x85b"])
def test_control_characters_in_a_form_field_are_refused_and_nothing_is_saved(app, client, town,
                                                                             bad):
    t, v, h, leader, admin = town
    form = client.get(f"/t/{t.slug}/raise")
    answer = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(form.text), "title": bad, "contact_name": "李四",
        "contact_phone": "13911112222", "village_id": str(v.id)})
    assert answer.status_code == 400 and "控制字符" in answer.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Matter),
                                 execution_options={"all_townships": True}) == 0


def test_tabs_and_newlines_stay_allowed(app, client, town):
    t, v, h, leader, admin = town
    form = client.get(f"/t/{t.slug}/raise")
    answer = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(form.text), "title": "路灯\t不亮", "contact_name": "李四",
        "description": "第一行\r\n第二行", "contact_phone": "13911112222",
        "village_id": str(v.id)})
    assert answer.status_code == 200 and "IN-" in answer.text


@pytest.mark.parametrize("path", ["/t/inputs/board?village=%00", "/t/inputs%00/board",
                                  "/t/inputs/rate/abc%00def", "/t/inputs/track?number=%01"])
def test_control_characters_in_paths_and_queries(client, town, path):
    answer = client.get(path)
    assert answer.status_code == 400 and "控制字符" in answer.text


@pytest.mark.parametrize("page", ["99999999999999999999", "0", "-3", "abc", "100001"])
@pytest.mark.parametrize("where", ["board", "matters/", "households/"])
def test_absurd_page_numbers(client, town, page, where):
    t, v, h, leader, admin = town
    login(client, admin)
    answer = client.get(f"/t/{t.slug}/{where}?page={page}")
    assert answer.status_code == 400 and "页码" in answer.text


def test_ordinary_page_numbers_still_work(client, town):
    t, v, h, leader, admin = town
    login(client, admin)
    for where in ("board", "matters/", "households/"):
        assert client.get(f"/t/{t.slug}/{where}?page=2").status_code == 200


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_visit_summary_dates_out_of_range(client, town, on):
    t, v, h, leader, admin = town
    login(client, leader)
    answer = client.get(f"/t/{t.slug}/visits/summary?on={on}")
    assert answer.status_code == 400 and "日期超出范围" in answer.text
    assert client.get(f"/t/{t.slug}/visits/summary?on=2026-11-30").status_code == 200


def test_a_visit_dated_in_the_year_one_is_refused(app, client, town):
    t, v, h, leader, admin = town
    login(client, admin)
    page = client.get(f"/t/{t.slug}/visits/new")
    answer = client.post(f"/t/{t.slug}/visits/new", data={
        "csrf_token": csrf(page.text), "household_id": str(h.id), "visited_on": "0001-01-01",
        "method": "in_person", "notes": "走访"})
    assert answer.status_code == 400 and "日期超出范围" in answer.text
    from app.households.models import Visit

    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


@pytest.fixture
def database_down(app):
    """The app's database refusing connections (nothing listens on port 1)."""
    engines = db._app_engines[app]
    saved = engines[None]
    with app.app_context():
        db.session.remove()
    engines[None] = create_engine("postgresql+psycopg://minqing@127.0.0.1:1/minqing",
                                  pool_pre_ping=True, hide_parameters=True)
    yield
    with app.app_context():
        db.session.remove()
    engines[None].dispose()
    engines[None] = saved


def test_the_error_page_renders_with_the_database_down(app, town, database_down):
    t, v, h, leader, admin = town
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        visitor = app.test_client()
        staff = app.test_client()
        with staff.session_transaction() as session:  # signed in without asking the database
            session["_user_id"], session["_fresh"] = leader.get_id(), True
        for client, path in ((visitor, f"/t/{t.slug}/board"), (staff, f"/t/{t.slug}/matters/"),
                             (staff, "/account"), (staff, f"/t/{t.slug}/raise?x=%00")):
            answer = client.get(path)
            assert answer.status_code in (400, 500), path
            assert "<html" in answer.text and "Internal Server Error" not in answer.text, path
            assert client is visitor or answer.headers.get("Cache-Control") == "no-store"
        assert "系统暂时无法使用" in staff.get(f"/t/{t.slug}/matters/").text
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
