"""County spot-checks across the townships, and the quarterly meeting report made by a job."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from app.accounts.models import Role
from app.counties import figures, spotchecks
from app.counties import operations as ops
from app.counties.models import County, CountyReport, CountyRole, CountySpotCheck
from app.extensions import db
from app.households.models import Visit
from app.matters import operations as ledger
from app.matters.models import SpotCheck
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login
from tests.notices.helpers import has_cjk_font, pdf_text

NOV = (date(2026, 11, 1), date(2026, 12, 1))


def _second_township(app, world):
    """Township C in county A: two replied matters of its cadre, one visit."""
    with app.app_context():
        county = db.session.get(County, world.a.objects.county.id)
        t = factories.township("town-c")
        ops.attach_township(county, t, None)
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="孙干部")
        h = factories.household(t)
        with time_machine.travel(datetime(2026, 11, 10, 2, tzinfo=UTC), tick=False):
            for title in ("修路", "路灯"):
                m = factories.matter(t, actor=cadre, household=h, title=title)
                ledger.assign(m, cadre, assignee=cadre)
                ledger.reply(m, cadre, public_text="已办", township=t)
        db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=cadre.id,
                             visited_on=date(2026, 11, 11)))
        db.session.commit()
        bind_township(db.session, None)
        return t.id, cadre.id


def test_a_sample_across_townships_counts_mismatches_against_township_and_cadre(app, world,
                                                                                 client):
    town_c, cadre_id = _second_township(app, world)
    with app.app_context():
        county = db.session.get(County, world.a.objects.county.id)
        supervisor = world.a.objects.county_users[CountyRole.COUNTY_SUPERVISOR]
        check = spotchecks.draw(county, supervisor, county.township_ids(), start=NOV[0],
                                end=NOV[1], size=10, rng=random.Random(1))
        db.session.commit()
        rows = spotchecks.items(check)
        # Fewer records than asked for: all are drawn, C's three and A's November visit.
        assert sum(1 for _i, t in rows if t.id == town_c) == 3
        assert {t.id for _i, t in rows} == {town_c, world.a.township.id}
        parts = db.session.scalars(select(SpotCheck).where(SpotCheck.township_id == town_c),
                                   execution_options={"all_townships": True}).all()
        assert len(parts) == 1 and parts[0].rule["county_spot_check"] == str(check.id)
        item = next(i for i, _t in rows if i.matter_id)
        check_id, item_id = check.id, item.id

    login(client, world.a.objects.county_users[CountyRole.COUNTY_SUPERVISOR])
    page = f"/c/{world.a.objects.county.slug}/spot-checks/{check_id}/items/{item_id}"
    html = client.get(page).get_data(True)
    assert "13800001234" in html  # the supervisor calls the resident
    assert client.post(page, data={"csrf_token": csrf(html), "confirmed": "no", "note": ""}
                       ).status_code == 422
    assert client.post(page, data={"csrf_token": csrf(html), "confirmed": "no",
                                   "note": "群众说路还没修"}).status_code == 302
    # Another county's supervisor: not found.
    login(client, world.b.objects.county_users[CountyRole.COUNTY_SUPERVISOR])
    assert client.get(page.replace(world.a.objects.county.slug,
                                   world.b.objects.county.slug)).status_code == 404
    with app.app_context():
        ids = db.session.get(County, world.a.objects.county.id).township_ids()
        by_town = figures.figures(ids, *NOV, date(2026, 12, 2))
        assert by_town[town_c].mismatches == 1
        by_cadre = figures.figures(ids, *NOV, date(2026, 12, 2), by="cadre")
        assert by_cadre[cadre_id].mismatches == 1


def test_drawing_from_the_page(app, world, client):
    _second_township(app, world)
    login(client, world.a.objects.county_users[CountyRole.COUNTY_SUPERVISOR])
    page = f"/c/{world.a.objects.county.slug}/spot-checks"
    html = client.get(page).get_data(True)
    response = client.post(page, data={"csrf_token": csrf(html), "start": "2026-11-01",
                                       "end": "2026-12-01", "size": "2"})
    assert response.status_code == 302
    with app.app_context():
        check = db.session.scalars(select(CountySpotCheck).where(CountySpotCheck.size == 2)).one()
        assert len(spotchecks.items(check)) == 2
    # A leader may look but not draw.
    login(client, world.a.objects.county_users[CountyRole.COUNTY_LEADER])
    assert client.post(page, data={"csrf_token": csrf(html), "start": "2026-11-01",
                                   "end": "2026-12-01", "size": "2"}).status_code == 403


def test_the_quarterly_report_is_made_by_a_job_and_shows_each_township(app, world, client):
    from app.jobs import run_pending

    _second_township(app, world)
    login(client, world.a.objects.county_users[CountyRole.COUNTY_LEADER])
    page = f"/c/{world.a.objects.county.slug}/reports"
    html = client.get(page).get_data(True)
    response = client.post(page, data={"csrf_token": csrf(html), "quarter": "2026Q4"})
    assert response.status_code == 302
    with app.app_context():
        run_pending()
        row = db.session.scalars(select(CountyReport).where(
            CountyReport.quarter == "2026Q4")).one()
        assert row.state == "ready", row.error
        report_id = row.id
    status = client.get(f"{page}/{report_id}", headers={"HX-Request": "true"}).get_data(True)
    assert "hx-trigger" not in status and "下载" in status
    response = client.get(f"{page}/{report_id}/download")
    assert response.status_code == 200 and has_cjk_font(response.data)
    text = pdf_text(response.data)
    for words in ("县级民情地图工作例会", "2026Q4", "测试镇", "河道清淤", "双覆盖"):
        assert words in text, words
