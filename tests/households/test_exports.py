"""Excel exports with Chinese headers and the same filters as their lists."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Visit
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def _rows(data: bytes, sheet=None):
    book = load_workbook(io.BytesIO(data))
    ws = book[sheet] if sheet else book.active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("daochu")
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN)
        cadre = factories.user(t, Role.CADRE, name="张卫东", phone="13700009876")
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        a = factories.household(t, east, head="王德福", tags=["低保"])
        a.contact_cadre_id = cadre.id
        factories.household(t, east, head="=1+1", phone="13900001111")
        factories.household(t, west, head="李淑芬", phone="13900002222")
        db.session.add(Visit(township_id=t.id, household_id=a.id, visitor_id=cadre.id,
                             visited_on=date(2026, 11, 2), findings={"hardship": "屋顶漏雨"}))
        db.session.commit()
    return t, admin, cadre, east, west


def test_households_export_follows_the_list_filters(app, client):
    t, admin, cadre, east, _west = _town(app)
    login(client, admin)
    base = f"/t/{t.slug}/households"
    rows = _rows(client.get(f"{base}/export.xlsx").data)
    assert rows[0][:4] == ["户号", "村（社区）", "网格", "户主姓名"]
    assert sorted(r[3] for r in rows[1:]) == sorted(["王德福", "'=1+1", "李淑芬"])
    only_east = _rows(client.get(f"{base}/export.xlsx?village={east.id}").data)
    assert {r[1] for r in only_east[1:]} == {"东村"}
    tagged = _rows(client.get(f"{base}/export.xlsx?tag=低保").data)
    assert [r[3] for r in tagged[1:]] == ["王德福"] and tagged[1][7] == "张卫东"
    uncovered = _rows(client.get(f"{base}/export.xlsx?uncovered=1").data)
    assert "王德福" not in [r[3] for r in uncovered[1:]]
    residents = _rows(client.get(f"{base}/residents.xlsx?village={east.id}").data)
    assert residents[0][:3] == ["村（社区）", "户主", "姓名"] and len(residents) == 3
    links = _rows(client.get(f"{base}/links.xlsx").data)
    assert links[0][0] == "联系人" and links[1][:2] == ["张卫东", "联户干部"]
    # The list itself answers to the same filters.
    page = client.get(f"{base}/?tag=低保").get_data(as_text=True)
    assert "王德福" in page and "李淑芬" not in page


def test_visit_and_coverage_exports(app, client):
    t, admin, cadre, _east, _west = _town(app)
    login(client, cadre)
    mine = _rows(client.get(f"/t/{t.slug}/visits/export.xlsx").data)
    assert mine[0][:3] == ["日期", "村（社区）", "户主"] and mine[1][2] == "王德福"
    assert "屋顶漏雨" in mine[1]
    login(client, admin)
    week = _rows(client.get(f"/t/{t.slug}/visits/summary.xlsx?period=week&on=2026-11-03").data)
    assert len(week) == 2
    other = _rows(client.get(f"/t/{t.slug}/visits/summary.xlsx?period=week&on=2026-10-01").data)
    assert len(other) == 1
    data = client.get(f"/t/{t.slug}/visits/coverage.xlsx?start=2026-11-01&end=2026-11-30").data
    villages = _rows(data, "按村")
    assert villages[0][0] == "名称" and villages[1][:3] == ["东村", 2, 1]
    not_visited = _rows(data, "未走访农户")
    assert sorted(r[1] for r in not_visited[1:]) == sorted(["'=1+1", "李淑芬"])
