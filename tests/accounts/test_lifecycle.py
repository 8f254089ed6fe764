"""An account's life cycle (issue 16) and sessions that end (issue 18 item 6)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.accounts import operations as ops
from app.accounts.models import Role, SignIn, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

PASSWORD = "lantern-river-42"


def _person(app, *roles, password=PASSWORD):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员", password=PASSWORD)
        u = factories.user(t, *roles, name="张干部", password=password)
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, u


def _sign_in(client, user, password=PASSWORD, remember=False):
    page = client.get("/login")
    data = {"csrf_token": csrf(page.get_data(as_text=True)), "username": user.username,
            "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def _dashboard(client, t):
    return client.get(f"/t/{t.slug}/dashboard")


def _post(client, url, **data):
    page = client.get("/account")
    data["csrf_token"] = csrf(page.get_data(as_text=True))
    return client.post(url, data=data)


def test_remember_cookie_is_lax_httponly_and_short(app, client):
    t, _admin, user = _person(app, Role.CADRE)
    response = _sign_in(client, user, remember=True)
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("remember_token="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Max-Age=1209600" in cookie.replace("max-age", "Max-Age") or "Expires=" in cookie
    # 14 days, not Flask-Login's 365
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    jar.load(cookie)
    from email.utils import parsedate_to_datetime

    from app.clock import utcnow

    expires = parsedate_to_datetime(jar["remember_token"]["expires"])
    assert timedelta(days=13) < expires - utcnow() <= timedelta(days=14, minutes=1)


def test_a_township_sets_a_shorter_remember_life(app, client):
    t, admin, user = _person(app, Role.CADRE)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/settings")
    client.post(f"/t/{t.slug}/settings/sessions", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "sessions-remember_days": "3"})
    other = app.test_client()
    response = _sign_in(other, user, remember=True)
    from email.utils import parsedate_to_datetime
    from http.cookies import SimpleCookie

    from app.clock import utcnow

    jar = SimpleCookie()
    jar.load(next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("remember_token=")))
    left = parsedate_to_datetime(jar["remember_token"]["expires"]) - utcnow()
    assert timedelta(days=2) < left <= timedelta(days=3, minutes=1)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "settings.sessions"))
        assert event.after == {"remember_days": 3}


def _stolen_cookies(client):
    return {c.key: c.value for c in client._cookies.values()}


def _replay(app, cookies, t):
    thief = app.test_client()
    for key, value in cookies.items():
        thief.set_cookie(key, value)
    return _dashboard(thief, t)


def test_old_session_and_remember_cookie_stop_working_after_logout(app, client):
    t, _admin, user = _person(app, Role.CADRE)
    _sign_in(client, user, remember=True)
    assert _dashboard(client, t).status_code == 200
    both = _stolen_cookies(client)
    assert "remember_token" in both and "session" in both
    only_remember = {"remember_token": both["remember_token"]}
    assert _replay(app, both, t).status_code == 200
    assert _replay(app, only_remember, t).status_code == 200  # it does work before sign-out
    _post(client, "/logout")
    for cookies in (both, only_remember, {"session": both["session"]}):
        response = _replay(app, cookies, t)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_old_cookies_stop_working_after_a_password_change(app, client):
    t, _admin, user = _person(app, Role.CADRE)
    _sign_in(client, user, remember=True)
    other_device = app.test_client()
    _sign_in(other_device, user, remember=True)
    old = _stolen_cookies(other_device)
    response = _post(client, "/account", form="password", **{
        "pw-current": PASSWORD, "pw-password": "copper-kettle-77", "pw-confirm":
        "copper-kettle-77"})
    assert response.status_code == 302
    assert _dashboard(client, t).status_code == 200  # this device goes on
    assert _dashboard(other_device, t).status_code == 302
    assert _replay(app, {"remember_token": old["remember_token"]}, t).status_code == 302
    assert _replay(app, {"session": old["session"]}, t).status_code == 302


def test_weak_passwords_are_refused_in_chinese(app, client):
    t, _admin, user = _person(app, Role.CADRE)
    _sign_in(client, user)
    for weak, words in (("12345678", "常见密码"), ("short1", "至少 8 位"),
                        (user.username + "x9", "用户名"), ("password1", "常见密码")):
        response = _post(client, "/account", form="password", **{
            "pw-current": PASSWORD, "pw-password": weak, "pw-confirm": weak})
        assert response.status_code == 422, weak
        assert words in response.get_data(as_text=True), weak
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(app, client):
    t, admin, user = _person(app, Role.CADRE)
    with time_machine.travel("2026-12-02 02:00:00+00:00", tick=False):
        for _ in range(4):
            response = _sign_in(client, user, password="wrong-guess")
            assert "用户名或密码不正确" in response.get_data(as_text=True)
        response = _sign_in(client, user, password="wrong-guess")
        assert response.status_code == 422
        assert ("密码连续输错 5 次，账号已锁定 15 分钟，请稍后再试或联系管理员"
                in response.get_data(as_text=True))
        # Even the right password is refused while locked.
        response = _sign_in(client, user)
        assert "账号已锁定" in response.get_data(as_text=True)
    with time_machine.travel("2026-12-02 02:16:00+00:00", tick=False):
        assert _sign_in(client, user).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(SignIn).where(SignIn.user_id == user.id)
                                  .order_by(SignIn.at)).all()
        assert [r.success for r in rows] == [False] * 6 + [True]
        assert rows[4].reason == "locked" and rows[5].reason == "locked"
        assert all(r.user_agent is not None for r in rows)
        assert db.session.get(User, user.id).failed_logins == 0


def test_the_user_sees_recent_sign_ins_without_passwords(app, client):
    t, _admin, user = _person(app, Role.CADRE)
    _sign_in(client, user, password="my-secret-typo")
    _sign_in(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "最近登录" in page and "密码错误" in page and "成功" in page
    assert "my-secret-typo" not in page
    with app.app_context():
        for row in db.session.scalars(select(SignIn)):
            assert "my-secret-typo" not in repr(vars(row))


def test_an_administrator_deactivates_and_the_cadre_cannot_sign_in(app, client):
    t, admin, user = _person(app, Role.CADRE)
    cadre_client = app.test_client()
    _sign_in(cadre_client, user, remember=True)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff/{user.id}")
    assert page.status_code == 200
    response = client.post(f"/t/{t.slug}/staff/{user.id}/deactivate", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "reason": "调离本镇"})
    assert response.status_code == 302
    assert _dashboard(cadre_client, t).status_code == 302  # their open session ended
    response = _sign_in(app.test_client(), user)
    assert "该账号已停用" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "account.deactivate"))
        assert event.actor_id == admin.id and event.township_id == t.id
        assert event.after["reason"] == "调离本镇"
    page = client.get(f"/t/{t.slug}/staff/{user.id}")
    client.post(f"/t/{t.slug}/staff/{user.id}/reactivate", data={
        "csrf_token": csrf(page.get_data(as_text=True))})
    assert _sign_in(app.test_client(), user).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "account.reactivate")) is not None


def test_someone_with_roles_elsewhere_only_loses_this_townships_roles(app, client):
    t, admin, user = _person(app, Role.CADRE)
    with app.app_context():
        db.session().expire_on_commit = False
        other = factories.township()
        from app.accounts.operations import grant

        grant(other, db.session.get(User, user.id), Role.CADRE)
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff/{user.id}")
    client.post(f"/t/{t.slug}/staff/{user.id}/deactivate", data={
        "csrf_token": csrf(page.get_data(as_text=True))})
    with app.app_context():
        account = db.session.get(User, user.id)
        assert account.active
        assert account.roles_in(t.id) == set() and account.roles_in(other.id) == {Role.CADRE}
    assert client.get(f"/t/{t.slug}/staff/{user.id}").status_code == 404


def test_the_last_administrator_cannot_be_deactivated(app, client):
    t, admin, _user = _person(app, Role.CADRE)
    with app.app_context():
        db.session().expire_on_commit = False
        second = factories.user(t, Role.TOWNSHIP_ADMIN, name="副管理员")
        db.session.commit()
    login(client, second)
    page = client.get(f"/t/{t.slug}/staff/{second.id}")
    response = client.post(f"/t/{t.slug}/staff/{second.id}/deactivate", data={
        "csrf_token": csrf(page.get_data(as_text=True))})
    assert response.status_code == 422
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    response = client.post(f"/t/{t.slug}/staff/{admin.id}/deactivate", data={
        "csrf_token": csrf(page.get_data(as_text=True))})
    assert response.status_code == 302
    login(client, admin)  # a deactivated account's session is nobody's
    assert _dashboard(client, t).status_code == 302
    with app.app_context():
        import pytest

        township = db.session.get(type(t), t.id)
        with pytest.raises(ops.AccountError, match="至少要保留一名"):
            ops.deactivate_in_township(township, None, db.session.get(User, second.id))


def test_a_reset_link_works_once_and_ends_old_sessions(app, client):
    t, admin, user = _person(app, Role.CADRE)
    cadre_client = app.test_client()
    _sign_in(cadre_client, user)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff/{user.id}")
    response = client.post(f"/t/{t.slug}/staff/{user.id}/reset", data={
        "csrf_token": csrf(page.get_data(as_text=True))})
    html = response.get_data(as_text=True)
    import re

    link = re.search(r'value="(http[^"]+/reset/[^"]+)"', html).group(1)
    path = link.split("localhost", 1)[1]
    visitor = app.test_client()
    form = visitor.get(path)
    assert form.status_code == 200
    response = visitor.post(path, data={"csrf_token": csrf(form.get_data(as_text=True)),
                                        "password": "12345678", "confirm": "12345678"})
    assert response.status_code == 422
    response = visitor.post(path, data={"csrf_token": csrf(form.get_data(as_text=True)),
                                        "password": "silver-harbor-88",
                                        "confirm": "silver-harbor-88"})
    assert response.status_code == 302
    assert _dashboard(cadre_client, t).status_code == 302
    assert app.test_client().get(path).status_code == 404  # one time only
    assert _sign_in(app.test_client(), user, password="silver-harbor-88").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "account.reset")) is not None


def test_an_administrator_ends_a_users_sessions(app, client):
    t, admin, user = _person(app, Role.CADRE)
    cadre_client = app.test_client()
    _sign_in(cadre_client, user, remember=True)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff/{user.id}")
    client.post(f"/t/{t.slug}/staff/{user.id}/sessions/end", data={
        "csrf_token": csrf(page.get_data(as_text=True))})
    assert _dashboard(cadre_client, t).status_code == 302
    assert _dashboard(client, t).status_code == 200
    assert _sign_in(app.test_client(), user).status_code == 302  # the account still works


def test_hand_over_households_and_matters(app, client):
    t, admin, user = _person(app, Role.CADRE)
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        successor = factories.user(t, Role.CADRE, name="李接手")
        v1, v2 = factories.village(t, "东村"), factories.village(t, "西村")
        h1 = factories.household(t, v1, head="王一", contact_cadre_id=user.id)
        h2 = factories.household(t, v2, head="王二", contact_cadre_id=user.id)
        h3 = factories.household(t, v2, head="王三", party_member_id=user.id)
        m = factories.matter(t, title="修路", actor=admin)
        from app.matters import operations as ledger

        ledger.assign(m, admin, assignee=db.session.get(User, user.id))
        db.session.commit()
        bind_township(db.session, None)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff/{user.id}")
    html = page.get_data(as_text=True)
    assert "王一" in html and "王二" in html and m.number in html
    response = client.post(f"/t/{t.slug}/staff/{user.id}/handover", data={
        "csrf_token": csrf(html), "to_user_id": str(successor.id)})
    assert response.status_code == 302
    with app.app_context():
        from app.households.models import Household
        from app.matters.models import Matter

        bind_township(db.session, t.id)
        assert {db.session.get(Household, (t.id, h.id)).contact_cadre_id
                for h in (h1, h2)} == {successor.id}
        assert db.session.get(Household, (t.id, h3.id)).party_member_id == successor.id
        assert db.session.get(Matter, (t.id, m.id)).assignee_id == successor.id
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "account.handover"))
        assert event.after["responsible"] == "李接手" and event.after["households"] == 3
    html = client.get(f"/t/{t.slug}/staff/{user.id}").get_data(as_text=True)
    assert "没有在办事项或联系户需要交接" in html


def test_staff_changes_are_recorded(app, client):
    t, admin, user = _person(app, Role.CADRE)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/staff")
    client.post(f"/t/{t.slug}/staff", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "username": "newcomer",
        "name": "新同事", "roles": ["leader"], "phone": "13912345678"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.add"))
        assert event.after["roles"] == ["leader"] and event.actor_id == admin.id
        grant_row = db.session.get(User, user.id).grants[0]
        grant_id = grant_row.id
    client.post(f"/t/{t.slug}/staff/{user.id}/grant", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "role": "leader"})
    refused = client.post(f"/t/{t.slug}/staff/{user.id}/grant", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "role": "village_assistant"})
    assert refused.status_code == 422 and "须选择负责的村" in refused.get_data(as_text=True)
    client.post(f"/t/{t.slug}/staff/grants/{grant_id}/revoke", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "back": "person"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.revoke"))
        assert event.before["role"] == "cadre"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.grant"))
        assert event.after["role"] == "leader"
        assert db.session.get(User, user.id).roles_in(t.id) == {Role.LEADER}


def test_township_login_leads_to_sign_in_and_back(app, client):
    t, _admin, user = _person(app, Role.CADRE)
    response = client.get(f"/t/{t.slug}/login")
    assert response.status_code == 302
    target = response.headers["Location"]
    assert target == f"/login?next=/t/{t.slug}/dashboard"
    page = client.get(target)
    assert t.name in page.get_data(as_text=True)
    data = {"csrf_token": csrf(page.get_data(as_text=True)), "username": user.username,
            "password": PASSWORD}
    response = client.post(target, data=data)
    assert response.headers["Location"] == f"/t/{t.slug}/dashboard"
    assert client.get("/t/no-such-town/login").status_code == 404
