"""三访 against the required frequencies (十个一): per leader and per unit, done against required,
counted from the recorded visits, set by the township, exported to Excel, on the dashboard."""

from __future__ import annotations

import io
from datetime import date, datetime

import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cadres import frequencies
from app.extensions import db
from app.tenancy import bind_township
from app.townships.models import Township
from tests import factories
from tests.conftest import csrf, login

NOON_IN_BEIJING = datetime.fromisoformat("2026-11-18T12:00:00+08:00")


def _world(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("sanfangpinci", code="FP", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        liu = factories.user(t, Role.LEADER, name="刘书记")
        chen = factories.user(t, Role.LEADER, name="陈镇长")
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        h_east, h_west = factories.household(t, east, head="王大爷"), factories.household(
            t, west, head="李大妈")
        db.session.commit()
    return t, admin, liu, chen, cadre, h_east, h_west


def _visit(client, t, household, kind, day="2026-11-18"):
    page = client.get(f"/t/{t.slug}/visits/new?household_id={household.id}")
    saved = client.post(f"/t/{t.slug}/visits/new", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "household_id": str(household.id),
        "visited_on": day, "method": "in_person", "kind": kind, "notes": "走访情况"})
    assert saved.status_code == 302


def test_defaults_are_the_seeds_required_actions():
    class T:
        settings: dict = {}
    rules = frequencies.settings_of(T())
    assert rules["leader"]["xiafang"] == {"count": 1, "frequency": "monthly"}   # 每月下访一次
    assert rules["unit"]["jiefang"] == {"count": 1, "frequency": "weekly"}      # 每周一次接访
    assert rules["unit"]["zoufang"] == {"count": 1, "frequency": "quarterly"}   # 每季度走访
    assert frequencies.window("quarterly", date(2026, 11, 18)).start == date(2026, 10, 1)
    assert frequencies.window("weekly", date(2026, 11, 18)).end == date(2026, 11, 22)


def test_recorded_visits_tick_per_leader_and_per_unit(app, client):
    t, admin, liu, chen, cadre, h_east, h_west = _world(app)
    with time_machine.travel(NOON_IN_BEIJING, tick=False):
        login(client, liu)
        _visit(client, t, h_east, "xiafang")
        _visit(client, t, h_east, "xiafang", day="2026-10-30")  # last month: not this period
        client.post(f"/t/{t.slug}/logout")
        login(client, cadre)
        _visit(client, t, h_west, "jiefang", day="2026-11-16")  # Monday of the same week
        _visit(client, t, h_west, "zoufang", day="2026-10-02")  # same quarter
        page = client.get(f"/t/{t.slug}/cadres/frequencies")
        assert page.status_code == 403  # supervisors only
        client.post(f"/t/{t.slug}/logout")
        login(client, admin)
        html = client.get(f"/t/{t.slug}/cadres/frequencies").get_data(as_text=True)
    assert "刘书记" in html and "陈镇长" in html and "东村" in html
    with app.app_context():
        bind_township(db.session, t.id)
        report = frequencies.report(t, date(2026, 11, 18))
        leaders = {r.name: [(c.kind, c.done, c.required, c.met) for c in r.cells]
                   for r in report.leaders}
        units = {r.name: {c.kind: (c.done, c.met) for c in r.cells} for r in report.units}
    assert leaders == {"刘书记": [("xiafang", 1, 1, True)], "陈镇长": [("xiafang", 0, 1, False)]}
    assert units["西村"] == {"zoufang": (1, True), "jiefang": (1, True)}
    assert units["东村"] == {"zoufang": (0, False), "jiefang": (0, False)}


def test_the_township_sets_the_frequencies_and_the_export_follows(app, client):
    t, admin, liu, chen, cadre, h_east, h_west = _world(app)
    with time_machine.travel(NOON_IN_BEIJING, tick=False):
        login(client, liu)
        _visit(client, t, h_east, "xiafang")
        html = client.get(f"/t/{t.slug}/cadres/frequencies").get_data(as_text=True)
        denied = client.post(f"/t/{t.slug}/cadres/frequencies/required",
                             data={"csrf_token": csrf(html)})
        assert denied.status_code == 403  # a leader sees, the administrator sets
        client.post(f"/t/{t.slug}/logout")
        login(client, admin)
        html = client.get(f"/t/{t.slug}/cadres/frequencies").get_data(as_text=True)
        form = {"csrf_token": csrf(html)}
        for scope in frequencies.SCOPES:
            for kind in frequencies.KINDS:
                form[f"{scope}-{kind}-count"] = "0"
                form[f"{scope}-{kind}-frequency"] = "monthly"
        form["leader-xiafang-count"] = "2"
        wrong = client.post(f"/t/{t.slug}/cadres/frequencies/required",
                            data={**form, "unit-jiefang-count": "99"})
        assert wrong.status_code == 422
        saved = client.post(f"/t/{t.slug}/cadres/frequencies/required", data=form)
        assert saved.status_code == 302
        export = client.get(f"/t/{t.slug}/cadres/frequencies.xlsx?on=2026-11-18")
        dashboard = client.get(f"/t/{t.slug}/dashboard").get_data(as_text=True)
    with app.app_context():
        bind_township(db.session, t.id)
        report = frequencies.report(db.session.get(Township, t.id), date(2026, 11, 18))
        assert [(r.name, [(c.done, c.required, c.met) for c in r.cells]) for r in report.leaders] \
            == [("刘书记", [(1, 2, False)]), ("陈镇长", [(0, 2, False)])]
        assert all(r.cells == [] for r in report.units)
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "settings.visit_frequencies")) == "settings.visit_frequencies"
    book = load_workbook(io.BytesIO(export.data))
    rows = list(book["领导"].iter_rows(values_only=True))
    assert rows[0][0] == "领导" and "下访" in rows[0][1]
    assert ("刘书记", 1, 2, "未达到") in rows
    assert "领导下访达标" in dashboard and "0/2" in dashboard
