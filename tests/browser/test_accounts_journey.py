"""Issue 16's journey, the accounts part: an administrator deactivates a departed cadre, who then
cannot sign in; the cadre's households and open matter are handed over; the audit log shows it
all. On a phone and on a desktop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ledger
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": dict(viewport={"width": 360, "height": 740}, has_touch=True,
                           is_mobile=True),
             "desktop": dict(viewport={"width": 1280, "height": 860})}


@pytest.fixture
def township(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="周管理")
        admin.set_password("harbor-lights-61")
        leaving = factories.user(t, Role.CADRE, name="吴离任")
        leaving.set_password("paper-crane-48")
        successor = factories.user(t, Role.CADRE, name="郑接手")
        village = factories.village(t, "南庄村")
        factories.household(t, village, head="钱大爷", contact_cadre_id=leaving.id)
        factories.household(t, village, head="孙大妈", contact_cadre_id=leaving.id)
        matter = factories.matter(t, title="门前排水沟堵了", actor=admin)
        ledger.assign(matter, admin, assignee=leaving)
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, leaving, successor


def _sign_in(page, live_server, t, username, password):
    page.goto(f"{live_server}/t/{t.slug}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("device", VIEWPORTS)
def test_deactivate_a_departed_cadre_hand_over_and_read_the_log(browser, live_server, township,
                                                                device):
    t, admin, leaving, successor = township
    # The cadre is signed in on their own phone, with "stay signed in".
    cadre = browser.new_context(locale="zh-CN", **VIEWPORTS["phone"]).new_page()
    cadre.goto(f"{live_server}/t/{t.slug}/login")
    cadre.get_by_label("用户名").fill(leaving.username)
    cadre.get_by_label("密码", exact=True).fill("paper-crane-48")
    cadre.get_by_label("在这台电脑上保持登录").check()
    cadre.get_by_role("button", name="登录").click()
    cadre.wait_for_url(f"**/t/{t.slug}/dashboard")

    page = browser.new_context(locale="zh-CN", **VIEWPORTS[device]).new_page()
    _sign_in(page, live_server, t, admin.username, "harbor-lights-61")
    page.wait_for_url(f"**/t/{t.slug}/dashboard")
    page.goto(f"{live_server}/t/{t.slug}/staff")
    page.get_by_role("link", name="吴离任").click()
    handover = page.locator("#handover")
    expect(handover).to_contain_text("在办事项 1 件，联系户 2 户")
    expect(handover).to_contain_text("钱大爷")
    expect(handover).to_contain_text("门前排水沟堵了")

    page.get_by_label("停用原因").fill("调到县里工作")
    page.get_by_role("button", name="停用账号").click()
    expect(page.get_by_text("已停用 吴离任 的账号")).to_be_visible()
    expect(page.locator("#account-state")).to_contain_text("调到县里工作")

    # The cadre's open session is over; signing in again is refused, plainly.
    cadre.reload()
    expect(cadre.get_by_role("button", name="登录")).to_be_visible()
    cadre.get_by_label("用户名").fill(leaving.username)
    cadre.get_by_label("密码", exact=True).fill("paper-crane-48")
    cadre.get_by_role("button", name="登录").click()
    expect(cadre.get_by_text("该账号已停用，无法登录")).to_be_visible()
    cadre.context.close()

    # The hand-over, in one step.
    page.get_by_label("交给").select_option(label=f"郑接手（{successor.username}）")
    page.get_by_label("交接说明").fill("南庄村全部联系户")
    page.get_by_role("button", name="全部交接").click()
    expect(page.get_by_text("已交给 郑接手：联系户 2 户，事项 1 件")).to_be_visible()
    expect(page.locator("#handover")).to_contain_text("没有在办事项或联系户需要交接")

    # The audit log shows both, and filters to one of them.
    page.goto(f"{live_server}/t/{t.slug}/audit/")
    events = page.locator("#audit-events")
    expect(events).to_contain_text("停用账号 吴离任")
    expect(events).to_contain_text("吴离任 的工作交给 郑接手")
    page.get_by_label("操作", exact=True).select_option(label="工作交接")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("共 1 条")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.context.close()
