"""County cadres (县直联户干部): linked to households in any of the county's townships, one by one
or from a sheet; their visits count in the township's figures and in the county's for them."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clock import township_today
from app.counties import figures
from app.counties.models import CountyRole
from app.extensions import db
from app.households.models import Household, Visit
from app.matters.rates import compute_rates
from app.spreadsheets import SheetWriter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def _cadre(world):
    return world.a.objects.county_users[CountyRole.COUNTY_CADRE]


def test_link_one_household_and_record_a_visit_that_counts_for_the_township(app, world,
                                                                               client):
    a = world.a
    with app.app_context():
        bind_township(db.session, a.township.id)
        h = factories.household(a.township, a.objects.village, head="钱大伯")
        db.session.commit()
        household_id = h.id
    login(client, a.objects.county_users[CountyRole.COUNTY_ADMIN])
    page = f"/c/{a.objects.county.slug}/cadres"
    html = client.get(page).get_data(True)
    data = {"csrf_token": csrf(html), "cadre": str(_cadre(world).id),
            "township": str(a.township.id), "head_name": "没有这个人"}
    response = client.post(page, data=data)
    assert response.status_code == 422 and "没有户主为" in response.get_data(True)
    assert client.post(page, data={**data, "head_name": "钱大伯"}).status_code == 302
    with app.app_context():
        bind_township(db.session, a.township.id)
        assert db.session.get(Household, (a.township.id, household_id)).contact_cadre_id == \
            _cadre(world).id
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "household.contact_cadre")) == "household.contact_cadre"

    # The cadre sees the household among theirs and records a visit there.
    login(client, _cadre(world))
    mine = client.get(f"/c/{a.objects.county.slug}/my-households").get_data(True)
    assert "钱大伯" in mine
    page = f"/c/{a.objects.county.slug}/households/{household_id}"
    response = client.get(page)
    assert response.status_code == 200
    html = response.get_data(True)
    today = township_today()
    assert client.post(page, data={"csrf_token": csrf(html), "visited_on": today.isoformat(),
                                   "method": "in_person", "notes": "询问了种粮补贴"}
                       ).status_code == 302
    # A household of the township not linked to them: not found.
    assert client.get(f"/c/{a.objects.county.slug}/households/{a.objects.household.id}"
                      ).status_code == 404
    with app.app_context():
        bind_township(db.session, a.township.id)
        visit = db.session.scalars(select(Visit).where(Visit.household_id == household_id)).one()
        assert visit.visitor_id == _cadre(world).id and visit.township_id == a.township.id
        start, end = today.replace(day=1), today + timedelta(days=1)
        own = compute_rates(a.township.id, start, end, cadre_id=_cadre(world).id)
        bind_township(db.session, None)
        by_cadre = figures.figures([a.township.id], start, end, today, by="cadre")
        row = by_cadre[_cadre(world).id]
        assert row.visits == 1 and row.households == 2  # the route-params household too
        assert row.visit_rate == own.visit_rate


def test_bulk_links_from_a_sheet_report_the_rows_they_could_not_link(app, world, client):
    a = world.a
    with app.app_context():
        bind_township(db.session, a.township.id)
        factories.household(a.township, a.objects.village, head="孙二")
        factories.household(a.township, a.objects.village, head="周三")
        db.session.commit()
    writer = SheetWriter().add_sheet("联户", ["干部用户名", "乡镇", "户主姓名", "地址"])
    username = _cadre(world).username
    writer.extend([[username, a.township.name, "孙二", ""],
                   [username, a.township.name, "周三", ""],
                   [username, world.b.township.name, "王小明", ""],  # not this county's
                   ["nobody", a.township.name, "孙二", ""]])
    login(client, a.objects.county_users[CountyRole.COUNTY_ADMIN])
    page = f"/c/{a.objects.county.slug}/cadres"
    html = client.get(page).get_data(True)
    response = client.post(page, data={
        "sheet-csrf_token": csrf(html),
        "sheet-sheet": (io.BytesIO(writer.to_bytes()), "links.xlsx")},
        content_type="multipart/form-data")
    text = response.get_data(True)
    assert response.status_code == 200, text
    assert "新联系 2 户" in text and "第 4 行" in text and "第 5 行" in text
    with app.app_context():
        bind_township(db.session, a.township.id)
        heads = set(db.session.scalars(select(Household.head_name).where(
            Household.contact_cadre_id == _cadre(world).id)))
        assert {"孙二", "周三"} <= heads


def test_an_account_with_roles_elsewhere_only_loses_the_countys(app, world, client):
    """Design §6: the county administrator deactivates only accounts whose roles are all in
    the county; here the user also holds a township role, so only the county's grant goes."""
    from app.accounts.models import Role
    from app.accounts.operations import grant
    from app.counties.models import CountyGrant
    from app.townships.models import Township

    a = world.a
    cadre = _cadre(world)
    with app.app_context():
        bind_township(db.session, a.township.id)
        grant(db.session.get(Township, a.township.id), cadre, Role.CADRE)
        db.session.commit()
    login(client, a.objects.county_users[CountyRole.COUNTY_ADMIN])
    page = f"/c/{a.objects.county.slug}/staff"
    html = client.get(page).get_data(True)
    response = client.post(f"{page}/deactivate", data={
        "csrf_token": csrf(html), "user_id": str(cadre.id), "reason": "调离"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(CountyGrant.id).where(
            CountyGrant.user_id == cadre.id)) is None
    # Someone of another county: not found.
    response = client.post(f"{page}/deactivate", data={
        "csrf_token": csrf(html), "user_id": str(world.b.objects.county_users[
            CountyRole.COUNTY_CADRE].id), "reason": "x"})
    assert response.status_code == 404


def test_a_county_cadres_commitments_count_for_each_township_and_for_the_cadre(app, world):
    """三送 评诺: a county cadre's commitments in two townships of the county count in each
    township's figures and add up in the county's figures for the cadre."""
    from datetime import date

    from app.cadres import operations as cadres
    from app.counties import operations as ops
    from app.counties.models import County

    a = world.a
    with app.app_context():
        cadre = db.session.merge(_cadre(world))
        county = db.session.get(County, a.objects.county.id)
        other = factories.township("town-e")
        ops.attach_township(county, other, None)
        db.session.commit()
        made = []
        for town, kept in ((a.township, True), (other, False)):
            bind_township(db.session, town.id)
            c = cadres.make_commitment(town, cadre, text="修好村口的路", due_on=date(2026, 11, 20))
            cadres.settle_commitment(c, cadre, kept=kept, evidence="已完成" if kept else "未修")
            if kept:
                cadres.rate_commitment(c, rating="satisfied", rater="resident-1")
                cadres.rate_commitment(c, rating="dissatisfied", rater="resident-2")
                cadres.make_commitment(town, cadre, text="明年的事", due_on=date(2027, 3, 1))
            made.append(c)
            db.session.commit()
        bind_township(db.session, None)
        ids = county.township_ids()
        nov = (date(2026, 11, 1), date(2026, 12, 1))
        mine = figures.figures(ids, *nov, date(2026, 12, 2), by="cadre")[cadre.id]
        assert (mine.commitments, mine.commitments_kept, mine.commitments_rated,
                mine.commitments_happy) == (2, 1, 2, 1)
        assert mine.commitment_satisfaction.percent == 50.0
        towns = figures.figures(ids, *nov, date(2026, 12, 2))
        assert (towns[a.township.id].commitments, towns[a.township.id].commitments_kept,
                towns[a.township.id].commitments_rated) == (1, 1, 2)
        assert (towns[other.id].commitments, towns[other.id].commitments_kept,
                towns[other.id].commitments_rated) == (1, 0, 0)
        year = figures.figures(ids, date(2026, 1, 1), date(2028, 1, 1), date(2026, 12, 2),
                               by="cadre")[cadre.id]
        assert year.commitments == 3
