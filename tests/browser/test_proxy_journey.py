"""Issue 6 on a phone: an errand with two originals handed over and back, then closed; a visit
that raises a dispute turned into a matter; the village's coverage moves."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.matters.operations import local_today
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("MINQING_SHOTS")  # a folder: save phone screenshots there to look at


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("xiaowang")
        bind_township(db.session, t.id)
        village = factories.village(t, "小王庄")
        centre = factories.centre(t, "社会事务服务中心")
        assistant = factories.user(t, Role.VILLAGE_ASSISTANT, name="周助理", village=village)
        assistant.set_password("assist-pass-1")
        factories.service_item(t, centre, name="高龄津贴申领", proxiable=True, materials=[
            {"name": "身份证", "original": True, "copies": 1},
            {"name": "户口簿", "original": True, "copies": 1}])
        factories.service_item(t, centre, name="营业执照办理", proxiable=False)
        household = factories.household(t, village, head="王大爷")
        factories.resident_of(household)
        db.session.commit()
        bind_township(db.session, None)
        return t, assistant


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_errand_custody_and_visit_to_matter_on_a_phone(live_server, phone, town):
    t, assistant = town
    page = phone
    base = f"{live_server}/t/{t.slug}"
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(assistant.username)
    page.get_by_label("密码").fill("assist-pass-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="登录")).to_have_count(0)

    # Open an errand with two originals.
    page.goto(f"{base}/proxy/errands/new")
    options = page.locator("select[name=item_id] option").all_inner_texts()
    assert "营业执照办理" not in options  # only proxiable items
    page.get_by_label("代办事项").select_option(label="高龄津贴申领")
    # The item's materials fill the rows.
    expect(page.locator("input[name='documents-1-name']")).to_have_value("户口簿")
    page.locator("input[name='resident_id_q']").fill("王大爷")
    page.get_by_label(re.compile("王大爷")).check()
    _shot(page, "errand-new")
    page.get_by_role("button", name="登记并出具回执").click()
    custody = page.locator("#custody")
    expect(custody).to_contain_text("在代办员手中")

    # Hand them to the centre and back.
    page.get_by_label("中心接收人").fill("窗口张芳")
    page.get_by_role("button", name="已交中心").click()
    expect(custody).to_contain_text("窗口张芳")
    page.get_by_label("办理结果").fill("津贴已核准，下月发放。")
    page.get_by_role("button", name="中心办结，材料退回代办员").click()
    expect(custody).to_contain_text("已退回代办员")
    # Originals still out: closing is refused, in plain words.
    page.get_by_role("button", name="办结销号").click()
    expect(page.get_by_text("原件尚未归还群众")).to_be_visible()
    page.get_by_label("群众已当面确认收回全部材料").check()
    page.get_by_role("button", name="材料已还群众").click()
    expect(custody).to_contain_text("已归还群众")
    page.get_by_role("button", name="办结销号").click()
    expect(page.locator("#errand-state")).to_have_text("已办结")
    _shot(page, "errand-closed")
    page.goto(f"{base}/proxy/errands")
    expect(page.get_by_text("无在外原件")).to_be_visible()
    _shot(page, "errands")

    # Coverage before the visit: nobody visited today.
    today = local_today(t).isoformat()
    coverage = f"{base}/visits/coverage?start={today}&end={today}"
    page.goto(coverage)
    expect(page.locator("#coverage-total")).to_contain_text("已走访 0 户")

    # Record a visit that raises a dispute, and make it a matter.
    page.goto(f"{base}/visits/new")
    page.get_by_label("走访户").select_option(index=1)
    page.get_by_label("电话").check()
    page.get_by_label("邻里纠纷").fill("与邻居因排水沟有争执。")
    _shot(page, "visit-new")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#finding-dispute")).to_contain_text("排水沟")
    page.locator("#finding-dispute").get_by_role("button", name="转为事项").click()
    expect(page.locator("#finding-dispute")).to_contain_text("已转为事项")

    page.goto(coverage)
    expect(page.locator("#coverage-total")).to_contain_text("已走访 1 户")
    expect(page.get_by_text("全部已走访")).to_be_visible()
    _shot(page, "coverage")


def test_the_page_clock_follows_the_servers(live_server, phone):
    """The browser's "today" is the township's, also when the suite's clock is moved."""
    from app.clock import township_today

    phone.goto(f"{live_server}/login")
    browser_day = phone.evaluate(
        "new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date())")
    assert browser_day == township_today().isoformat()


