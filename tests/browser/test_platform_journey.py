"""A visitor opens a township, a township administrator signs in and switches a service model on."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def township_with_admin(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("qiaotou", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="赵管理")
        admin.set_password("correct-horse-9")
        db.session.commit()
        return t, admin


def test_admin_signs_in_and_switches_on_the_studio(page, live_server, township_with_admin):
    township, admin = township_with_admin
    page.goto(f"{live_server}/t/{township.slug}/")
    assert township.name in page.locator("h1").inner_text()
    page.get_by_text("工作人员登录").click()
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码不正确")).to_be_visible()
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="乡镇设置").click()
    studio = page.locator("#service-studio")
    studio.get_by_label("启用").check()
    studio.get_by_label("建议答复时限（工作日）").fill("10")
    studio.get_by_role("button", name="保存").click()
    expect(page.get_by_text("设置已保存")).to_be_visible()
    # The studio's navigation entry appears once the model is on.
    page.get_by_role("link", name="党代表工作室").first.click()
    expect(page.locator("h1")).to_have_text("党代表工作室")
    expect(page.locator("#studio-settings")).to_contain_text("建议答复时限 10 个工作日")


def test_unknown_township_is_a_friendly_404(page, live_server):
    response = page.goto(f"{live_server}/t/no-such-town/")
    assert response.status == 404
    expect(page.get_by_text("没有找到这个页面")).to_be_visible()
