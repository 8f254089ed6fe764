"""The platform: health, townships' pages, signing in, operators and invitations, settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.tenancy import bind_township
from app.townships.models import Township
from tests import factories
from tests.conftest import csrf as _csrf
from tests.conftest import login


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("xiaozhen", services=("studio",))
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="赵管理", password="correct-horse-9")
        db.session.commit()
        return t, admin



def test_healthz_reports_database_and_jobs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["jobs"]["status"] == "ok"


def test_township_home_is_public_and_unknown_slug_is_a_404_page(client, town):
    t, _ = town
    page = client.get(f"/t/{t.slug}/")
    assert page.status_code == 200
    assert t.name in page.get_data(as_text=True)
    missing = client.get("/t/no-such-town/")
    assert missing.status_code == 404
    assert "没有找到这个页面" in missing.get_data(as_text=True)


def test_sign_in_with_wrong_then_right_password(client, town):
    t, admin = town
    token = _csrf(client.get("/login").get_data(as_text=True))
    wrong = client.post("/login", data={"csrf_token": token, "username": admin.username,
                                        "password": "nope"})
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    right = client.post("/login", data={"csrf_token": token, "username": admin.username,
                                        "password": "correct-horse-9"})
    assert right.status_code == 302
    assert right.headers["Location"].endswith(f"/t/{t.slug}/dashboard")


def test_sign_in_refuses_an_outside_next_url(client, town):
    t, admin = town
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "csrf_token": token, "username": admin.username, "password": "correct-horse-9"})
    assert "evil.example" not in response.headers["Location"]


def test_sign_in_attempts_are_rate_limited(app, client, town):
    t, admin = town
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        token = _csrf(client.get("/login").get_data(as_text=True))
        codes = [client.post("/login", data={"csrf_token": token, "username": admin.username,
                                             "password": "guess"}).status_code
                 for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes[:3] == [422, 422, 422]  # refused, the form shown again
    assert codes[3] == 429


def test_forms_without_csrf_token_are_refused(client, town):
    t, admin = town
    login(client, admin)
    assert client.post("/logout").status_code == 400


def test_htmx_requests_carry_the_csrf_token_in_a_header(client, town):
    t, admin = town
    login(client, admin)
    page = client.get(f"/t/{t.slug}/dashboard").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


def test_demo_mode_lists_the_demo_accounts(app, client):
    with app.app_context():
        t = factories.township("demo-town")
        t.is_demo = True
        factories.user(t, Role.LEADER, name="刘镇长")
        db.session.commit()
    app.config["DEMO_MODE"] = True
    try:
        page = client.get("/login").get_data(as_text=True)
    finally:
        app.config["DEMO_MODE"] = False
    assert "演示账号" in page and "刘镇长" in page and "镇领导/督查" in page
    assert "演示账号" not in client.get("/login").get_data(as_text=True)


def test_operator_creates_a_township_and_invites_its_admin(app, client):
    with app.app_context():
        operator = factories.create_operator()
        db.session.commit()
        operator_id = operator.id
    login(client, operator_id)
    token = _csrf(client.get("/platform/townships").get_data(as_text=True))
    bad = client.post("/platform/townships", data={"csrf_token": token, "name": "新镇",
                                                     "slug": "Bad Slug", "code": "XZ"})
    assert bad.status_code == 422
    assert 'value="新镇"' in bad.get_data(as_text=True)  # nothing typed is lost
    created = client.post("/platform/townships", data={"csrf_token": token, "name": "新镇",
                                                         "slug": "xinzhen", "code": "xz"})
    assert created.status_code == 302
    with app.app_context():
        township = db.session.scalar(select(Township).where(Township.slug == "xinzhen"))
        assert township.code == "XZ" and len(township.services) == 4
    invite_url = created.headers["Location"]
    page = client.post(invite_url, data={"csrf_token": token, "username": "xz-admin",
                                         "name": "钱书记", "phone": "13900001111"})
    link = re.search(r'value="(http[^"]+/invite/[^"]+)"', page.get_data(as_text=True)).group(1)

    visitor = app.test_client()
    form = visitor.get(link)
    assert "钱书记" in form.get_data(as_text=True)
    token2 = _csrf(form.get_data(as_text=True))
    mismatch = visitor.post(link, data={"csrf_token": token2, "password": "maple-orchard-27",
                                        "confirm": "different1"})
    assert mismatch.status_code == 422
    done = visitor.post(link, data={"csrf_token": token2, "password": "maple-orchard-27",
                                    "confirm": "maple-orchard-27"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/t/xinzhen/dashboard")
    # The link works once.
    assert app.test_client().get(link).status_code == 404
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "xz-admin"))
        roles = db.session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id),
                                   execution_options={"all_townships": True}).all()
        assert roles == [Role.TOWNSHIP_ADMIN.value]


def test_admin_switches_a_service_model_and_bad_settings_are_refused(app, client, town):
    t, admin = town
    login(client, admin)
    assert client.get(f"/t/{t.slug}/assembly/").status_code == 404
    page = client.get(f"/t/{t.slug}/settings").get_data(as_text=True)
    token = _csrf(page)
    bad = client.post(f"/t/{t.slug}/settings", data={
        "csrf_token": token, "service": "assembly", "assembly-enabled": "y",
        "assembly-announce_lead_days": "0", "assembly-reply_workdays": "15",
        "assembly-revisit_after_days": "30", "assembly-jury_size": "10"})
    assert bad.status_code == 422
    assert client.get(f"/t/{t.slug}/assembly/").status_code == 404
    good = client.post(f"/t/{t.slug}/settings", data={
        "csrf_token": token, "service": "assembly", "assembly-enabled": "y",
        "assembly-announce_lead_days": "10", "assembly-reply_workdays": "15",
        "assembly-revisit_after_days": "30", "assembly-jury_size": "10"})
    assert good.status_code == 302
    overview = client.get(f"/t/{t.slug}/assembly/")
    assert overview.status_code == 200 and "10" in overview.get_data(as_text=True)
    with app.app_context():
        bind_township(db.session, t.id)
        township = db.session.get(Township, t.id)
        assert township.service("assembly").settings["announce_lead_days"] == 10


def test_navigation_follows_role_and_service_models(app, client, town):
    t, admin = town
    with app.app_context():
        bind_township(db.session, t.id)
        cadre_id = factories.user(t, Role.CADRE).id
        rep_id = factories.user(t, Role.PARTY_REP).id
        db.session.commit()
    login(client, rep_id)
    page = client.get(f"/t/{t.slug}/dashboard").get_data(as_text=True)
    assert "乡镇设置" not in page
    assert "党代表工作室" in page and "有奖批评" not in page
    login(client, cadre_id)  # the studio's pages are not a cadre's
    assert "党代表工作室" not in client.get(f"/t/{t.slug}/dashboard").get_data(as_text=True)
    login(client, admin)
    assert "乡镇设置" in client.get(f"/t/{t.slug}/dashboard").get_data(as_text=True)


def test_interface_switches_to_english_and_remembers_it(client, town):
    t, _ = town
    client.get("/login?lang=en")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Staff sign-in" in page and "工作人员登录" not in page
    client.get("/login?lang=zh_Hans_CN")
    assert "工作人员登录" in client.get("/login").get_data(as_text=True)


def test_calendar_page_warns_about_years_without_holidays(app, client, town):
    t, admin = town
    login(client, admin)
    page = client.get(f"/t/{t.slug}/settings/calendar").get_data(as_text=True)
    assert "国家放假安排尚未录入" in page
    token = _csrf(page)
    response = client.post(f"/t/{t.slug}/settings/calendar", data={
        "csrf_token": token, "day": "2027-02-06", "kind": "holiday", "note": "春节"})
    assert response.status_code == 302
    assert "春节" in client.get(f"/t/{t.slug}/settings/calendar").get_data(as_text=True)


def test_query_strings_never_reach_the_access_log(app, caplog):
    import logging

    from app import _NoPersonalData

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - "%s" %s',
                               ("127.0.0.1", "GET /t/x/track?phone=1234 HTTP/1.1", "200"), None)
    _NoPersonalData().filter(record)
    assert "1234" not in record.getMessage()


def test_admin_adds_staff_with_roles_and_keeps_at_least_one_admin(app, client, town):
    t, admin = town
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff").get_data(as_text=True)
    token = _csrf(page)
    missing_centre = client.post(f"/t/{t.slug}/staff", data={
        "csrf_token": token, "username": "xz-window", "name": "孙窗口", "roles": "centre_staff"})
    assert missing_centre.status_code == 422
    assert "须选择所在中心" in missing_centre.get_data(as_text=True)
    added = client.post(f"/t/{t.slug}/staff", data={
        "csrf_token": token, "username": "xz-leader", "name": "周镇长",
        "roles": ["leader", "cadre"], "phone": "13900002222"})
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert "/invite/" in html and "周镇长" in html
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "xz-leader"))
        roles = set(db.session.scalars(select(RoleGrant.role).where(
            RoleGrant.user_id == user.id), execution_options={"all_townships": True}))
        assert roles == {"leader", "cadre"}
        admin_grant = db.session.scalar(select(RoleGrant.id).where(
            RoleGrant.user_id == admin.id), execution_options={"all_townships": True})
    refused = client.post(f"/t/{t.slug}/staff/grants/{admin_grant}/revoke",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "至少要保留一名管理员" in refused.get_data(as_text=True)


def test_behind_a_proxy_the_rate_limit_sees_the_real_address(app):
    from app import create_app

    proxied = create_app({"TESTING": True, "PROXY_COUNT": 1, "LOGIN_RATE_LIMIT": "2 per minute",
                          "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = proxied.test_client()

    def attempt(address):
        return client.post("/login", data={"username": "nobody", "password": "x"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [attempt("10.0.0.1") for _ in range(3)][-1] == 429
    assert attempt("10.0.0.2") != 429


def test_staff_change_their_password_and_language(app, client, town):
    t, admin = town
    login(client, admin)
    page = client.get("/account").get_data(as_text=True)
    token = _csrf(page)
    wrong = client.post("/account", data={"csrf_token": token, "form": "password",
                                          "pw-current": "nope", "pw-password": "new-pass-123",
                                          "pw-confirm": "new-pass-123"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    ok = client.post("/account", data={"csrf_token": token, "form": "password",
                                       "pw-current": "correct-horse-9",
                                       "pw-password": "new-pass-123",
                                       "pw-confirm": "new-pass-123"})
    assert ok.status_code == 302
    client.post("/account", data={"csrf_token": token, "form": "prefs", "pref-locale": "en"})
    assert "Staff sign-in" in app.test_client().get("/login?lang=en").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, admin.id)
        assert user.check_password("new-pass-123") and user.locale == "en"


def test_error_pages_are_whole_pages_for_boosted_requests_and_fragments_for_htmx(client, town):
    t, _ = town
    boosted = client.get("/t/no-such-town/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 404 and "<html" in boosted.get_data(as_text=True)
    fragment = client.get("/t/no-such-town/", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)


def test_the_operator_finds_townships_counties_and_the_national_calendar_from_the_home(app, client):
    """The platform's home leads its operator to the pages only the operator may use."""
    from app.accounts.operations import create_user

    with app.app_context():
        operator = create_user(username="op-home", name="平台运维", password=None)
        operator.is_operator = True
        resident_facing = create_user(username="not-op", name="某人", password=None)
        db.session.commit()
        operator, resident_facing = operator.id, resident_facing.id
    login(client, operator)
    home = client.get("/").get_data(as_text=True)
    for href in ("/platform/townships", "/platform/counties", "/platform/calendar"):
        assert f'href="{href}' in home
    login(client, resident_facing)
    assert "/platform/calendar" not in client.get("/").get_data(as_text=True)
