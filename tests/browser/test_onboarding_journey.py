"""Issue 3 in the browser: a new township onboarded from the national division list, started
like a profile in tenants/, then households imported from a file with errors and a good one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.divisions import catalog
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.onboarding.test_wizard import county_admin, mini_package

pytestmark = pytest.mark.browser
HEADER = "村（社区）,户主姓名,地址,手机号,身份证号,标签,家庭成员"


@pytest.fixture
def person(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VAR_DIR", str(tmp_path))
    with app.app_context():
        catalog.build_index(mini_package(tmp_path / "cd.tgz"), catalog.index_path())
        db.session().expire_on_commit = False
        t = factories.township()
        user = factories.user(t, name="刘主任")
        user.set_password("onboard-pass-1")
        county_admin(user)  # only the operator and county administrators onboard (issue 16)
        db.session.commit()
        bind_township(db.session, None)
        return user


def test_onboard_from_the_national_list_like_a_profile_then_import(live_server, browser, person,
                                                                   tmp_path, app, monkeypatch):
    # The import's check and write are jobs: here they run in the server's process, as in the
    # demo (no RQ worker runs beside the browser tests).
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    monkeypatch.setitem(app.config, "JOBS_THREAD", True)
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(person.username)
    page.get_by_label("密码").fill("onboard-pass-1")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/onboarding/")
    # 宝坻区's administrator: the lists lead only to its own county.
    expect(page.get_by_text("开通链接：请乡镇的第一位管理员自己设置")).to_be_visible()
    page.get_by_label("从样板开始").select_option(label="照“郝各庄镇（演示）”设置")
    page.get_by_role("button", name="开始").click()
    # The place page loaded, htmx with it, before a list is chosen (a choice made earlier
    # fetches nothing and leaves the next list empty).
    page.wait_for_url("**/place", wait_until="load")

    # Province → city → county → township: each choice fills the next list (htmx).
    expect(page.get_by_label("省").locator("option", has_text="河北省")).to_have_count(0)
    page.get_by_label("省").select_option(label="天津市")
    page.get_by_label("市", exact=True).select_option(label="市辖区")
    page.get_by_label("县（区）").select_option(label="宝坻区")
    page.get_by_label("乡镇（街道）", exact=True).select_option(label="郝各庄镇")
    page.get_by_label("网址代码").fill("hgz-2027")
    page.get_by_label("编号前缀").fill("HGQ")
    page.get_by_role("button", name="保存，下一步").click()

    # The villages of the national list, with their codes.
    expect(page.locator("input[value='120115121201']")).to_be_visible()
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_label("姓名").fill("刘主任")
    page.get_by_label("用户名").fill(person.username)  # I shall run it myself
    page.get_by_role("button", name="保存，下一步").click()
    expect(page.get_by_label("中心名称")).to_have_value(
        "经济发展服务中心\n社会事务服务中心\n综治信访服务中心")
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_role("button", name="保存，下一步").click()  # the profile's service models
    page.get_by_role("button", name="建立乡镇").click()
    expect(page.get_by_text("您已是该乡镇的管理员")).to_be_visible()

    # Households: a file with mistakes is refused whole, with every row's problem in Chinese.
    bad = tmp_path / "农户.csv"
    bad.write_bytes("\n".join([HEADER, "东郝各庄村,王德福,东街1号,12345,,,",
                               "西村,李四,西街2号,13900001234,,,"]).encode("gb18030"))
    page.goto(f"{live_server}/t/hgz-2027/households/import")
    page.get_by_label("文件").set_input_files(str(bad))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_text("一户也没有导入")).to_be_visible()
    expect(page.locator("#problems")).to_contain_text("不是11位手机号")
    expect(page.locator("#problems")).to_contain_text("没有叫“西村”的村（社区）")
    good = tmp_path / "农户2.csv"
    good.write_bytes("\n".join([HEADER, "东郝各庄村,王德福,东街1号,13900001234,,独居老人,",
                                "郝各庄社区,李淑芬,幸福里2号,13900005678,,,"]).encode("gb18030"))
    page.get_by_role("link", name="重新上传").click()
    page.get_by_label("文件").set_input_files(str(good))
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator("#count-new")).to_have_text("2")  # the check, then the preview
    page.get_by_role("button", name="确认导入：新增 2 户，更新 0 户").click()
    expect(page.get_by_text("已导入：新增 2 户，更新 0 户。")).to_be_visible()
    page.goto(f"{live_server}/t/hgz-2027/households/?q=王德福")
    expect(page.get_by_text("东街1号")).to_be_visible()
