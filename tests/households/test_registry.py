"""Keeping the registry right: villages and grids, households and residents edited, moved,
merged and marked gone, every change on record, a village assistant kept to their villages."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.households import operations as ops
from app.households.models import Grid, Household, Resident, Village
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def _town(app, slug):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township(slug)
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        db.session.commit()
    return t, admin


def _actions(t):
    return db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.township_id == t.id).order_by(AuditEvent.at)).all()


def test_villages_added_renamed_merged_into_a_community_and_retired(app, client):
    t, admin = _town(app, "cungai")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        g_east = ops.add_grid(t, admin, east, "一组")
        g_west = ops.add_grid(t, admin, west, "一组")
        g_west2 = ops.add_grid(t, admin, west, "二组")
        h1 = factories.household(t, west, head="西一", grid_id=g_west.id)
        h2 = factories.household(t, west, head="西二", grid_id=g_west2.id)
        m = factories.matter(t, title="修路", household=h1, village=west)
        db.session.commit()
        ids = dict(east=east.id, west=west.id, h1=h1.id, h2=h2.id, m=m.id, g_east=g_east.id,
                   g_west2=g_west2.id)
    login(client, admin)
    base = f"/t/{t.slug}/households/villages"
    token = csrf(client.get(base).get_data(as_text=True))
    assert client.post(f"{base}/add", data={"csrf_token": token,
                                            "name": "南村"}).status_code == 302
    dup = client.post(f"{base}/add", data={"csrf_token": token, "name": "东村"})
    assert dup.status_code == 422 and "已有叫“东村”" in dup.get_data(as_text=True)
    client.post(f"{base}/{ids['east']}", data={"csrf_token": token, "action": "edit",
                                               "name": "东风", "is_community": ""})
    response = client.post(f"{base}/{ids['west']}", data={
        "csrf_token": token, "action": "merge", "into_id": str(ids["east"]),
        "becomes_community": "1"})
    assert response.status_code == 302
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        east = db.session.get(Village, (t.id, ids["east"]))
        west = db.session.get(Village, (t.id, ids["west"]))
        assert east.name == "东风" and east.is_community  # 村改居 with the merge
        assert west.retired_at is not None and west.merged_into_id == east.id
        assert {h.village_id for h in db.session.scalars(select(Household))} == {east.id}
        assert db.session.scalar(select(Resident.village_id).where(
            Resident.household_id == ids["h1"])) == east.id
        from app.matters.models import Matter

        assert db.session.get(Matter, (t.id, ids["m"])).village_id == east.id
        # Same-named grids became one; the other grid moved to the survivor.
        h1 = db.session.get(Household, (t.id, ids["h1"]))
        assert h1.grid_id == ids["g_east"]
        assert db.session.get(Grid, (t.id, ids["g_west2"])).village_id == east.id
        actions = _actions(t)
        assert {"village.add", "village.edit", "village.merge", "grid.merge"} <= set(actions)
        south = db.session.scalar(select(Village).where(Village.name == "南村"))
    # A retired village keeps its history but leaves the pickers.
    client.post(f"{base}/{south.id}", data={"csrf_token": token, "action": "retire"})
    page = client.get(f"/t/{t.slug}/households/").get_data(as_text=True)
    assert "南村" not in page.split('id="h-village"')[1].split("</select>")[0]
    # A village with households cannot simply be retired.
    refused = client.post(f"{base}/{ids['east']}", data={"csrf_token": token,
                                                         "action": "retire"})
    assert refused.status_code == 422 and "户在册" in refused.get_data(as_text=True)


def test_grids_renamed_retired_merged(app, client):
    t, admin = _town(app, "wangge")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        v = factories.village(t, "东村")
        a, b = ops.add_grid(t, admin, v, "一组"), ops.add_grid(t, admin, v, "二组")
        h = factories.household(t, v, grid_id=b.id)
        db.session.commit()
    login(client, admin)
    token = csrf(client.get(f"/t/{t.slug}/households/villages").get_data(as_text=True))
    url = f"/t/{t.slug}/households/grids"
    client.post(f"{url}/{a.id}", data={"csrf_token": token, "action": "edit", "name": "第一组"})
    client.post(f"{url}/{b.id}", data={"csrf_token": token, "action": "merge",
                                      "into_id": str(a.id)})
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        assert db.session.get(Grid, (t.id, a.id)).name == "第一组"
        assert db.session.get(Household, (t.id, h.id)).grid_id == a.id
        assert db.session.get(Grid, (t.id, b.id)).retired_at is not None
    client.post(f"{url}/{a.id}", data={"csrf_token": token, "action": "retire"})
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        assert db.session.get(Household, (t.id, h.id)).grid_id is None
        assert {"grid.edit", "grid.merge", "grid.retire"} <= set(_actions(t))


def test_a_household_is_edited_moved_and_its_history_shown(app, client):
    t, admin = _town(app, "bianji")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        h = factories.household(t, east, head="王德福")
        db.session.commit()
    login(client, admin)
    url = f"/t/{t.slug}/households/{h.id}/edit"
    token = csrf(client.get(url).get_data(as_text=True))
    bad = client.post(url, data={"csrf_token": token, "head_name": "王" * 41, "address": "x",
                                 "village_id": str(west.id), "phone": "123"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "最多 40 个字" in text and "11位手机号" in text
    assert "王" * 41 in text  # what was typed is kept
    ok = client.post(url, data={"csrf_token": token, "head_name": "王德福", "address": "西街8号",
                                "village_id": str(west.id), "phone": "13900002222",
                                "tags": ["低保", "独居老人"], "household_number": "H9"})
    assert ok.status_code == 302
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        h2 = db.session.get(Household, (t.id, h.id))
        assert (h2.village_id, h2.address, h2.phone_tail) == (west.id, "西街8号", "2222")
        assert h2.tags == ["低保", "独居老人"] and h2.household_number == "H9"
        assert db.session.scalar(select(Resident.village_id).where(
            Resident.household_id == h.id)) == west.id
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.target_id == str(h.id)))
        assert event.before["address"] == "村东头1号" and event.after["address"] == "西街8号"
        assert "13900002222" not in str(event.after)  # phones masked in the log
    page = client.get(f"/t/{t.slug}/households/{h.id}").get_data(as_text=True)
    assert "变更记录" in page and "西街8号" in page.split('id="history"')[1]


def test_moved_away_deceased_and_dissolved_are_never_deleted(app, client):
    t, admin = _town(app, "zhuangtai")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        v = factories.village(t, "东村")
        h = factories.household(t, v, head="李老汉")
        db.session.commit()
    login(client, admin)
    url = f"/t/{t.slug}/households/{h.id}/status"
    token = csrf(client.get(f"/t/{t.slug}/households/{h.id}").get_data(as_text=True))
    bad = client.post(url, data={"csrf_token": token, "status": "moved_away",
                                 "on": "0001-01-01"})
    assert bad.status_code == 400  # a date out of range is refused before any view (app.security)
    client.post(url, data={"csrf_token": token, "status": "moved_away", "on": "2026-11-03"})
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        row = db.session.get(Household, (t.id, h.id))
        assert not row.active and row.status == "moved_away"
        assert row.status_on == date(2026, 11, 3)
        assert db.session.scalar(select(Resident.status).where(
            Resident.household_id == h.id)) == "moved_away"
    listing = client.get(f"/t/{t.slug}/households/").get_data(as_text=True)
    assert "李老汉" not in listing
    assert "李老汉" in client.get(f"/t/{t.slug}/households/?status=inactive").get_data(
        as_text=True)
    client.post(url, data={"csrf_token": token, "status": "active"})
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        assert db.session.get(Household, (t.id, h.id)).active


def test_a_deceased_head_hands_headship_to_a_member(app, client):
    t, admin = _town(app, "huzhu")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        v = factories.village(t, "东村")
        h = factories.household(t, v, head="张老")
        head = factories.resident_of(h)
        son = ops.add_member(t, admin, h, name="张小", relation="儿子", phone="13900007777")
        db.session.commit()
    login(client, admin)
    url = f"/t/{t.slug}/households/{h.id}/members/{head.id}"
    token = csrf(client.get(url).get_data(as_text=True))
    refused = client.post(url, data={"csrf_token": token, "name": "张老", "status": "deceased",
                                     "on": "2026-10-01"})
    assert refused.status_code == 422 and "新户主" in refused.get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "name": "张老", "status": "deceased",
                           "on": "2026-10-01", "new_head_id": str(son.id)})
    with app.app_context():
        bind_township(db.session, t.id)
        row = db.session.get(Household, (t.id, h.id))
        assert row.active and row.head_name == "张小" and row.phone_tail == "7777"
        assert db.session.get(Resident, (t.id, son.id)).relation == "户主"
        old = db.session.get(Resident, (t.id, head.id))
        assert old.status == "deceased" and old.relation == "原户主"
        assert {"resident.status", "household.head"} <= set(_actions(t))


def test_merging_a_duplicate_moves_everything_that_names_it(app, client):
    from app.map.models import HouseholdPin, VillageMap  # noqa: F401
    from app.matters.models import Matter

    t, admin = _town(app, "hebing")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE)
        v = factories.village(t, "东村")
        keep = factories.household(t, v, head="王德福", phone=None)
        dup = factories.household(t, v, head="王德福", phone="13900003333", tags=["低保"])
        dup.contact_cadre_id = cadre.id
        m = factories.matter(t, title="屋顶漏雨", household=dup,
                             resident=factories.resident_of(dup))
        ops.add_member(t, admin, dup, name="王小", relation="儿子")
        from app.households.models import Visit as V

        visit = V(township_id=t.id, household_id=dup.id, visitor_id=cadre.id,
                  visited_on=date(2026, 11, 2))
        db.session.add(visit)
        db.session.add(HouseholdPin(township_id=t.id, household_id=dup.id, x=0.5, y=0.5))
        db.session.add(HouseholdPin(township_id=t.id, household_id=keep.id, x=0.1, y=0.1))
        db.session.commit()
        keep_head = factories.resident_of(keep)
    login(client, admin)
    url = f"/t/{t.slug}/households/{dup.id}/merge"
    page = client.get(url).get_data(as_text=True)
    assert str(keep.id) in page
    response = client.post(url, data={"csrf_token": csrf(page), "survivor_id": str(keep.id)})
    assert response.status_code == 302
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        survivor = db.session.get(Household, (t.id, keep.id))
        gone = db.session.get(Household, (t.id, dup.id))
        assert not gone.active and gone.status == "merged" and gone.merged_into_id == keep.id
        assert survivor.phone_tail == "3333" and survivor.tags == ["低保"]
        assert survivor.contact_cadre_id == cadre.id
        matter = db.session.get(Matter, (t.id, m.id))
        assert matter.household_id == keep.id and matter.resident_id == keep_head.id
        assert db.session.get(V, (t.id, visit.id)).household_id == keep.id
        pins = db.session.scalars(select(HouseholdPin)).all()
        assert [(p.household_id, p.x) for p in pins] == [(keep.id, 0.1)]
        names = db.session.scalars(select(Resident.name).where(
            Resident.household_id == keep.id, Resident.status == "active")).all()
        assert sorted(names) == sorted(["王德福", "王小"])
        assert {"household.merge", "household.merge_into"} <= set(_actions(t))
        assert db.session.scalar(select(func.count()).select_from(Household)) == 2
    # The duplicate's history came along to the survivor's page.
    history = client.get(f"/t/{t.slug}/households/{keep.id}").get_data(as_text=True)
    assert "王德福户并入王德福户" in history and "并入重复户" in history


def test_every_table_pointing_at_a_household_follows_a_merge(app):
    """The merge finds its tables from the schema: each one is listed here, so a new table
    pointing at households shows up in this test's output if it is ever skipped."""
    with app.app_context():
        tables = {table.name for table, _column in ops.references("households")}
    assert {"residents", "matters", "visits", "household_pins", "duty_records"} <= tables


