"""Issue #16's public-text part of the final journey: a resident raises a matter with a phone
number in it at /raise; the township reviews first, so it waits; an administrator publishes it in
edited words; the board shows it masked, the original stays visible to staff, and the audit log
has the decision."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.matters import publication as pub
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser

ORIGINAL = "南街路灯坏了一个月，急，请打我电话13800138000"


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("gongkai", code="GK", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="许主任")
        admin.set_password("admin-pass-1")
        factories.village(t, "南村")
        db.session.commit()
        bind_township(db.session, None)
        return t, admin


def test_a_submission_with_a_phone_waits_is_published_reworded_and_shown_masked(
        browser, page, live_server, town, app):
    t, admin = town
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码").fill("admin-pass-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard")

    # The township chooses review first, on its publication settings (linked from the rules).
    page.goto(f"{live_server}/t/{t.slug}/matters/rules")
    page.get_by_role("link", name="回音壁公开设置").click()
    page.get_by_label("先审核后公开").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("公开设置已保存")).to_be_visible()

    # A resident, on a phone, raises it.
    resident = browser.new_context(viewport={"width": 360, "height": 740},
                                   locale="zh-CN").new_page()
    resident.goto(f"{live_server}/t/{t.slug}/raise")
    resident.get_by_label("您要反映的事").fill(ORIGINAL)
    resident.get_by_label("您所在的村（社区）").select_option(label="南村")
    resident.get_by_label("您的姓名").fill("陈小红")
    resident.get_by_label("手机号（用于查询和回复，不公开）").fill("13900002222")
    resident.get_by_label("公开（姓名打码，电话和证件号不公开）").check()
    resident.get_by_role("button", name="提交").click()
    expect(resident.get_by_text("事项编号").first).to_be_visible()
    resident.goto(f"{live_server}/t/{t.slug}/board")
    expect(resident.locator("article").filter(has_text="南街路灯")).to_have_count(0)

    # It waits in the review queue; the reviewer sees the original and publishes new words.
    page.goto(f"{live_server}/t/{t.slug}/matters/")
    page.get_by_role("link", name="公开审核").click()
    card = page.locator("section.card").filter(has_text=ORIGINAL)
    expect(card).to_contain_text("含电话或证件号码")
    card.get_by_label("公开的标题").fill("南街路灯坏了一个月，请尽快修，电话13800138000")
    card.get_by_role("button", name="发布").click()
    expect(page.get_by_text("已发布到回音壁")).to_be_visible()

    # The board shows it, the number masked, the name masked.
    resident.goto(f"{live_server}/t/{t.slug}/board")
    item = resident.locator("article").filter(has_text="南街路灯坏了一个月，请尽快修")
    expect(item).to_contain_text("138****8000")
    expect(item).to_contain_text("陈**")
    expect(item).not_to_contain_text("13800138000")
    expect(item).not_to_contain_text("急，请打我电话")
    resident.context.close()

    # Staff still read the original on the matter's page, and who changed the wording.
    with app.app_context():
        from app.matters.models import Matter

        matter = db.session.scalar(select(Matter).where(Matter.township_id == t.id))
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.township_id == t.id,
            AuditEvent.action.in_(("publication.publish", "publication.edit")))).all()
        assert pub.settings_for_id(t.id).review is True
    page.goto(f"{live_server}/t/{t.slug}/matters/{matter.id}")
    expect(page.get_by_text("群众原文")).to_be_visible()
    expect(page.locator("dd").filter(has_text="群众原文")).to_contain_text(ORIGINAL)
    expect(page.locator(".timeline")).to_contain_text("修改公开文字")
    expect(page.locator(".timeline")).to_contain_text("许主任")
    assert {e.action for e in events} == {"publication.publish", "publication.edit"}
    assert all(e.actor_id == admin.id for e in events)
