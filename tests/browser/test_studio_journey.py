"""Issue 7 in the browser: a month's rota generated, a reception with two suggestions, one
referred, both answered, and the studio's reply rate on its public page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.studio import operations as ops
from app.studio.models import Representative, Studio
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("shilongcs", services=("studio",))
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, Role.PARTY_REP, name="甘世杰")
        admin.set_password("studio-pass-1")
        studio = Studio(township_id=t.id, name="中山社区党代表工作室", place="党群服务中心",
                        pattern=ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(studio)
        db.session.flush()
        for name in ("甘世杰", "邓美玲", "黎志强"):
            db.session.add(Representative(township_id=t.id, studio_id=studio.id, name=name))
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, studio


def test_rota_reception_referral_replies_and_reply_rate(live_server, browser, town):
    t, admin, studio = town
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码").fill("studio-pass-1")
    page.get_by_role("button", name="登录").click()
    base = f"{live_server}/t/{t.slug}/studio/{studio.id}"
    page.goto(f"{base}?month=2030-06")
    page.get_by_label("月份").fill("2030-06")
    page.get_by_role("button", name="按开放时间排班").click()
    expect(page.get_by_text("已排出2030年6月的 5 次值班")).to_be_visible()
    rows = page.locator("table").first.locator("tbody tr")
    expect(rows).to_have_count(5)

    page.get_by_role("link", name="登记接待").click()
    page.get_by_label("接待方式").select_option(label="现场接待")
    page.get_by_label("接待的党代表").select_option(label="邓美玲")
    page.get_by_label("来访群众", exact=True).fill("赵桂兰")
    page.get_by_label("主题").fill("社区环境")
    page.get_by_label("意见建议或诉求").fill("增加垃圾清运次数\n修补南巷坑洼路面")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("已登记接待")).to_be_visible()

    road = page.locator("article", has_text="修补南巷坑洼路面")
    road.locator("summary", has_text="转办部门").click()
    road.get_by_label("转办部门或中心").fill("镇规划建设办")
    road.get_by_role("button", name="转办").click()
    expect(page.locator("article", has_text="修补南巷坑洼路面")).to_contain_text("已转镇规划建设办")
    for title, answer in (("增加垃圾清运次数", "已协调环卫所每日清运两次。"),
                          ("修补南巷坑洼路面", "规划建设办已安排月底前修补。")):
        card = page.locator("article", has_text=title)
        card.locator("summary", has_text="答复").click()
        card.get_by_label("答复内容").fill(answer)
        card.get_by_role("button", name="答复").click()
        expect(page.locator("article", has_text=title)).to_contain_text(answer)

    page.goto(base)
    expect(page.locator("tr.studio-total .reply-rate")).to_have_text("100.0%")
    page.goto(f"{live_server}/t/{t.slug}/studios")
    expect(page.locator(".reply-rate").first).to_have_text("100.0%")
    expect(page.get_by_text("赵桂兰")).to_have_count(0)



def test_a_resident_on_a_phone_sees_who_is_on_duty_and_leaves_a_suggestion(
        app, live_server, phone, town):
    from app.matters.operations import local_today

    t, admin, studio = town
    with app.app_context():
        bind_township(db.session, t.id)
        row = db.session.get(Studio, (t.id, studio.id))
        today = local_today(t)
        ops.generate_month(row, today, reps_per_session=2)
        ops.generate_month(row, today.replace(day=28) + timedelta(days=7), reps_per_session=2)
        first = ops.sessions_between(row, today, today + timedelta(days=62))[0]
        on_duty = [a.member.name for a in first.assignments]
        db.session.commit()
        bind_township(db.session, None)
    page = phone
    page.goto(f"{live_server}/t/{t.slug}/studios")
    card = page.locator("section.studio-card", has_text="中山社区党代表工作室")
    expect(card).to_contain_text("周六 09:00-11:30")
    expect(card.locator(".next-sessions li").first).to_contain_text("、".join(on_duty))
    card.get_by_role("link", name="网上留言建议").click()
    page.get_by_label("主题").fill("停车")
    page.get_by_label("您的意见建议").fill("菜市场门口乱停车，建议划线")
    page.get_by_label("手机号码（用于答复，可不填）").fill("13900003333")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="谢谢您的建议！")).to_be_visible()
    assert page.locator("#number").inner_text().startswith(t.code)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # fits the phone