def _login(page, live_server, assistant):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(assistant.username)
    page.get_by_label("密码").fill("assist-pass-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="登录")).to_have_count(0)


def test_new_villager_documents_and_custody_per_document_on_a_phone(live_server, phone, browser,
                                                                      town):
    """A lost social-security card: the assistant registers the villager inside the errand
    form, the rows come from the item and one is added; the office keeps the invoice, issues the
    new card, the villager signs for it; her tracking page says so for each document."""
    t, assistant = town
    page = phone
    base = f"{live_server}/t/{t.slug}"
    _login(page, live_server, assistant)

    # The navigation shows every entry on a 360 px screen, 村级代办 among them.
    page.goto(f"{base}/proxy/errands")
    nav = page.locator("nav.topnav")
    entry = nav.get_by_role("link", name="村级代办")
    expect(entry).to_be_visible()
    box = entry.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth")
    for link in nav.get_by_role("link").all():
        b = link.bounding_box()
        assert b and b["x"] + b["width"] <= 360, link.inner_text()

    page.get_by_role("link", name="＋ 登记代办").click()
    page.get_by_label("代办事项").select_option(label="高龄津贴申领")
    expect(page.locator("input[name='documents-0-name']")).to_have_value("身份证")
    expect(page.locator("input[name='documents-1-name']")).to_have_value("户口簿")
    page.get_by_role("button", name="＋ 再加一行材料").click()
    page.locator("input[name='documents-2-name']").fill("医疗发票原件")
    page.get_by_label("情况说明").fill("社保卡丢失，委托补办。")

    # Nobody of that name: register her without leaving the form.
    page.locator("input[name='resident_id_q']").fill("赵春花")
    expect(page.get_by_text("没有找到“赵春花”")).to_be_visible()
    page.get_by_text("找不到？登记新群众").click()
    page.locator("input[name='new-name']").fill("赵春花")
    page.locator("input[name='new-phone']").fill("0734-8123456")
    page.locator("input[name='new-address']").fill("5组3号")
    _shot(page, "errand-register")
    page.get_by_role("button", name="登记并选中").click()
    expect(page.get_by_text("已登记：赵春花，已选中。")).to_be_visible()
    expect(page.get_by_label(re.compile("赵春花"))).to_be_checked()
    expect(page.locator("input[name='documents-2-name']")).to_have_value("医疗发票原件")
    expect(page.get_by_label("情况说明")).to_have_value("社保卡丢失，委托补办。")
    page.get_by_role("button", name="登记并出具回执").click()
    custody = page.locator("#custody")
    expect(custody).to_contain_text("医疗发票原件")
    number = page.locator("h1 small").inner_text().strip()

    # At the centre: the invoice stays with the office (who, why).
    page.get_by_label("中心接收人").fill("窗口张芳")
    page.get_by_role("button", name="已交中心").click()
    row = custody.locator("tr", has_text="医疗发票原件")
    row.get_by_text("不退回：登记留存或用掉").click()
    row.get_by_label("去向").select_option("kept")
    row.get_by_label("留存人（部门、姓名）").fill("社会事务中心 张芳")
    row.get_by_label("原因 / 用途").fill("报销凭证存档")
    row.get_by_role("button", name="登记去向").click()
    expect(custody.locator("tr", has_text="医疗发票原件")).to_contain_text("乡镇留存")
    page.get_by_label("办理结果").fill("新卡已制好。")
    page.get_by_role("button", name="中心办结，材料退回代办员").click()
    expect(custody).to_contain_text("已退回代办员")

    # The new card, issued and signed for.
    page.get_by_text("登记新发证件（如新社保卡）").click()
    page.get_by_label("新发证件名称").fill("新社会保障卡")
    page.get_by_role("button", name="登记新发证件").click()
    expect(custody.locator("tr", has_text="新社会保障卡")).to_contain_text("新发证件")
    page.get_by_label("群众已当面确认收回全部材料").check()
    page.get_by_role("button", name="材料已还群众").click()
    expect(custody.locator("tr", has_text="新社会保障卡")).to_contain_text("赵春花 于")
    page.get_by_role("button", name="办结销号").click()
    expect(page.locator("#errand-state")).to_have_text("已办结")
    _shot(page, "errand-custody")

    # Her own phone, signed out: the tracking page says where each document ended.
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True,
                                  is_mobile=True, locale="zh-CN")
    resident = context.new_page()
    resident.goto(f"{base}/track")
    resident.locator("input[name=number]").fill(number)
    resident.locator("input[name=phone_tail]").fill("3456")
    resident.get_by_role("button", name="查询").click()
    docs = resident.locator("#documents")
    expect(docs).to_contain_text("医疗发票原件")
    expect(docs.locator("li", has_text="医疗发票原件")).to_contain_text("由乡镇留存")
    expect(docs.locator("li", has_text="医疗发票原件")).to_contain_text("报销凭证存档")
    expect(docs.locator("li", has_text="新社会保障卡")).to_contain_text("已交给您")
    expect(docs.locator("li", has_text="身份证")).to_contain_text("已还给您")
    expect(docs).not_to_contain_text("赵春花")  # the name masked on a public page
    _shot(resident, "track-documents")
    context.close()
