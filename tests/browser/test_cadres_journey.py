"""Issue: an evaluation round with three participants rating two cadres, closed with results,
and the organisation's score combined with it (双评价); a monthly required action ticked with a
linked visit; a five-question knowledge test; a leader's 下访 from the phone ticking on the
visit-frequency page, the 日督查 page and a household's 民情表; a case returned for changes,
edited and sent again; an assembly's minutes with attendance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.cadres import operations as ops
from app.extensions import db
from app.households.models import Visit
from app.matters.operations import local_today
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("ganbu", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘书记")
        leader.set_password("leader-pass-1")
        zhang = factories.user(t, Role.CADRE, name="张卫东")
        zhang.set_password("cadre-pass-1")
        li = factories.user(t, Role.CADRE, name="李秀梅")
        h = factories.household(t, head="王德福")
        db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=zhang.id,
                             visited_on=local_today(t), kind="xiafang", notes="了解低保"))
        ops.create_action(t, name="每月一次下访", frequency="monthly", owner=zhang)
        for n in range(6):
            ops.add_question(t, kind="true_false", text=f"第{n + 1}题：联户党员每人联系约十户。",
                             options=[], answer=[0], study_note="见党员联户制度")
        db.session.commit()
        return t, leader, zhang, li


def _sign_in(page, live_server, username, password):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard")


def test_evaluation_round_with_three_participants(browser, live_server, town):
    t, leader, zhang, li = town
    page = browser.new_page()
    _sign_in(page, live_server, leader.username, "leader-pass-1")
    page.goto(f"{live_server}/t/{t.slug}/cadres/rounds")
    page.get_by_label("评议名称").fill("2026年下半年驻村干部评议")
    page.get_by_label("张卫东").check()
    page.get_by_label("李秀梅").check()
    page.get_by_label("最少参评人数").fill("3")
    page.get_by_role("button", name="发起").click()
    expect(page.locator("h1")).to_have_text("2026年下半年驻村干部评议")
    page.get_by_label("人数").fill("3")
    page.get_by_role("button", name="生成链接").click()
    links = page.locator("#links input.copy")
    expect(links).to_have_count(3)
    urls = [links.nth(i).input_value() for i in range(3)]

    choices = [("非常满意", "不满意"), ("满意", "基本满意"), ("满意", "满意")]
    for url, (for_zhang, for_li) in zip(urls, choices, strict=True):
        participant = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
        participant.goto(url)
        fieldsets = participant.locator("fieldset")
        fieldsets.filter(has_text="张卫东").get_by_label(for_zhang, exact=True).check()
        fieldsets.filter(has_text="李秀梅").get_by_label(for_li, exact=True).check()
        participant.get_by_role("button", name="提交评价").click()
        expect(participant.get_by_text("您已评议完全部 2 位干部")).to_be_visible()
        # The same link cannot rate again.
        participant.goto(url)
        expect(participant.get_by_text("您已评议完全部 2 位干部")).to_be_visible()
        participant.context.close()

    page.reload()
    page.get_by_role("button", name="结束评议并统计").click()
    results = page.locator("#results")
    expect(results).to_be_visible()
    expect(results.locator("tr").filter(has_text="张卫东")).to_contain_text("100.0%")
    expect(results.locator("tr").filter(has_text="李秀梅")).to_contain_text("66.7%")

    # 双评价: the organisation's score beside the residents' round, combined 60/40.
    page.goto(f"{live_server}/t/{t.slug}/cadres/dual")
    row = page.locator("tbody tr").filter(has_text="张卫东")
    expect(row).to_contain_text("100.0%")
    row.locator("input[name=score]").fill("80")
    row.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    row = page.locator("tbody tr").filter(has_text="张卫东")
    expect(row.locator("td").last).to_have_text("92.0")  # 100 × 60% + 80 × 40%
    expect(page.locator("tbody tr").filter(has_text="李秀梅").locator("td").last) \
        .to_have_text("待评")


def test_cadre_ticks_an_action_with_a_visit_and_takes_a_test(page, live_server, town):
    t, leader, zhang, li = town
    _sign_in(page, live_server, zhang.username, "cadre-pass-1")
    page.goto(f"{live_server}/t/{t.slug}/cadres/actions")
    row = page.locator("tr").filter(has_text="每月一次下访")
    expect(row).to_contain_text("待完成")
    row.locator("select[name=visit_id]").select_option(index=1)
    row.get_by_role("button", name="记录").click()
    row = page.locator("tr").filter(has_text="每月一次下访")
    expect(row).to_contain_text("已完成")
    expect(row).to_contain_text("走访")

    page.goto(f"{live_server}/t/{t.slug}/cadres/")
    page.get_by_role("button", name="开始一次测试").click()
    questions = page.locator("fieldset")
    expect(questions).to_have_count(5)
    for i in range(4):
        questions.nth(i).get_by_label("正确").check()
    questions.nth(4).get_by_label("错误").check()
    page.get_by_role("button", name="交卷").click()
    expect(page.get_by_text("得分：80")).to_be_visible()
    expect(page.get_by_text("见党员联户制度")).to_be_visible()


def test_leader_records_a_down_visit_on_the_phone_and_it_ticks(app, live_server, phone, town,
                                                               monkeypatch):
    """三访: the leader's 下访 from the phone-sized visit form ticks on the frequency page; the
    日督查 page and the household's 民情表 (a document made by a job) are there for him too."""
    t, leader, zhang, li = town
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    monkeypatch.setitem(app.config, "JOBS_THREAD", True)
    page = phone
    _sign_in(page, live_server, leader.username, "leader-pass-1")
    page.goto(f"{live_server}/t/{t.slug}/cadres/frequencies")
    row = page.locator("#freq-leader tr").filter(has_text="刘书记")
    expect(row).to_contain_text("0 / 1")
    expect(row).to_contain_text("未达到")

    page.goto(f"{live_server}/t/{t.slug}/visits/new")
    expect(page.get_by_label("下访")).to_be_checked()  # a leader's visit starts as a 下访
    page.get_by_label("查找农户").fill("王德福")
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_text("找到 1 户")).to_be_visible()
    page.locator("select[name=household_id]").select_option(index=1)
    page.get_by_label("下访").check()
    page.get_by_label("走访情况", exact=True).fill("到联系点了解道路硬化")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/visits/[0-9a-f-]{36}$"))
    expect(page.get_by_text("下访").first).to_be_visible()

    page.goto(f"{live_server}/t/{t.slug}/cadres/frequencies")
    row = page.locator("#freq-leader tr").filter(has_text="刘书记")
    expect(row).to_contain_text("1 / 1")
    expect(row).to_contain_text("已达到")

    page.goto(f"{live_server}/t/{t.slug}/cadres/daily")
    expect(page.get_by_role("heading", name="日督查")).to_be_visible()

    with app.app_context():
        bind_township(db.session, t.id)
        household_id = db.session.scalar(select(Visit.household_id).where(
            Visit.visitor_id == leader.id))
    page.goto(f"{live_server}/t/{t.slug}/households/{household_id}")
    page.get_by_role("button", name="打印民情表").click()
    download_link = page.get_by_role("link", name="下载 PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    with open(info.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_a_case_returned_for_changes_is_edited_and_sent_again(browser, live_server, town):
    t, leader, zhang, li = town
    author = browser.new_page()
    _sign_in(author, live_server, zhang.username, "cadre-pass-1")
    author.goto(f"{live_server}/t/{t.slug}/cadres/cases")
    author.get_by_label("标题").fill("一次下访解决了村道积水")
    author.get_by_label("案例正文").fill("王德福反映村道积水，当周疏通。")
    author.get_by_role("button", name="提交审核").click()
    case = author.locator("section.card").filter(has_text="一次下访解决了村道积水")
    expect(case).to_contain_text("待审核")

    reviewer = browser.new_page()
    _sign_in(reviewer, live_server, leader.username, "leader-pass-1")
    reviewer.goto(f"{live_server}/t/{t.slug}/cadres/cases")
    case = reviewer.locator("section.card").filter(has_text="一次下访解决了村道积水")
    case.get_by_label("修改意见（退回时必填）").fill("请写明群众的评价")
    case.get_by_role("button", name="退回修改").click()
    # The badge, not the card: the card holds the button "退回修改" before the decision is made.
    expect(reviewer.locator(".flash")).to_contain_text("已审核")
    expect(reviewer.locator("section.card").filter(has_text="一次下访解决了村道积水")
           .locator(".badge")).to_have_text("退回修改")

    author.goto(f"{live_server}/t/{t.slug}/cadres/cases")
    author.get_by_role("link", name="按意见修改后重新提交").click()
    author.wait_for_url("**/edit")
    expect(author.locator(".flash")).to_contain_text("请写明群众的评价")
    author.get_by_label("案例正文").fill("王德福反映村道积水，当周疏通，他说“满意”。")
    author.get_by_role("button", name="重新提交审核").click()
    author.wait_for_url(re.compile(r"/cadres/cases$"))
    case = author.locator("section.card").filter(has_text="当周疏通，他说")
    expect(case).to_contain_text("待审核")
    case.locator("details.history summary").click()
    expect(case.locator("details.history li")).to_have_count(2)  # returned, then sent again


def test_assembly_minutes_with_attendance(app, live_server, page, town, monkeypatch):
    from datetime import timedelta

    from app.assembly import operations as assembly_ops

    t, leader, zhang, li = town
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    monkeypatch.setitem(app.config, "JOBS_THREAD", True)
    with app.app_context():
        bind_township(db.session, t.id)
        a = assembly_ops.create_assembly(t, leader, title="上半年有奖批评大会",
                                         held_on=local_today(t) + timedelta(days=3),
                                         venue="镇政府大会议室")
        assembly_ops.add_team(a, name="第一批评团", branch="东村党支部", members=["甲", "乙"])
        assembly_ops.add_candidates(a, ["评委一", "评委二", "评委三"], kind="resident")
        assembly_ops.draw_jury(a, t, size=3)
        db.session.commit()
        assembly_id = a.id
    _sign_in(page, live_server, leader.username, "leader-pass-1")
    page.goto(f"{live_server}/t/{t.slug}/cadres/minutes/assembly/{assembly_id}")
    expect(page.get_by_role("heading", name="会议纪要")).to_be_visible()
    page.get_by_label("主持人").fill("刘书记")
    for name in ("评委一", "评委二", "甲", "乙"):
        expect(page.get_by_label(name)).to_be_checked()  # the roster starts as present
    page.get_by_label("评委三").uncheck()
    page.get_by_label("主要内容").fill("共收到批评意见两条，当场打分。")
    page.get_by_role("button", name="保存并打印").click()
    download_link = page.get_by_role("link", name="下载 PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    page.goto(f"{live_server}/t/{t.slug}/cadres/minutes/assembly/{assembly_id}")
    expect(page.get_by_text("到会 4 人，缺席 1 人。")).to_be_visible()
