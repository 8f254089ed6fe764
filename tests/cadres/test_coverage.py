"""双覆盖: households without a contact cadre, cadres far from the norm, and linking in bulk."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cadres import linking
from app.extensions import db
from app.households.models import Household
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def _village(t, name, n):
    v = factories.village(t, name)
    for i in range(n):
        h = factories.household(t, v, head=f"{name}户{i:02d}", phone=None)
        h.address = f"{name}{i:02d}号"
    return v


def test_an_even_split_keeps_neighbours_together_and_is_recorded(ctx):
    t = factories.township("lianhu", code="LH", services=())
    bind_township(db.session, t.id)
    admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
    a, b, c = (factories.user(t, Role.CADRE, name=n) for n in ("甲", "乙", "丙"))
    v = _village(t, "东村", 10)
    households = db.session.scalars(select(Household).where(Household.village_id == v.id)).all()
    shares = linking.split_evenly(t, admin, households, [a, b, c])
    assert sorted(shares.values()) == [3, 3, 4]
    first = sorted(households, key=lambda h: h.address)[:4]
    assert {h.contact_cadre_id for h in first} == {a.id}  # neighbours with one cadre
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "household.link_cadre")) == 10


def test_the_report_finds_the_uncovered_and_the_overloaded(ctx):
    t = factories.township("fugai", code="FG", services=())
    bind_township(db.session, t.id)
    admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
    busy = factories.user(t, Role.CADRE, name="忙干部")
    idle = factories.user(t, Role.CADRE, name="闲干部")
    v = _village(t, "西村", 52)
    rows = db.session.scalars(select(Household).where(Household.village_id == v.id)
                              .order_by(Household.address)).all()
    linking.link_households(t, admin, rows[:50], busy)
    report = linking.coverage(t)
    assert (report.active, report.covered) == (52, 50)
    assert [h.head_name for h in report.uncovered["西村"]] == ["西村户50", "西村户51"]
    loads = {load.cadre.name: (load.households, load.flag) for load in report.loads}
    assert loads == {"忙干部": (50, "high"), "闲干部": (0, "low")}
    assert idle.id in {load.cadre.id for load in report.loads}


def test_link_every_filtered_household_from_the_page_and_export(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("piliang", code="PL", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        v = _village(t, "南村", 35)
        other = _village(t, "北村", 3)
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/cadres/coverage?village_id={v.id}&unlinked=1")
    assert "筛选出的全部 35 户" in page.text
    refused = client.post(f"/t/{t.slug}/cadres/coverage", data={
        "csrf_token": csrf(page.text), "village_id": str(v.id), "unlinked": "1",
        "scope": "all", "how": "one"})
    assert refused.status_code == 422 and "请选择一名联户干部" in refused.text
    done = client.post(f"/t/{t.slug}/cadres/coverage", data={
        "csrf_token": csrf(page.text), "village_id": str(v.id), "unlinked": "1",
        "scope": "all", "how": "one", "cadre_id": str(cadre.id)})
    assert done.status_code == 302
    with app.app_context():
        linked = db.session.scalar(select(func.count()).select_from(Household).where(
            Household.contact_cadre_id == cadre.id))
        assert linked == 35  # the whole village, not 30 ticks at a time; 北村 untouched
        assert db.session.scalar(select(func.count()).select_from(Household).where(
            Household.village_id == other.id, Household.contact_cadre_id.is_(None))) == 3
    export = client.get(f"/t/{t.slug}/cadres/coverage.xlsx")
    book = load_workbook(io.BytesIO(export.data))
    uncovered = list(book["未联户农户"].iter_rows(values_only=True))
    assert uncovered[0] == ("村（社区）", "户主", "地址", "标签") and len(uncovered) == 4
    loads = list(book["联户干部"].iter_rows(values_only=True))
    assert ("张卫东", None, 35, None) in loads  # an empty cell reads back as None
