"""Bulletins, contact points and unit classes, pinned on hand-made data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from app.accounts.models import Role
from app.cadres import operations as ops
from app.cadres import reports
from app.extensions import db
from app.households.models import Visit
from app.matters import operations as matters
from app.tenancy import bind_township
from tests import factories


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    zhang = factories.user(t, Role.CADRE, name="张卫东")
    leader = factories.user(t, Role.LEADER, name="刘书记")
    east, west = factories.village(t, "东村"), factories.village(t, "西村")
    return t, zhang, leader, east, west


def _visit(t, h, who, day, kind="zoufang"):
    db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=who.id,
                         visited_on=day, kind=kind))


def test_weekly_bulletin_counts_each_cadres_and_villages_work(town):
    t, zhang, leader, east, west = town
    h1, h2 = factories.household(t, east), factories.household(t, west)
    _visit(t, h1, zhang, date(2026, 11, 16))
    _visit(t, h2, zhang, date(2026, 11, 22))
    _visit(t, h2, zhang, date(2026, 11, 23))  # next week
    inside = datetime(2026, 11, 17, 2, tzinfo=UTC)
    m1 = matters.create_matter(t, channel="phone", title="路灯", household=h1, now=inside)
    matters.assign(m1, leader, assignee=zhang)
    matters.reply(m1, zhang, public_text="修好了")
    rating = matters.evaluate(m1, rating="satisfied", source="resident_link")
    rating.created_at = inside
    late = matters.create_matter(t, channel="phone", title="积水", household=h2, now=inside,
                                 workdays=1)
    matters.assign(late, leader, assignee=zhang)
    action = ops.create_action(t, name="每周接访", frequency="weekly", owner=zhang)
    ops.record_occurrence(action, zhang, day=date(2026, 11, 18), done=False, note="出差")
    db.session.flush()

    week = reports.Period.week_of(date(2026, 11, 18))
    assert (week.start, week.end) == (date(2026, 11, 16), date(2026, 11, 22))
    today = date(2026, 11, 23)
    by_name = {line.name: line for line in reports.cadre_bulletin(t, week, today)}
    line = by_name["张卫东"]
    assert (line.visits, line.matters_taken, line.overdue) == (2, 2, 1)
    assert (line.ratings, line.satisfied, line.satisfaction) == (1, 1, 1.0)
    villages = {v.name: v for v in reports.village_bulletin(t, week, today)}
    assert (villages["东村"].visits, villages["西村"].visits) == (1, 1)
    assert villages["西村"].overdue == 1 and villages["东村"].ratings == 1


def test_leaders_down_visits_count_against_their_contact_points(town):
    t, zhang, leader, east, west = town
    reports.set_contact_point(t, leader, east, monthly_target=2)
    reports.set_contact_point(t, leader, west, monthly_target=1)
    h_east, h_west = factories.household(t, east), factories.household(t, west)
    _visit(t, h_east, leader, date(2026, 11, 3), kind="xiafang")
    _visit(t, h_east, leader, date(2026, 11, 3), kind="zoufang")  # not a down-visit
    _visit(t, h_west, leader, date(2026, 11, 9), kind="xiafang")
    _visit(t, h_west, leader, date(2026, 10, 9), kind="xiafang")  # last month
    db.session.flush()
    status = {s.point.village_id: s for s in
              reports.contact_points_status(t, reports.Period.month_of(date(2026, 11, 20)))}
    assert (status[east.id].down_visits, status[east.id].met) == (1, False)
    assert (status[west.id].down_visits, status[west.id].met) == (1, True)


def test_units_are_compared_with_their_class_targets(town):
    t, zhang, leader, east, west = town
    centre = factories.centre(t, "社会事务服务中心")
    reports.set_unit(t, name="社会事务服务中心", unit_class="1", centre=centre)
    reports.set_unit(t, name="东村", unit_class="2", village=east)
    reports.set_class_target(t, "1", resolution_pct=90, on_time_pct=80, satisfaction_pct=95)
    now = datetime(2026, 11, 2, 2, tzinfo=UTC)
    # The reply, rating and withdrawal happen in November too (not at the hour the suite runs).
    with time_machine.travel(now + timedelta(days=1), tick=True):
        done = matters.create_matter(t, channel="hall", title="参保", centre=centre, now=now)
        matters.reply(done, zhang, public_text="办结")
        matters.evaluate(done, rating="dissatisfied", source="resident_link")
        matters.create_matter(t, channel="hall", title="补贴", centre=centre, now=now)
        withdrawn = matters.create_matter(t, channel="hall", title="撤回", centre=centre, now=now)
        matters.end_without_resolution(withdrawn, zhang, to=matters.State.WITHDRAWN, reason="撤回")
        db.session.flush()
    figures = {f.unit.name: f for f in
               reports.unit_comparison(t, reports.Period.month_of(date(2026, 11, 20)))}
    hall = figures["社会事务服务中心"]
    # The dissatisfied rating reopened the first matter: 0 of 2 counted matters resolved.
    assert hall.received == 2
    assert hall.figures["resolution"] == 0.0 and hall.figures["satisfaction"] == 0.0
    assert hall.below("resolution") and hall.below("satisfaction")
    village = figures["东村"]
    assert village.received == 0 and village.figures["resolution"] is None
    assert village.target is None and not village.below("resolution")


def test_the_bulletin_pdf_is_a_document_made_by_a_job(app, client, monkeypatch):
    """A leader asks for the week's bulletin; the document machinery renders and stores it.

    The job runs in this process here (RQ delivery is tested in tests/notices/test_jobs.py)."""
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    import io

    from pypdf import PdfReader
    from sqlalchemy import select

    from app.notices.models import Document
    from tests.conftest import csrf, login

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        factories.user(t, Role.CADRE, name="张卫东")
        leader = factories.user(t, Role.LEADER, name="刘书记")
        db.session.commit()
        bind_township(db.session, None)
    login(client, leader)
    page = client.get(f"/t/{t.slug}/cadres/reports?period=week&day=2026-11-18")
    asked = client.post(f"/t/{t.slug}/cadres/reports.pdf",
                        data={"csrf_token": csrf(page.text), "period": "week",
                              "day": "2026-11-18"})
    assert asked.status_code == 302 and "/notices/documents/" in asked.headers["Location"]
    with app.app_context():
        bind_township(db.session, t.id)
        doc = db.session.scalar(select(Document).where(Document.kind == "cadre_bulletin"))
        assert doc.subject_id == "week:2026-11-18"
    download = client.get(asked.headers["Location"] + "/download")
    assert download.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    assert "张卫东" in text


def test_the_bulletin_pdf_draws_the_dashboards_charts(app, monkeypatch):
    """The monthly assessment carries the villages' satisfaction in bars (the table's numbers)
    and the township's figures by month and quarter; the SVG's text is in the PDF."""
    import io
    from datetime import datetime

    import time_machine
    from pypdf import PdfReader

    from app.matters import operations as ledger
    from app.notices.pdf import render_pdf

    with app.app_context(), time_machine.travel(datetime(2026, 11, 20, 4, tzinfo=UTC),
                                                tick=False):
        t = factories.township("bulletincharts")
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘书记")
        east, _west = factories.village(t, "东村"), factories.village(t, "西村")
        m = factories.matter(t, actor=leader, village=east, title="路灯")
        ledger.reply(m, leader, public_text="已修好", township=t)
        ledger.evaluate(m, rating="very_satisfied", source="resident_link")
        db.session.commit()
        from app.cadres.views import bulletin_context

        context = bulletin_context(t, "month:2026-11-18")
        bars = str(context["charts"]["village_bars"])
        assert "东村" in bars and "100% (1/1)" in bars and "<script" not in bars
        assert [line.satisfaction for line in context["villages"]
                if line.name == "东村"] == [1.0]
        pdf = render_pdf("cadre_bulletin.html", township=t, **context)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "各村满意率" in text and "100% (1/1)" in text and "按季度" in text


def test_a_county_cadre_linked_to_households_here_is_listed_with_their_work(town):
    t, zhang, leader, east, west = town
    # A county official: no role in the township, the contact cadre of one of its households.
    wang = factories.user(t, name="王局长")
    h = factories.household(t, east)
    h.contact_cadre_id = wang.id
    _visit(t, h, wang, date(2026, 11, 17))
    stranger = factories.user(t, name="路人甲")  # neither staff nor linked: not listed
    db.session.flush()

    week = reports.Period.week_of(date(2026, 11, 18))
    by_name = {line.name: line for line in reports.cadre_bulletin(t, week, date(2026, 11, 23))}
    assert by_name["王局长"].visits == 1 and by_name["王局长"].county
    assert not by_name["张卫东"].county
    assert stranger.name not in by_name
