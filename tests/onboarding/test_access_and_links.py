"""Who may set up a township (issue 16, DESIGN-county-accounts §1–3): the operator, a county
administrator for its county, and the person an onboarding link names, for that township."""

from __future__ import annotations

import re

import time_machine
from sqlalchemy import select

from app.accounts.models import Role, User
from app.divisions import catalog
from app.extensions import db
from app.onboarding.access import may_onboard
from app.onboarding.models import OnboardingDraft, OnboardingLink
from app.tenancy import bind_township
from app.townships.models import Township
from tests import factories
from tests.conftest import csrf, login
from tests.onboarding.test_wizard import county_admin, mini_package


def _people(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        plain = factories.user(t, Role.TOWNSHIP_ADMIN, name="普通管理员")
        chief = factories.user(t, name="县管理员")
        county_admin(chief)
        op = factories.user(t, name="运营方")
        op.is_operator = True
        db.session.commit()
        bind_township(db.session, None)
        return t, plain, chief, op


def test_may_onboard(app):
    _t, plain, chief, op = _people(app)
    with app.test_request_context():
        plain, chief, op = (db.session.get(User, u.id) for u in (plain, chief, op))
        assert may_onboard(op) and may_onboard(op, "130102001")
        assert may_onboard(chief) and may_onboard(chief, "120115121")
        assert not may_onboard(chief, "130102001")
        assert not may_onboard(plain) and not may_onboard(plain, "120115121")
        chief.active = False
        assert not may_onboard(chief, "120115121")


def test_an_ordinary_account_cannot_start_onboarding(app, client):
    _t, plain, _chief, _op = _people(app)
    login(client, plain)
    page = client.get("/onboarding/")
    assert page.status_code == 200 and "县级管理员开通" in page.text
    assert 'name="profile"' not in page.text
    assert client.post("/onboarding/", data={"csrf_token": csrf(page.text)}).status_code == 403
    assert client.get("/onboarding/links").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(OnboardingDraft)) is None


def _start(client):
    page = client.get("/onboarding/")
    started = client.post("/onboarding/", data={"csrf_token": csrf(page.text)})
    return started.headers["Location"], csrf(page.text)


def test_a_county_administrator_is_kept_to_its_county(app, client):
    _t, _plain, chief, _op = _people(app)
    login(client, chief)
    place_url, token = _start(client)
    refused = client.post(place_url, data={"csrf_token": token, "township": "130102001",
                                           "name": "外县镇", "slug": "waixian", "code": "WX"})
    assert refused.status_code == 422 and "不在您所管的县" in refused.text
    refused = client.post(place_url, data={"csrf_token": token, "name": "无码镇",
                                           "slug": "wuma", "code": "WM"})
    assert refused.status_code == 422 and "请在区划中选择" in refused.text


def test_a_division_code_has_one_township_and_the_place_step_says_whose(app, client):
    _t, _plain, _chief, op = _people(app)
    with app.app_context():
        factories.township("first-hgz").division_code = "120115121"
        db.session.commit()
        name = db.session.scalar(select(Township.name).where(Township.slug == "first-hgz"))
        bind_township(db.session, None)
    login(client, op)
    place_url, token = _start(client)
    refused = client.post(place_url, data={"csrf_token": token, "township": "120115121",
                                           "name": "郝各庄镇", "slug": "hgz-again", "code": "HGA"})
    assert refused.status_code == 422
    assert f"区划代码 120115121 已属于{name}，一个乡镇只能开通一次" in refused.text


