"""The county dashboard: the townships side by side, the same figures as the township's own
rates (app.matters.rates), ranked, each figure linked to its rows; a township sees its rank."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from app.accounts.models import Role
from app.counties import figures
from app.counties import operations as ops
from app.counties.models import County, CountyRole
from app.extensions import db
from app.households.models import Visit
from app.matters import operations as ledger
from app.matters.rates import compute_rates
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login

NOV = (date(2026, 11, 1), date(2026, 12, 1))
TODAY = date(2026, 12, 2)


def _build(app, world):
    """County A gets two more townships: C does well, D does badly; A keeps its world rows."""
    with app.app_context():
        county = db.session.get(County, world.a.objects.county.id)
        towns = {}
        for name in ("c", "d"):
            t = factories.township(f"town-{name}")
            ops.attach_township(county, t, None)
            bind_township(db.session, t.id)
            admin = factories.user(t, Role.TOWNSHIP_ADMIN)
            v = factories.village(t, "南村")
            h1, h2 = factories.household(t, v), factories.household(t, v, head="李四")
            with time_machine.travel(datetime(2026, 11, 10, 2, tzinfo=UTC), tick=False):
                m1 = factories.matter(t, actor=admin, household=h1, title="水管漏水")
                m2 = factories.matter(t, actor=admin, household=h2, title="低保咨询")
            if name == "c":
                h1.contact_cadre_id = admin.id
                h2.contact_cadre_id = admin.id
                db.session.add(Visit(township_id=t.id, household_id=h1.id, visitor_id=admin.id,
                                     visited_on=date(2026, 11, 11)))
                with time_machine.travel(datetime(2026, 11, 12, 2, tzinfo=UTC), tick=False):
                    ledger.reply(m1, admin, public_text="已修好", township=t)
                    ledger.reply(m2, admin, public_text="已答复", township=t)
                    ledger.evaluate(m1, rating="very_satisfied", source="resident_link")
            else:  # D: one answered late, one still open past its date
                with time_machine.travel(datetime(2026, 11, 30, 2, tzinfo=UTC), tick=False):
                    ledger.reply(m1, admin, public_text="晚了", township=t)
                    ledger.evaluate(m1, rating="dissatisfied", source="resident_link")
            towns[name] = (t.id, admin.id, m1.id, m2.id)
            db.session.commit()
        bind_township(db.session, None)
        return towns


def test_figures_match_the_townships_own_rates_and_rank(app, world):
    towns = _build(app, world)
    with app.app_context():
        county = db.session.get(County, world.a.objects.county.id)
        ids = county.township_ids()
        rows = figures.figures(ids, *NOV, TODAY)
        for tid in ids:
            own = compute_rates(tid, *NOV)
            r = rows[tid]
            bind_township(db.session, None)
            assert r.received == own.received
            assert r.resolution_rate == own.resolution_rate
            assert r.on_time_rate == own.on_time_rate
            assert r.satisfaction_rate == own.satisfaction_rate
            assert r.visit_rate == own.visit_rate
        c, d = rows[towns["c"][0]], rows[towns["d"][0]]
        assert (c.received, c.resolved, c.on_time, c.overdue) == (2, 2, 2, 0)
        assert (c.covered, c.households, c.visits, c.visits_per_household) == (2, 2, 1, 0.5)
        # D: after the reply the rating reopened m1; m2 is open and past its date.
        assert (d.received, d.resolved, d.on_time, d.overdue) == (2, 0, 0, 2)
        assert (d.rated, d.happy, d.covered) == (1, 0, 0)
        ordered = figures.ranked(rows)
        keys = [r.key for r in ordered]
        assert keys.index(towns["c"][0]) < keys.index(towns["d"][0]) == 2
        assert figures.rank_of(towns["d"][0], ids, *NOV, TODAY) == (3, 3)
        # Another county's township is never among them.
        assert world.b.township.id not in rows


def test_township_figures_from_the_summary_equal_the_rows_and_each_townships_board(app, world):
    from app.matters.rates import rates_by_village

    _build(app, world)
    with app.app_context():
        county = db.session.get(County, world.a.objects.county.id)
        ids = county.township_ids()
        for period in (NOV, (date(2026, 10, 1), date(2026, 12, 1))):
            from_summary = figures.figures(ids, *period, TODAY)
            app.config["RATES_SUMMARY"] = "off"
            try:
                from_rows = figures.figures(ids, *period, TODAY)
            finally:
                app.config.pop("RATES_SUMMARY")
            assert from_summary == from_rows
            for tid in ids:
                bind_township(db.session, tid)
                board, _villages = rates_by_village(tid, *period)
                bind_township(db.session, None)
                r = from_summary[tid]
                assert r.received == board.received
                assert (r.resolution_rate, r.on_time_rate, r.satisfaction_rate) == (
                    board.resolution_rate, board.on_time_rate, board.satisfaction_rate)
        assert sum(r.rated for r in from_summary.values()) >= 2


def test_the_dashboard_page_links_each_figure_to_its_rows(app, world, client):
    towns = _build(app, world)
    login(client, world.a.objects.county_users[CountyRole.COUNTY_LEADER])
    slug = world.a.objects.county.slug
    html = client.get(f"/c/{slug}/dashboard?period=month&on=2026-11-15").get_data(True)
    assert "town-c" not in html  # names, not slugs
    d_id = towns["d"][0]
    rows = client.get(f"/c/{slug}/dashboard/rows?figure=overdue&township={d_id}"
                      "&period=month&on=2026-11-15").get_data(True)
    assert "水管漏水" in rows and "低保咨询" in rows
    rows = client.get(f"/c/{slug}/dashboard/rows?figure=on_time&township={d_id}"
                      "&period=month&on=2026-11-15").get_data(True)
    assert "水管漏水" not in rows
    # Township B is not county A's: its id on county A's list is not found.
    assert client.get(f"/c/{slug}/dashboard/rows?figure=received&township="
                      f"{world.b.township.id}").status_code == 404
    for by in ("village", "cadre"):
        assert client.get(f"/c/{slug}/dashboard?by={by}&on=2026-11-15").status_code == 200
    assert client.get(f"/c/{slug}/dashboard?period=year&on=2026-11-15").status_code == 200


def test_a_township_sees_its_own_rank(app, world, client):
    towns = _build(app, world)
    with app.app_context():
        from app.accounts.models import User

        admin = db.session.get(User, towns["d"][1])
    login(client, admin)
    html = client.get("/t/town-d/matters/dashboard?period=month&day=2026-11-15").get_data(True)
    assert "排第 3 位" in html and "测试县1" in html
    assert "town-c" not in html


def test_coverage_report_and_its_excel(app, world, client):
    import io

    from openpyxl import load_workbook

    _build(app, world)
    login(client, world.a.objects.county_users[CountyRole.COUNTY_ADMIN])
    slug = world.a.objects.county.slug
    html = client.get(f"/c/{slug}/coverage").get_data(True)
    assert "南村" in html
    response = client.get(f"/c/{slug}/coverage?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    first = list(book.worksheets[0].values)
    assert first[0][:2] == ("乡镇", "村")
    # C's two households covered, D's two not, A's world household not.
    uncovered = {(row[1], row[4]) for row in first[1:]}
    assert ("南村", 0) in uncovered and ("南村", 2) in uncovered
    with app.app_context():
        db.session.execute(select(1))


def test_the_dashboard_draws_ranking_bars_and_trends_from_the_table_numbers(app, world, client):
    import re

    towns = _build(app, world)
    login(client, world.a.objects.county_users[CountyRole.COUNTY_LEADER])
    slug = world.a.objects.county.slug
    html = client.get(f"/c/{slug}/dashboard?period=month&on=2026-11-15").get_data(True)
    c_id, d_id = towns["c"][0], towns["d"][0]
    # Ranked by resolution: C (2/2) above D (0/2); each bar opens the matters it counts.
    bars = html.split("<figcaption>问题解决率</figcaption>", 1)[1].split("</figure>", 1)[0]
    assert "<svg" in bars and "<script" not in bars
    c_link = (f'<a href="/c/{slug}/dashboard/rows?figure=resolved&amp;period=month&amp;'
              f'on=2026-11-15&amp;township={c_id}">')
    assert c_link in bars and bars.index(c_link) < bars.index(f"township={d_id}")
    assert "100.0% (2/2)" in bars and "0.0% (0/2)" in bars
    # The November point of the county's trend is the sum of the table's townships.
    with app.app_context():
        ids = db.session.get(County, world.a.objects.county.id).township_ids()
        rows = figures.figures(ids, *NOV, TODAY).values()
        resolved, received = sum(r.resolved for r in rows), sum(r.received for r in rows)
    monthly = html.split("按月", 2)[2].split("</table>", 1)[0]
    cell = re.search(r"<tr><td>11月</td><td>([^<]*)</td>", monthly).group(1)
    assert cell == f"{100 * resolved / received:.1f}"


def test_trend_totals_equal_the_sum_of_each_periods_township_figures(app, world, monkeypatch):
    """The trends count each figure once grouped by period (figures.period_totals); every
    period's total equals the table's figures for that period summed over the townships, with
    visits, matters and ratings spread over months and a household no longer active."""
    from app.accounts.models import User
    from app.dashboard_charts import county_total, last_months, last_quarters
    from app.townships.models import Township

    towns = _build(app, world)
    with app.app_context():
        t_id, admin_id = towns["c"][0], towns["c"][1]
        bind_township(db.session, t_id)
        t = db.session.get(Township, t_id)
        v = factories.village(t, "北村")
        gone = factories.household(t, v, head="赵六")
        kept = factories.household(t, v, head="钱七")
        for h, day in ((gone, date(2026, 10, 3)), (kept, date(2026, 10, 3)),
                       (kept, date(2026, 10, 20)), (kept, date(2026, 8, 31)),
                       (gone, date(2026, 9, 1)), (kept, date(2025, 12, 31))):
            db.session.add(Visit(township_id=t_id, household_id=h.id, visitor_id=admin_id,
                                 visited_on=day))
        with time_machine.travel(datetime(2026, 9, 30, 16, 30, tzinfo=UTC), tick=False):
            factories.matter(t, actor=db.session.get(User, admin_id), household=kept,
                             title="十月一日零点半（北京时间）")
        gone.active = False
        db.session.commit()
        bind_township(db.session, None)
        ids = db.session.get(County, world.a.objects.county.id).township_ids()
        for periods, from_summary in ((last_months(TODAY), True), (last_quarters(TODAY), True),
                                      (last_months(TODAY), False),
                                      (last_quarters(TODAY), False)):
            # from the rates' summary (whole months) and, with it switched off, from the rows
            with monkeypatch.context() as m:
                m.setattr(figures, "summary_on", lambda on=from_summary: on)
                totals = figures.period_totals(ids, periods, TODAY)
            assert [r.key for r in totals] == periods
            for (start, end), got in zip(periods, totals, strict=True):
                want = county_total(figures.figures(ids, start, end, TODAY).values())
                for name in ("received", "resolved", "on_time", "rated", "happy", "households",
                             "visited"):
                    assert getattr(got, name) == getattr(want, name), (start, name)
        october = figures.period_totals(ids, [(date(2026, 10, 1), date(2026, 11, 1))], TODAY)[0]
        assert october.visited == 1 and october.received == 1  # `gone` no longer counts
