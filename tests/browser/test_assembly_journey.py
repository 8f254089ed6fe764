"""Issue 8 in a browser: announce an assembly, register two teams, draw a jury of three, run the
session with each juror scoring two criticisms from their own browser context, publish the
results, and follow one criticism to the resident's satisfied close."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.matters.operations import local_today
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("MINQING_SHOTS")  # a folder: save screenshots there to look at


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("chengnan-b", services=("assembly",))
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="黄振华")
        admin.set_password("admin-pass-1")
        factories.user(t, Role.CADRE, name="韦家兴")
        # The call-back is heard by a leader, never by whoever registered or answered it.
        caller = factories.user(t, Role.LEADER, name="督查室小陆")
        caller.username = "duchashi-lu"
        caller.set_password("callback-pass-2")
        today = local_today(t)
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, today


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"assembly-{name}.png"), full_page=True)


def _score(page, link, title, points):
    page.goto(link)
    expect(page.locator("#juror-current")).to_have_text(title)
    for label, value in zip(("批得准", "批得狠", "批得有方向"), points, strict=True):
        page.get_by_label(label).select_option(str(value))
    page.get_by_role("button", name="提交评分").click()
    expect(page.get_by_text("已提交，谢谢！")).to_be_visible()
    expect(page.get_by_role("button", name="提交评分")).to_have_count(0)


def test_assembly_from_announcement_to_a_satisfied_close(live_server, browser, town):
    t, admin, today = town
    base = f"{live_server}/t/{t.slug}"
    clerk_context = browser.new_context(locale="zh-CN")
    page = clerk_context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码").fill("admin-pass-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="登录")).to_have_count(0)

    # Prepare and announce, eight days ahead.
    page.goto(f"{base}/assembly/assemblies/new")
    page.get_by_label("大会名称").fill("下半年有奖批评大会")
    page.get_by_label("召开日期").fill((today + timedelta(days=8)).isoformat())
    page.get_by_label("地点").fill("城南镇文化广场")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#assembly-state")).to_have_text("草稿")
    page.get_by_role("button", name="发布公告").click()
    expect(page.locator("#assembly-state")).to_have_text("已公告")

    # Two teams with their members.
    for name, members in (("石鼓村批评团", "曾海燕、付美玲、江长青"),
                          ("梨子园村批评团", "秦长青\n江秋菊\n付红梅")):
        page.get_by_label("批评团名称").fill(name)
        page.get_by_label("成员（每行一人，或用顿号分开）").fill(members)
        page.get_by_role("button", name="登记批评团").click()
        expect(page.locator("#teams")).to_contain_text(name)
    expect(page.locator("#teams")).to_contain_text("秦长青、江秋菊、付红梅")

    # The jury: three names on the list, all three drawn at random.
    page.get_by_label("评委候选名单（每行一人）").fill("周建国\n吴桂兰\n郑国强")
    page.get_by_role("button", name="加入名单").click()
    page.get_by_label("人数").fill("3")
    page.get_by_role("button", name="抽取评审团").click()
    expect(page.locator("#jury h2")).to_contain_text("已抽取 3 人")

    # Two criticisms, one per team, the first with its responsible person.
    for title, team in (("城南社区路灯坏了三个月没人修", "石鼓村批评团"),
                        ("便民服务中心午休时间不办事", "梨子园村批评团")):
        page.get_by_label("批评意见", exact=True).fill(title)
        page.get_by_label("由哪个批评团提出").select_option(label=team)
        page.get_by_label("整改责任人").select_option(label="韦家兴")
        page.get_by_role("button", name="加入批评意见").click()
        expect(page.locator("#criticisms")).to_contain_text(title)

    # The public notice is up.
    visitor = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="zh-CN").new_page()
    visitor.goto(f"{base}/assemblies/")
    visitor.get_by_role("link", name="下半年有奖批评大会").click()
    expect(visitor.locator("#announcement")).to_contain_text("城南镇文化广场")
    expect(visitor.locator("#teams")).to_contain_text("梨子园村批评团")

    # The day: links handed out, session opened.
    page.goto(page.url.split("#")[0] + "/jury-links")
    links = page.locator("#jury-links a").evaluate_all("els => els.map(e => e.href)")
    assert len(links) == 3
    page.go_back()
    # Announced for a week ahead and opened today: only with a reason, which is kept.
    page.get_by_role("button", name="提前开始大会").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写提前的原因")
    page.get_by_label("提前召开的原因").fill("演练：镇党委决定提前召开")
    page.get_by_role("button", name="提前开始大会").click()
    expect(page.get_by_role("heading", name="会务评分屏")).to_be_visible()

    jurors = [browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="zh-CN").new_page() for _ in links]
    plans = {"城南社区路灯坏了三个月没人修": [(10, 9, 9), (9, 9, 8), (10, 10, 9)],
             "便民服务中心午休时间不办事": [(6, 7, 6), (7, 6, 6), (5, 6, 7)]}
    for position, (title, points) in enumerate(plans.items(), 1):
        page.locator(f"#criticism-{position}").get_by_role("button", name="开始评分").click()
        expect(page.locator("#current h2")).to_contain_text(title)
        for juror, link, p in zip(jurors[:2], links[:2], points[:2], strict=True):
            _score(juror, link, title, p)
        # Two of three: the scores stay hidden, even on the clerk's screen.
        page.reload()
        expect(page.locator("#round-progress")).to_contain_text("已评 2 / 3")
        expect(page.locator("#round-scores")).to_contain_text("分数在本轮结束之前不显示")
        _score(jurors[2], links[2], title, points[2])
        # htmx polls: complete, and the scores still hidden until the round is closed.
        expect(page.locator("#round-scores")).to_contain_text("全部到会评委已评分")
        _shot(page, f"round-{position}")
        page.get_by_role("button", name="结束本条评分").click()
        expect(page.locator(f"#criticism-{position}")).to_contain_text("评分结束")
    jurors[0].reload()
    expect(jurors[0].get_by_role("button", name="提交评分")).to_have_count(0)

    page.get_by_role("button", name="全部评完，结束评分").click()
    expect(page.locator("#assembly-state")).to_have_text("评分结束")
    page.get_by_role("button", name="计算并公布结果").click()
    expect(page.locator("#assembly-state")).to_have_text("结果已公布")
    expect(page.locator("#criticisms")).to_contain_text("第 1 名 · 一等奖")

    visitor.reload()
    results = visitor.locator("#criticisms")
    expect(results).to_contain_text("一等奖（300 元）")
    expect(results.locator("tbody tr").first).to_contain_text("城南社区路灯坏了三个月没人修")
    _shot(visitor, "results")

    # Follow the winning criticism: reply, revisit, the resident satisfied, closed.
    page.locator("#criticisms tr").filter(has_text="城南社区路灯").get_by_role("link").last.click()
    expect(page.get_by_text("有奖批评").first).to_be_visible()
    page.get_by_label("答复（公开在回音壁）").fill("已更换3盏路灯，并建立每月巡查制度。")
    page.get_by_role("button", name="答复", exact=True).click()
    expect(page.get_by_text("已答复").first).to_be_visible()
    page.get_by_role("button", name="销号").click()  # not yet: the resident has not said
    expect(page.get_by_text("满意后方可销号").first).to_be_visible()
    matter_page = page.url
    caller = browser.new_context(locale="zh-CN").new_page()
    caller.goto(f"{live_server}/login")
    caller.get_by_label("用户名").fill("duchashi-lu")
    caller.get_by_label("密码").fill("callback-pass-2")
    caller.get_by_role("button", name="登录").click()
    caller.wait_for_url("**/dashboard")
    caller.goto(matter_page)
    caller.get_by_label("群众怎么说（记录原话）").fill("路灯都亮了，晚上走路放心了")
    caller.get_by_label("群众评价").select_option(label="满意")
    caller.get_by_role("button", name="记录回访").click()
    expect(caller.locator("dd").filter(has_text="已办结")).to_be_visible()
    caller.context.close()

    visitor.reload()
    row = visitor.locator("#criticisms tbody tr").filter(has_text="城南社区路灯")
    expect(row).to_contain_text("已办结")
    expect(row).to_contain_text("已更换3盏路灯")
    _shot(visitor, "followed-up")
    for context in {clerk_context, visitor.context, *(j.context for j in jurors)}:
        context.close()
