"""The ledger's pages and what residents see: intake, list, steps, export, tracking, board."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Evaluation, Matter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def _csrf(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("ledger", code="LG", services=())
        leader = factories.user(t, Role.LEADER, name="刘镇长")
        v = factories.village(t, "东村")
        db.session.commit()
        return t, leader, v


def _register(client, t, v, **extra):
    token = _csrf(client, f"/t/{t.slug}/matters/new")
    data = {"csrf_token": token, "channel": "phone", "category": "suggestion",
            "title": "东街路灯不亮", "village_id": str(v.id), "contact_name": "王小明",
            "contact_phone": "13800001234", "is_public": "y", **extra}
    return client.post(f"/t/{t.slug}/matters/new", data=data)


def test_register_reply_track_rate_and_board(app, client, town):
    t, leader, v = town
    login(client, leader)
    bad = _register(client, t, v, contact_phone="123")
    assert bad.status_code == 422 and "东街路灯不亮" in bad.get_data(as_text=True)
    created = _register(client, t, v)
    assert created.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter))
    detail = f"/t/{t.slug}/matters/{matter.id}"
    token = _csrf(client, detail)
    refused = client.post(f"{detail}/close", data={"csrf_token": token})
    assert refused.status_code == 422 and "不能改为" in refused.get_data(as_text=True)
    client.post(f"{detail}/assign", data={"csrf_token": token, "assignee_id": str(leader.id)})
    client.post(f"{detail}/reply", data={"csrf_token": token, "public_text": "已更换灯泡",
                                         "private_notes": "电工老李，内部"})
    page = client.get(detail).get_data(as_text=True)
    assert "已答复" in page and "交办" in page and "已更换灯泡" in page

    visitor = app.test_client()
    url = f"/t/{t.slug}/track"
    tok = _csrf(visitor, url)
    wrong = visitor.post(url, data={"csrf_token": tok, "number": matter.number,
                                    "phone_tail": "0000"})
    assert wrong.status_code == 422 and "不对" in wrong.get_data(as_text=True)
    right = visitor.post(url, data={"csrf_token": tok, "number": matter.number.lower(),
                                    "phone_tail": "1234"}).get_data(as_text=True)
    assert "已答复" in right and "已更换灯泡" in right and "电工老李" not in right
    rate_url = f"/t/{t.slug}/rate/{matter.rating_token}"
    tok = _csrf(visitor, rate_url)
    visitor.post(rate_url, data={"csrf_token": tok, "rating": "satisfied"})
    assert "不能评价" in visitor.get(rate_url).get_data(as_text=True)

    board = visitor.get(f"/t/{t.slug}/board").get_data(as_text=True)
    assert "东街路灯不亮" in board and "王**" in board and "王小明" not in board
    assert "13800001234" not in board and "满意" in board
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(Evaluation.source)) == "resident_link"


def test_wrong_tracking_guesses_are_rate_limited(app, client, town):
    t, leader, v = town
    app.config["TRACK_RATE_LIMIT"] = "3 per minute"
    try:
        tok = _csrf(client, f"/t/{t.slug}/track")
        codes = [client.post(f"/t/{t.slug}/track", data={
            "csrf_token": tok, "number": "LG-2026-000001", "phone_tail": f"{n:04d}"}).status_code
            for n in range(4)]
    finally:
        app.config.pop("TRACK_RATE_LIMIT")
    assert codes == [422, 422, 422, 429]


def test_list_filters_in_sql_and_answers_htmx_with_the_fragment(app, client, town):
    t, leader, v = town
    with app.app_context():
        bind_township(db.session, t.id)
        late = factories.matter(t, title="早就该办", village=v)
        late.due_on = ops.local_today(t) - timedelta(days=2)
        from app.townships.workdays import WorkCalendar

        # Overdue is told in working days (the deadline's unit); over a weekend it is 0 of them.
        late_by = WorkCalendar.for_township(t.id).workdays_between(late.due_on,
                                                                   ops.local_today(t))
        late_text = f"超期 {late_by} 个工作日" if late_by > 0 else "超期 2 天"
        factories.matter(t, title="刚受理")
        petition = factories.matter(t, title="上访材料", category="petition")
        db.session.commit()
        petition_title = petition.title
    login(client, leader)
    overdue = client.get(f"/t/{t.slug}/matters/?due=overdue").get_data(as_text=True)
    assert "早就该办" in overdue and "刚受理" not in overdue and late_text in overdue
    fragment = client.get(f"/t/{t.slug}/matters/?village={v.id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "早就该办" in fragment and "刚受理" not in fragment
    board = app.test_client().get(f"/t/{t.slug}/board").get_data(as_text=True)
    assert petition_title not in board


def test_export_is_an_excel_file_with_chinese_headers(app, client, town):
    t, leader, v = town
    with app.app_context():
        bind_township(db.session, t.id)
        factories.matter(t, title="导出我", village=v)
        factories.matter(t, title="别导出", channel="online")
        db.session.commit()
    login(client, leader)
    response = client.get(f"/t/{t.slug}/matters/export.xlsx?channel=phone")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("事项编号", "受理时间", "来源")
    assert [r[4] for r in rows[1:]] == ["导出我"]


def test_front_line_staff_see_only_what_concerns_them(app, client, town):
    t, leader, v = town
    with app.app_context():
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE)
        mine = factories.matter(t, title="我的事")
        ops.assign(mine, leader, assignee=cadre)
        other = factories.matter(t, title="别人的事")
        db.session.commit()
        other_id, cadre_id = other.id, cadre.id
    login(client, cadre_id)
    listing = client.get(f"/t/{t.slug}/matters/").get_data(as_text=True)
    assert "我的事" in listing and "别人的事" not in listing
    assert client.get(f"/t/{t.slug}/matters/{other_id}").status_code == 404


def test_residents_raise_a_matter_online(app, client, town):
    t, leader, v = town
    tok = _csrf(client, f"/t/{t.slug}/raise")
    page = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": tok, "title": "村口垃圾没人清", "contact_name": "李四",
        "contact_phone": "13911112222", "village_id": str(v.id), "is_public": "y"})
    assert "LG-" in page.get_data(as_text=True)
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter))
        assert (matter.channel, matter.contact_phone_tail) == ("online", "2222")


def test_dashboard_links_each_figure_to_its_rows(app, client, town):
    t, leader, v = town
    with app.app_context():
        bind_township(db.session, t.id)
        m = factories.matter(t, title="东村的事", village=v)
        ops.reply(m, leader, public_text="答复")
        db.session.commit()
    login(client, leader)
    page = client.get(f"/t/{t.slug}/matters/dashboard").get_data(as_text=True)
    assert "100.0%" in page and f"village={v.id}" in page


def test_channel_rules_are_set_by_the_admin(app, client, town):
    t, leader, v = town
    with app.app_context():
        bind_township(db.session, t.id)
        admin_id = factories.user(t, Role.TOWNSHIP_ADMIN).id
        db.session.commit()
    login(client, admin_id)
    tok = _csrf(client, f"/t/{t.slug}/matters/rules")
    data = {"csrf_token": tok}
    from app.matters.models import Channel

    for channel in (c.value for c in Channel):  # every channel, "external" (Open311) included
        data[f"{channel}-workdays"] = "7"
        data[f"{channel}-closeout"] = "manual"
    data["phone-workdays"] = "0"
    assert client.post(f"/t/{t.slug}/matters/rules", data=data).status_code == 422
    data["phone-workdays"] = "3"
    data["phone-closeout"] = "satisfied"
    assert client.post(f"/t/{t.slug}/matters/rules", data=data).status_code == 302
    with app.app_context():
        from app.townships.models import Township

        township = db.session.get(Township, t.id)
        rule = ops.channel_rule(township, "phone")
        assert (rule.workdays, rule.closeout) == (3, "satisfied")
