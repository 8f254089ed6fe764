"""Issue 16's journey, the registry part (the accounts part is test_accounts_journey.py, the
public-text part test_privacy_journey.py): an administrator corrects a household and moves it to
another village, merges its duplicate into it, and reads both on the household's history and in
the township's audit log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Household
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("ditian", code="DT", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="冯管理")
        admin.set_password("river-stones-83")
        east, west = factories.village(t, "东庄村"), factories.village(t, "西庄村")
        kept = factories.household(t, east, head="韩德胜", phone="13800007001")
        twin = factories.household(t, east, head="韩德胜", phone=None)
        twin.address = "东庄村3组"
        matter = factories.matter(t, title="房后排水沟堵了", household=twin, actor=admin)
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, kept, twin, matter, west


def test_correct_move_and_merge_a_household_and_read_it_in_the_log(page, live_server, town, app):
    t, admin, kept, twin, matter, west = town
    page.goto(f"{live_server}/t/{t.slug}/login")
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码", exact=True).fill("river-stones-83")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/t/{t.slug}/dashboard")

    # A family moved to the west village and changed its number.
    page.goto(f"{live_server}/t/{t.slug}/households/{kept.id}")
    page.get_by_role("link", name="修改或迁移").click()
    page.get_by_label("手机号").fill("13900007002")
    page.get_by_label("地址").fill("西庄村5组12号")
    page.get_by_label("村（社区）").select_option(label="西庄村")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    expect(page.locator("main")).to_contain_text("西庄村")

    # Its duplicate, registered twice, is merged into it; its matter follows.
    page.goto(f"{live_server}/t/{t.slug}/households/{twin.id}")
    page.get_by_role("link", name="合并重复户").click()
    page.get_by_label("户主姓名、户号或手机后四位").fill("韩德胜")
    page.get_by_role("button", name="查找").click()
    page.wait_for_url("**/merge?q=*")
    survivor = page.get_by_label("韩德胜 · 西庄村", exact=False)
    survivor.check()
    expect(survivor).to_be_checked()
    page.get_by_role("button", name="合并").click()
    expect(page.get_by_text("已合并，记录都转到了保留的一户。")).to_be_visible()
    with app.app_context():
        from app.matters.models import Matter

        bind_township(db.session, t.id)
        assert db.session.get(Household, (t.id, twin.id)).active is False  # kept, not deleted
        assert db.session.get(Household, (t.id, kept.id)).village_id == west.id
        assert db.session.get(Matter, (t.id, matter.id)).household_id == kept.id
        bind_township(db.session, None)

    # The household's history and the township's audit log say what happened, numbers masked.
    page.goto(f"{live_server}/t/{t.slug}/households/{kept.id}")
    expect(page.locator("main")).to_contain_text("并入重复户韩德胜户")
    expect(page.locator("main")).to_contain_text("修改韩德胜户")
    page.goto(f"{live_server}/t/{t.slug}/audit/")
    events = page.locator("#audit-events")
    expect(events).to_contain_text("修改韩德胜户")
    expect(events).to_contain_text("韩德胜户并入韩德胜户")
    expect(events).not_to_contain_text("13900007002")