def test_an_onboarding_link_from_issue_to_a_township(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VAR_DIR", str(tmp_path))
    with app.app_context():
        catalog.build_index(mini_package(tmp_path / "cd.tgz"), catalog.index_path())
    _t, plain, chief, op = _people(app)
    login(client, chief)
    page = client.get("/onboarding/links")
    refused = client.post("/onboarding/links", data={
        "csrf_token": csrf(page.text), "division_code": "130102001", "township_name": "外县镇",
        "person_name": "王五", "username": "wangwu"})
    assert refused.status_code == 422 and "不在您所管的县" in refused.text
    issued = client.post("/onboarding/links", data={
        "csrf_token": csrf(page.text), "division_code": "120115121", "township_name": "",
        "person_name": "赵新", "username": "zhaoxin", "phone": "13600002222"})
    assert issued.status_code == 200
    link_url = re.search(r'value="(http[^"]+/onboarding/link/[^"]+)"', issued.text).group(1)
    path = link_url.split("localhost", 1)[1]
    assert "郝各庄镇" in issued.text  # the name from the division list
    # The plain administrator of another township sees none of it.
    login(client, plain)
    assert client.get("/onboarding/links").status_code == 404

    # The person opens it without an account: sets a password, lands in the wizard.
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "赵新" in page.text
    weak = newcomer.post(path, data={"csrf_token": csrf(page.text), "password": "12345678",
                                     "confirm": "12345678"})
    assert weak.status_code == 422
    opened = newcomer.post(path, data={"csrf_token": csrf(page.text),
                                       "password": "amber-valley-31", "confirm":
                                       "amber-valley-31"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/place")
    place_url = opened.headers["Location"]
    draft_url = place_url.rsplit("/", 1)[0]
    page = newcomer.get(place_url)
    assert "大口屯镇" not in page.text  # only the link's township is offered
    # Sending another township changes nothing: the link names 郝各庄镇.
    done = newcomer.post(place_url, data={"csrf_token": csrf(page.text),
                                          "township": "120115122", "slug": "hgz-link",
                                          "code": "HGL"})
    assert done.status_code == 302
    for step in ("villages", "admin", "centres", "services"):
        page = newcomer.get(f"{draft_url}/{step}")
        newcomer.post(f"{draft_url}/{step}", data={
            "csrf_token": csrf(page.text), "count": "0", "extra": "一村" if step == "villages"
            else "", "name": "别人", "username": "someone-else",
            "centres": "社会事务服务中心"})
    review = newcomer.get(f"{draft_url}/review")
    finished = newcomer.post(f"{draft_url}/finish", data={"csrf_token": csrf(review.text)})
    assert finished.status_code == 302, review.text
    with app.app_context():
        town = db.session.scalar(select(Township).where(Township.slug == "hgz-link"))
        assert town.division_code == "120115121" and town.county_id is not None
        zhao = db.session.scalar(select(User).where(User.username == "zhaoxin"))
        assert zhao.roles_in(town.id) == {Role.TOWNSHIP_ADMIN}
        assert db.session.scalar(select(User).where(User.username == "someone-else")) is None
        link = db.session.scalar(select(OnboardingLink))
        assert link.status() == "used" and link.used_by_id == zhao.id
    # One time only.
    assert app.test_client().get(path).status_code == 404
    login(client, chief)
    listed = client.get("/onboarding/links").text
    assert "已使用" in listed and "赵新" in listed


def test_links_expire_and_can_be_withdrawn(app, client):
    _t, _plain, _chief, op = _people(app)
    login(client, op)
    page = client.get("/onboarding/links")
    token = csrf(page.text)
    first = client.post("/onboarding/links", data={
        "csrf_token": token, "township_name": "甲镇", "person_name": "甲",
        "username": "jia-admin"})
    second = client.post("/onboarding/links", data={
        "csrf_token": token, "township_name": "乙镇", "person_name": "乙",
        "username": "yi-admin"})
    paths = [re.search(r'/onboarding/link/[^"]+', r.text).group(0) for r in (first, second)]
    from datetime import timedelta

    from app.clock import utcnow

    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1), tick=False):
        expired = app.test_client().get(paths[0])
        assert expired.status_code == 404 and "已过期" in expired.text
    with app.app_context():
        link_id = db.session.scalar(select(OnboardingLink.id).where(
            OnboardingLink.username == "yi-admin"))
    client.post(f"/onboarding/links/{link_id}/withdraw", data={"csrf_token": token})
    withdrawn = app.test_client().get(paths[1])
    assert withdrawn.status_code == 404 and "已被撤回" in withdrawn.text


def test_an_existing_account_signs_in_to_open_its_link(app, client):
    t, plain, _chief, op = _people(app)
    with app.app_context():
        db.session.get(User, plain.id).set_password("quiet-forest-55")
        db.session.commit()
    login(client, op)
    page = client.get("/onboarding/links")
    issued = client.post("/onboarding/links", data={
        "csrf_token": csrf(page.text), "township_name": "丙镇", "person_name": plain.name,
        "username": plain.username})
    path = re.search(r'/onboarding/link/[^"]+', issued.text).group(0)
    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    # Someone else signed in is told it is not theirs.
    assert client.get(path).status_code == 403
    login(visitor, plain)
    opened = visitor.get(path)
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/place")
    assert visitor.get(path).status_code == 302  # back to the same draft, not a second one
    with app.app_context():
        assert len(db.session.scalars(select(OnboardingDraft)).all()) == 1
