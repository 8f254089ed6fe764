"""Issue 9: a village's contact cards asked for on a phone; the progress bar moves by itself
(htmx polling, the job running in the background) and the download appears when done."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("wenshu", services=())
        bind_township(db.session, t.id)
        staff = factories.user(t, Role.VILLAGE_ASSISTANT, name="周助理")
        staff.set_password("assist-pass-1")
        village = factories.village(t, "西村")
        for n in range(150):
            factories.household(t, village, head=f"陈{n:03d}", phone=None)
        db.session.commit()
        bind_township(db.session, None)
        return t, staff, village


def test_contact_cards_progress_then_download(app, live_server, phone, town, monkeypatch):
    t, staff, village = town
    # As in the demo: jobs in this process, after the response. (The RQ path, with workers on
    # Redis, is tested in tests/notices/test_jobs.py; no worker runs beside this browser test.)
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    monkeypatch.setitem(app.config, "JOBS_THREAD", True)
    page = phone
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill("assist-pass-1")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/t/{t.slug}/notices/")
    page.get_by_label("村（社区）").select_option(label="西村")
    page.get_by_role("button", name="生成全村联系卡").click()
    expect(page.get_by_role("heading", name="联系卡")).to_be_visible()
    # Either still working (a bar) or already done; then the download appears without a reload.
    download_link = page.get_by_role("link", name="下载 PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(page.get_by_text("38 页")).to_be_visible()
    with page.expect_download() as info:
        download_link.click()
    path = info.value.path()
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"
