"""双评价: residents' rounds and the organisation's evaluation, combined with the township's
weights, exported as the year's assessment sheet and published where the township chooses."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cadres import dual
from app.cadres import operations as ops
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def _round(t, cadres, ratings, closed_at):
    r = ops.open_round(t, title="评议", cadres=cadres, min_participants=1)
    links = ops.invite_participants(r, category="resident", count=len(ratings))
    for (participant, _token), rating in zip(links, ratings, strict=True):
        ops.submit_ratings(r, participant, {str(cadres[0].id): (rating, "")})
    ops.close_round(r)
    r.closed_at = closed_at
    return r


@pytest.fixture
def town(ctx):
    t = factories.township("shuangping", code="SP", services=())
    bind_township(db.session, t.id)
    leader = factories.user(t, Role.LEADER, name="刘书记")
    zhang = factories.user(t, Role.CADRE, name="张卫东")
    li = factories.user(t, Role.CADRE, name="李秀梅")
    return t, leader, zhang, li


def test_the_two_evaluations_combine_with_the_townships_weights(town):
    t, leader, zhang, li = town
    # 3 of 4 residents satisfied in a round closed in 2026; a 2025 round does not count.
    _round(t, [zhang], ["satisfied", "very_satisfied", "basically_satisfied", "dissatisfied"],
           datetime(2026, 6, 30, 8, tzinfo=UTC))
    _round(t, [zhang], ["very_dissatisfied"], datetime(2025, 12, 31, 15, 30, tzinfo=UTC))
    dual.assess(t, leader, cadre=zhang, year=2026, score=90)
    with pytest.raises(dual.DualError, match="自己"):
        dual.assess(t, zhang, cadre=zhang, year=2026, score=100)
    with pytest.raises(dual.DualError, match="0 到 100"):
        dual.assess(t, leader, cadre=li, year=2026, score=101)
    rows = {r.cadre.name: r for r in dual.results(t, 2026)}
    assert (rows["张卫东"].rated, rows["张卫东"].residents, rows["张卫东"].organisation) == (
        4, 0.75, 90)
    assert rows["张卫东"].combined == 81.0  # 75 × 60% + 90 × 40%
    assert rows["李秀梅"].combined is None  # neither part yet
    dual.set_weights(t, leader, residents=50, organisation=50, public=True)
    assert {r.cadre.name: r.combined for r in dual.results(t, 2026)}["张卫东"] == 82.5
    with pytest.raises(dual.DualError, match="合计 100"):
        dual.set_weights(t, leader, residents=70, organisation=40, public=False)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)).all()
    assert actions == ["cadre.org_assessment", "settings.dual_evaluation"]


def test_the_page_the_assessment_sheet_and_the_public_results(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("shuangpingye", code="SPY", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        zhang = factories.user(t, Role.CADRE, name="张卫东")
        _round(t, [zhang], ["satisfied", "satisfied"], datetime(2026, 5, 1, tzinfo=UTC))
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/cadres/dual?year=2026")
    assert page.status_code == 200 and "张卫东" in page.text and "100.0%" in page.text
    assert client.get(f"/t/{t.slug}/evaluations/dual/2026").status_code == 404  # not public yet
    client.post(f"/t/{t.slug}/cadres/dual", data={
        "csrf_token": csrf(page.text), "year": "2026", "cadre_id": str(zhang.id), "score": "80"})
    client.post(f"/t/{t.slug}/cadres/dual", data={
        "csrf_token": csrf(page.text), "year": "2026", "what": "weights", "residents": "60",
        "organisation": "40", "public": "1"})
    sheet = load_workbook(io.BytesIO(client.get(f"/t/{t.slug}/cadres/dual.xlsx?year=2026").data))
    rows = list(sheet.active.iter_rows(values_only=True))
    assert rows[0][0] == "干部" and rows[1][0] == "张卫东" and rows[1][-1] == 92.0
    public = client.get(f"/t/{t.slug}/evaluations/dual/2026")
    assert public.status_code == 200 and "张卫东" in public.text and "92.0" in public.text