def test_a_village_assistant_manages_only_their_village(app, client):
    t, admin = _town(app, "cunzhuli")
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        mine = factories.household(t, east, head="东一")
        theirs = factories.household(t, west, head="西一")
        assistant = factories.user(t, Role.VILLAGE_ASSISTANT, village=east)
        db.session.commit()
    login(client, assistant)
    base = f"/t/{t.slug}/households"
    listing = client.get(f"{base}/").get_data(as_text=True)
    assert "东一" in listing and "西一" not in listing
    assert client.get(f"{base}/{theirs.id}").status_code == 404
    assert client.get(f"{base}/{theirs.id}/edit").status_code == 404
    assert client.get(f"{base}/{mine.id}/edit").status_code == 200
    villages = client.get(f"{base}/villages").get_data(as_text=True)
    assert "东村" in villages and "西村" not in villages
    token = csrf(villages)
    assert client.post(f"{base}/villages/{west.id}", data={
        "csrf_token": token, "action": "grid", "grid_name": "一组"}).status_code == 404
    assert client.post(f"{base}/villages/{east.id}", data={
        "csrf_token": token, "action": "grid", "grid_name": "一组"}).status_code == 302
    assert client.post(f"{base}/villages/{east.id}", data={
        "csrf_token": token, "action": "retire"}).status_code == 403
    assert client.post(f"{base}/villages/add", data={"csrf_token": token,
                                                    "name": "新村"}).status_code == 403
    export = client.get(f"{base}/export.xlsx")
    assert "西一".encode() not in _sheet_text(export.data).encode()
    assert "东一" in _sheet_text(export.data)
    _ = uuid


def _sheet_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    return "\n".join(" ".join("" if c is None else str(c) for c in row)
                     for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
