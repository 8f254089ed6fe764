"""Issue 5: a resident books a holiday slot on a phone; at the window the booking becomes a
matter with a missing material recorded; the receipt prints; the material is brought and the
matter finished on the spot; the resident rates it on the window's tablet; the centre's figures
change."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.hall import operations as ops
from app.hall.models import OpeningMode
from app.matters.operations import local_today
from app.tenancy import bind_township
from app.townships.models import CalendarDay
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("haozhen", services=("one_stop",))
        bind_township(db.session, t.id)
        social = factories.centre(t, "社会事务服务中心")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=social)
        clerk.set_password("clerk-pass-1")
        factories.service_item(
            t, social, name="医保参保登记", on_the_spot=True, bookable=True, promised_workdays=1,
            materials=[{"name": "户口簿", "original": True, "copies": 1},
                       {"name": "身份证", "original": True, "copies": 1}])
        # A public holiday three days from now, recorded by the township (any weekday will do).
        holiday = local_today(t) + timedelta(days=3)
        while holiday.weekday() >= 5:
            holiday += timedelta(days=1)
        db.session.add(CalendarDay(township_id=t.id, day=holiday, is_workday=False, note="节日"))
        db.session.add(OpeningMode(township_id=t.id, name="节假日预约服务", day_type="holiday",
                                   opens=time(9), closes=time(11), slot_minutes=30, capacity=2))
        window = ops.new_window(t, "1号窗口", social)
        db.session.commit()
        bind_township(db.session, None)
        return t, clerk, holiday, window


def test_book_a_holiday_slot_then_serve_receipt_finish_and_rate(app, live_server, browser, phone,
                                                               town, monkeypatch):
    t, clerk, holiday, window = town
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    monkeypatch.setitem(app.config, "JOBS_THREAD", True)
    base = f"{live_server}/t/{t.slug}"

    # The resident, on a phone, without an account.
    page = phone
    page.goto(f"{base}/services")
    page.get_by_role("link", name="网上预约（节假日也可）").click()
    page.get_by_label("办理事项").select_option(label="医保参保登记")
    day_label = page.locator("select[name=day] option", has_text="法定节假日").first.inner_text()
    assert f"{holiday.month}月{holiday.day}日" in day_label
    page.get_by_label("日期").select_option(label=day_label)
    page.get_by_text("09:30–10:00").click()
    page.get_by_label("姓名").fill("李桂兰")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="提交预约").click()
    expect(page.get_by_role("heading", name="预约成功")).to_be_visible()
    code = page.locator("#booking-code").inner_text()
    assert len(code) == 8

    # At the window, on the holiday.
    desk = browser.new_context(locale="zh-CN").new_page()
    desk.goto(f"{live_server}/login")
    desk.get_by_label("用户名").fill(clerk.username)
    desk.get_by_label("密码").fill("clerk-pass-1")
    desk.get_by_role("button", name="登录").click()
    desk.goto(f"{base}/hall/bookings?day={holiday.isoformat()}")
    row = desk.locator("tr", has_text=code)
    expect(row).to_contain_text("李桂兰")
    row.get_by_role("button", name="到厅办理").click()
    expect(desk.get_by_label("新登记群众姓名")).to_have_value("李桂兰")
    expect(desk.get_by_label("户口簿")).to_be_visible()
    desk.get_by_label("户口簿").check()  # 身份证 forgotten at home
    desk.get_by_role("button", name="受理").click()
    expect(desk.get_by_text("尚缺材料")).to_be_visible()
    expect(desk.get_by_role("button", name="当场办结")).to_be_disabled()

    desk.get_by_role("button", name="打印受理回执").click()
    download = desk.get_by_role("link", name="下载 PDF")
    expect(download).to_be_visible(timeout=60_000)
    with desk.expect_download() as info:
        download.click()
    with open(info.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    desk.go_back()
    desk.reload()

    desk.get_by_label("身份证").check()
    desk.get_by_role("button", name="登记补交").click()
    expect(desk.get_by_text("已登记补交的材料")).to_be_visible()
    desk.get_by_role("button", name="当场办结").click()
    expect(desk.get_by_text("已当场办结")).to_be_visible()
    desk.goto(f"{base}/hall/figures")
    unrated = desk.locator("tr", has_text="社会事务服务中心").locator(".satisfaction")
    expect(unrated).to_have_text("—")
    desk.go_back()
    desk.get_by_role("button", name="推送到窗口评价器").click()

    # The tablet at the window: the resident taps their rating.
    tablet = browser.new_context(locale="zh-CN").new_page()
    tablet.goto(f"{base}/tablet/{window.tablet_token}")
    expect(tablet.get_by_text("医保参保登记")).to_be_visible()
    tablet.get_by_label("非常满意").check()
    tablet.get_by_role("button", name="提交评价").click()
    expect(tablet.get_by_text("谢谢您的评价")).to_be_visible()

    desk.goto(f"{base}/hall/figures")
    centre_row = desk.locator("tr", has_text="社会事务服务中心")
    expect(centre_row.locator(".satisfaction")).to_have_text("100.0%")
    expect(desk.locator("tr", has_text="张芳")).to_contain_text("100.0%")
