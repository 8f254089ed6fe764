"""Issue 19 in a browser: a township escalates a matter to a county department, the department
answers on a phone, the resident rates it on a phone, and the county's ranking changes."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.counties import operations as county_ops
from app.counties.models import CountyRole
from app.extensions import db
from app.matters import operations as ledger
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("MINQING_SHOTS")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"county-{name}.png"), full_page=True)


@pytest.fixture
def county(app):
    """县 with townships 东镇 (one open matter) and 西镇 (one answered, one open)."""
    with app.app_context():
        db.session().expire_on_commit = False
        county = county_ops.create_county(code="371399", name="旅程县", slug="journey")
        towns = []
        for slug, name in (("east-town", "东镇"), ("west-town", "西镇")):
            t = factories.township(slug)
            t.name = name
            bind_township(db.session, None)
            county_ops.attach_township(county, t, None)
            towns.append(t)
        east, west = towns
        department = county_ops.add_department(county, "民政局")
        staff = factories.create_user(username="mz-staff", name="蒋科长", password="dept-pass-1")
        county_ops.grant_county_role(county, staff, CountyRole.DEPARTMENT_STAFF, department)
        leader = factories.create_user(username="cty-leader", name="邵县长",
                                       password="lead-pass-1")
        county_ops.grant_county_role(county, leader, CountyRole.COUNTY_LEADER)
        bind_township(db.session, east.id)
        township_leader = factories.user(east, Role.LEADER, name="东镇镇长",
                                         password="town-pass-1")
        matter = factories.matter(east, title="低保申请一直未批", actor=township_leader,
                                  contact_name="王秀英", contact_phone="13900002222")
        db.session.commit()
        bind_township(db.session, west.id)
        west_admin = factories.user(west, Role.TOWNSHIP_ADMIN)
        done = factories.matter(west, title="路灯不亮", actor=west_admin)
        ledger.reply(done, west_admin, public_text="已修好", township=west)
        factories.matter(west, title="垃圾清运", actor=west_admin)
        db.session.commit()
        bind_township(db.session, None)
        return {"county": county, "east": east, "matter": matter, "staff": staff,
                "leader": leader, "township_leader": township_leader}


def _login(page, base, username, password):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _rank_of(page, name) -> str:
    row = page.locator("#ranking tbody tr", has_text=name)
    return row.locator("td").first.inner_text().strip()


def test_escalate_answer_on_a_phone_rate_and_the_ranking_changes(live_server, browser, phone,
                                                                  county):
    base, c = live_server, county
    desk = browser.new_context(locale="zh-CN").new_page()

    # The county leader sees 东镇 behind 西镇.
    _login(desk, base, "cty-leader", "lead-pass-1")
    desk.goto(f"{base}/c/journey/dashboard")
    assert (_rank_of(desk, "东镇"), _rank_of(desk, "西镇")) == ("2", "1")
    _shot(desk, "1-ranking-before")

    # The township's leader escalates the matter to the county's 民政局.
    desk.context.clear_cookies()
    _login(desk, base, c["township_leader"].username, "town-pass-1")
    desk.goto(f"{base}/t/east-town/matters/{c['matter'].id}")
    desk.locator("#to-county").click()
    desk.get_by_label("县直部门").select_option(label="民政局")
    desk.get_by_label("上报原因").fill("低保审批在县民政局，乡镇已协调两次未果。")
    desk.get_by_role("button", name="上报县级").click()
    expect(desk.get_by_text("已上报旅程县。")).to_be_visible()
    expect(desk.locator(".timeline")).to_contain_text("民政局")

    # The department answers on a phone.
    _login(phone, base, "mz-staff", "dept-pass-1")
    phone.goto(f"{base}/c/journey/escalations")
    phone.get_by_role("link", name="低保申请一直未批").click()
    expect(phone.locator("dl.facts")).to_contain_text("低保审批在县民政局")
    phone.get_by_label("答复群众").fill("经县民政局复核，已纳入低保，本月起发放。")
    phone.get_by_role("button", name="提交答复").click()
    expect(phone.locator(".timeline")).to_contain_text("经县民政局复核")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is wider than the phone ({width}px)"
    _shot(phone, "2-department-answered")

    # The resident rates the answer from their link, on a phone too.
    phone.context.clear_cookies()
    phone.goto(f"{base}/t/east-town/rate/{c['matter'].rating_token}")
    expect(phone.get_by_text("经县民政局复核")).to_be_visible()
    phone.get_by_label("非常满意", exact=True).check()
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_text("谢谢您的评价！")).to_be_visible()

    # The township's answer counts for 东镇: it now leads the county.
    desk.context.clear_cookies()
    _login(desk, base, "cty-leader", "lead-pass-1")
    desk.goto(f"{base}/c/journey/dashboard")
    assert (_rank_of(desk, "东镇"), _rank_of(desk, "西镇")) == ("1", "2")
    expect(desk.locator("#departments")).to_contain_text("民政局")
    _shot(desk, "3-ranking-after")
