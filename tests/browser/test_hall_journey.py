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


@pytest.fixture
def dibao_town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("baodi17", services=("one_stop",))
        bind_township(db.session, t.id)
        # The hall's call-back (回访) two working days after the reply, set on the rules page.
        t.settings = {"channels": {"hall": {"revisit_after_days": 2}}}
        social = factories.centre(t, "社会事务服务中心")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=social)
        clerk.set_password("clerk-pass-1")
        # The call-back desk: not the clerk who did the work (no self-certified satisfaction).
        caller = factories.user(t, Role.LEADER, name="回访专席")
        caller.username = "huifang-desk"
        caller.set_password("callback-pass-1")
        factories.service_item(
            t, social, name="低保申请", promised_workdays=20,
            materials=[{"name": "户口簿", "original": True, "copies": 1},
                       {"name": "收入证明", "original": True, "copies": 1}],
            questions=[{"key": "q1", "label": "家庭人口", "kind": "number", "required": True,
                        "choices": []}])
        village = factories.village(t, "周良庄村")
        factories.household(t, village, head="赵秀兰", phone="13812345678")
        db.session.commit()
        bind_township(db.session, None)
        return t, clerk


def test_dibao_with_a_missing_document_told_once_is_followed_to_the_call_back(
        app, live_server, browser, phone, dibao_town, monkeypatch):
    """低保 with a missing document told once → seen in the ledger and the queue → 补交材料 from
    the ledger → finished → the receipt's QR opens on the resident's phone → call-back recorded."""
    from tests.notices.test_public_links import qr_urls

    t, clerk = dibao_town
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    monkeypatch.setitem(app.config, "JOBS_THREAD", True)
    base = f"{live_server}/t/{t.slug}"
    desk = browser.new_context(locale="zh-CN").new_page()
    desk.goto(f"{live_server}/login")
    desk.get_by_label("用户名").fill(clerk.username)
    desk.get_by_label("密码").fill("clerk-pass-1")
    desk.get_by_role("button", name="登录").click()

    # At the window: the resident is found, the item asks its own question, one paper is missing.
    desk.goto(f"{base}/hall/")
    desk.get_by_label("姓名、手机号码或户主、地址").fill("赵秀兰")
    desk.get_by_role("link", name="赵秀兰").first.click()
    expect(desk.get_by_role("link", name="换一位")).to_be_visible()
    desk.wait_for_load_state()  # htmx listens once the page has loaded; a person is slower
    item = desk.get_by_label("办理事项")
    item.select_option(label="低保申请")
    questions = desk.get_by_label("家庭人口")
    try:  # htmx brings the item's own questions and materials
        expect(questions).to_be_visible(timeout=5_000)
    except AssertionError:  # the browser chose before htmx had bound the select: choose again
        item.dispatch_event("change")
        expect(questions).to_be_visible(timeout=20_000)
    desk.get_by_label("家庭人口").fill("4")
    desk.get_by_label("户口簿").check()  # 收入证明 not yet issued by the employer
    desk.get_by_label("群众同意短信告知").check()
    desk.get_by_role("button", name="受理").click()
    expect(desk.get_by_text("尚缺材料")).to_be_visible()
    number = desk.locator("h1").inner_text().split()[-1]

    # The receipt tells her once what to bring; its QR code opens on her phone.
    desk.get_by_role("button", name="打印受理回执").click()
    download = desk.get_by_role("link", name="下载 PDF")
    expect(download).to_be_visible(timeout=60_000)
    with desk.expect_download() as info:
        download.click()
    with open(info.value.path(), "rb") as f:
        urls = qr_urls(f.read())
    assert urls and urls[0].startswith(live_server), urls
    phone.goto(urls[0])
    expect(phone.get_by_label("事项编号")).to_have_value(number)  # she adds her phone's tail
    phone.get_by_label("手机号后四位").fill("5678")
    phone.get_by_role("button", name="查询").click()
    expect(phone.get_by_text("低保申请").first).to_be_visible()

    # Days later: the ledger and the centre's queue show it waiting for documents.
    desk.goto(f"{base}/hall/queue")
    expect(desk.locator("tr", has_text=number)).to_contain_text("待补交材料")
    desk.goto(f"{base}/matters/")
    row = desk.locator("tr", has_text=number)
    expect(row).to_contain_text("待补交材料")
    expect(row).to_contain_text("周良庄村")
    row.get_by_role("link", name="补交材料").click()
    desk.get_by_label("收入证明").check()
    desk.get_by_role("button", name="登记补交").click()
    expect(desk.get_by_text("已登记补交的材料")).to_be_visible()

    # The centre takes it and answers: done (the hall closes on its reply).
    desk.goto(f"{base}/hall/queue")
    desk.locator("tr", has_text=number).get_by_role("button", name="接手办理").click()
    desk.locator("tr", has_text=number).get_by_role("link", name="答复/办结").click()
    desk.get_by_label("答复（公开在回音壁）").fill("经审核符合条件，已纳入低保，下月起发放。")
    desk.get_by_role("button", name="答复").click()
    expect(desk.locator("dd strong", has_text="已办结")).to_be_visible()

    # The call-back, by the call-back desk (not the clerk who did the work): her own words.
    matter_page = desk.url
    caller = browser.new_context(locale="zh-CN").new_page()
    caller.goto(f"{live_server}/login")
    caller.get_by_label("用户名").fill("huifang-desk")
    caller.get_by_label("密码").fill("callback-pass-1")
    caller.get_by_role("button", name="登录").click()
    caller.wait_for_url("**/dashboard")
    caller.goto(matter_page)
    callback = caller.locator("form[action*='/revisits/']")
    callback.get_by_label("群众怎么说（记录原话）").fill("钱已经到账了，谢谢你们。")
    callback.get_by_label("群众评价").select_option(label="非常满意")
    callback.get_by_role("button", name="记录回访").click()
    expect(caller.get_by_text("钱已经到账了，谢谢你们。").first).to_be_visible()
    expect(caller.locator("form[action*='/revisits/']")).to_have_count(0)
