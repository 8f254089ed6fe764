"""The county's household and visit counts (app.counties.summary) stay equal to a recount from
the rows after random sequences of changes, and the dashboard's figures read from them equal the
figures counted from the rows."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role
from app.counties import figures
from app.counties import summary as county_summary
from app.extensions import db
from app.households import operations as registry
from app.households.models import Household, Visit
from app.matters.rates import PERIODS
from app.tenancy import bind_township
from tests import factories

TODAY = date(2026, 12, 2)
FIRST = date(2025, 11, 20)  # visits spread over two calendar years


def _rows_figures(monkeypatch, ids, start, end, by):
    with monkeypatch.context() as m:
        m.setattr(county_summary, "standard_kind", lambda *_a: None)
        return figures.figures(ids, start, end, TODAY, by=by)


def _compare(monkeypatch, ids, day):
    for kind, period in PERIODS.items():
        start, end = period(day)
        for by in ("township", "village", "cadre"):
            kept = figures.figures(ids, start, end, TODAY, by=by)
            rows = _rows_figures(monkeypatch, ids, start, end, by)
            assert set(kept) == set(rows), (kind, by)
            for key, r in rows.items():
                k = kept[key]
                got = (k.households, k.covered, k.visited, k.visits, k.as_dict())
                assert got == (r.households, r.covered, r.visited, r.visits, r.as_dict()), \
                    (kind, by, key)
    months = [PERIODS["month"](day - timedelta(days=31 * i)) for i in range(3)][::-1]
    totals = figures.period_totals(ids, months, TODAY)
    with monkeypatch.context() as m:
        m.setattr(county_summary, "standard_kind", lambda *_a: None)
        plain = figures.period_totals(ids, months, TODAY)
    assert [(r.households, r.visited) for r in totals] == \
        [(r.households, r.visited) for r in plain]
    _compare_coverage(ids)


def _compare_coverage(ids):
    """The coverage report (read from the kept counts) equals the households counted."""
    import uuid
    from collections import Counter
    from types import SimpleNamespace

    from app.counties import coverage

    homes = db.session.execute(
        select(Household.township_id, Household.village_id, Household.contact_cadre_id)
        .where(Household.township_id.in_(ids), Household.active.is_(True)),
        execution_options={"all_townships": True}).all()
    places, covered, loads, spread = Counter(), Counter(), Counter(), {}
    for tid, vid, cadre in homes:
        places[(tid, vid)] += 1
        covered[(tid, vid)] += cadre is not None
        if cadre is not None:
            loads[cadre] += 1
            spread.setdefault(cadre, set()).add(tid)
    data = coverage.coverage(SimpleNamespace(id=uuid.uuid4(), households_per_cadre=3), ids)
    assert {(p.township_id, p.village_id): (p.households, p.covered) for p in data.places} == \
        {k: (n, covered[k]) for k, n in places.items()}
    assert {c.user_id: (c.households, c.townships) for c in data.cadres} == \
        {u: (n, len(spread[u])) for u, n in loads.items()}


def _world(n_households=14, names=None):
    towns = []
    for name in names or (None, None):
        t = factories.township(name)
        name = t.slug
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN)
        cadres = [factories.user(t, Role.CADRE) for _i in range(3)]
        villages = [factories.village(t, f"{name}村{i}") for i in range(3)]
        homes = [factories.household(t, villages[i % 3], head=f"户{i}",
                                     phone=f"1380000{i:04d}") for i in range(n_households)]
        db.session.commit()
        towns.append((t, admin, cadres, villages, homes))
    bind_township(db.session, None)
    return towns


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_keep_the_summary_equal_to_a_recount(app, monkeypatch, seed):
    rng = random.Random(seed)
    with app.app_context():
        db.session().expire_on_commit = False
        towns = _world()
        ids = [t.id for t, *_rest in towns]
        span = (TODAY - FIRST).days
        for step in range(45):
            t, admin, cadres, villages, homes = rng.choice(towns)
            bind_township(db.session, t.id)
            for _change in range(rng.randint(1, 3)):
                action = rng.choice(["add", "add", "add", "edit", "remove", "move", "cadre",
                                     "status", "merge", "bulk"])
                visits = db.session.scalars(select(Visit).where(
                    Visit.township_id == t.id)).all()
                h = db.session.get(Household, (t.id, rng.choice(homes).id))
                if action == "add" or (action in ("edit", "remove") and not visits):
                    db.session.add(Visit(township_id=t.id, household_id=h.id,
                                         visitor_id=rng.choice(cadres).id,
                                         visited_on=FIRST + timedelta(days=rng.randrange(span))))
                elif action == "edit":
                    v = rng.choice(visits)
                    change = rng.random()
                    if change < 0.4:
                        v.visited_on = FIRST + timedelta(days=rng.randrange(span))
                    elif change < 0.7:
                        v.visitor_id = rng.choice(cadres).id  # who made it, corrected
                    else:
                        v.household_id = h.id
                elif action == "remove":
                    db.session.delete(rng.choice(visits))
                elif action == "move":
                    h.village_id = rng.choice(villages).id
                elif action == "cadre":
                    h.contact_cadre_id = rng.choice([None, *[c.id for c in cadres]])
                elif action == "status":
                    if h.status != "merged":
                        registry.set_household_status(
                            t, admin, h, rng.choice(["moved_away", "deceased", "active"]),
                            TODAY)
                elif action == "merge":
                    other = db.session.get(Household, (t.id, rng.choice(homes).id))
                    if other.id != h.id and h.active and other.status != "merged":
                        registry.merge_households(t, admin, other, h)
                else:  # a statement that bypasses the session's objects
                    db.session.execute(
                        update(Household).where(Household.township_id == t.id,
                                                Household.id == h.id)
                        .values(contact_cadre_id=rng.choice(cadres).id),
                        execution_options={"synchronize_session": False})
                if rng.random() < 0.3:
                    db.session.flush()  # changes over several flushes of one transaction
            db.session.commit()
            bind_township(db.session, None)
            for tid in ids:
                assert county_summary.agrees(tid), (seed, step)
            if step % 5 == 4:
                _compare(monkeypatch, ids, FIRST + timedelta(days=rng.randrange(span)))
        _compare(monkeypatch, ids, TODAY)


def test_a_village_merge_and_a_read_before_commit_count_exactly(app, monkeypatch):
    with app.app_context():
        db.session().expire_on_commit = False
        (t, admin, cadres, villages, homes), _other = _world(6)
        ids = [t.id, _other[0].id]
        bind_township(db.session, t.id)
        for i, h in enumerate(homes):
            h.contact_cadre_id = cadres[i % 2].id
            db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=cadres[0].id,
                                 visited_on=date(2026, 11, 3 + i)))
        db.session.commit()
        registry.merge_villages(t, admin, villages[0], villages[1])
        # Read inside the same transaction: the pending changes are counted first.
        kept = figures.figures(ids, date(2026, 11, 1), date(2026, 12, 1), TODAY, by="village")
        assert (t.id, villages[0].id) not in kept
        assert kept[(t.id, villages[1].id)].households == 4
        assert kept[(t.id, villages[1].id)].visited == 4
        db.session.commit()
        bind_township(db.session, None)
        assert county_summary.agrees(t.id)
        _compare(monkeypatch, ids, date(2026, 11, 15))
        # A row left wrong on purpose is found by the check and put right by `rebuild`.
        db.session.execute(update(county_summary.CountyHouseholdCount)
                           .where(county_summary.CountyHouseholdCount.township_id == t.id)
                           .values(households=99))
        assert not county_summary.agrees(t.id)
        county_summary.rebuild(t.id)
        db.session.commit()
        assert county_summary.agrees(t.id)


def test_the_cli_checks_and_rebuilds(app):
    with app.app_context():
        _world(3, names=("sum-cli", "sum-cli-b"))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["minqing", "county-summary", "--slug", "sum-cli"]).output
    assert "sum-cli: in step" in out
    out = runner.invoke(args=["minqing", "county-summary", "--rebuild", "--slug", "sum-cli"]).output
    assert "sum-cli:" in out and "counted from households and visits" in out


def test_the_ranking_score_is_the_mean_of_the_defined_rates_less_the_overdue_share():
    rng = random.Random(7)
    for _i in range(300):
        r = figures.Row(key=_i, **{name: rng.randint(0, 3) for name in (
            "received", "resolved", "on_time", "overdue", "rated", "happy", "households",
            "visited", "covered")})
        values = [getattr(r, name).value for name in figures.RANKED_BY]
        values = [v for v in values if v is not None]
        want = (sum(values) / len(values) if values else 0.0) - (
            r.overdue / r.received if r.received else 0.0)
        assert r.score == want


def test_the_cadre_ranking_shows_fifty_a_page_and_exports_every_row(app, world, client):
    import io

    from openpyxl import load_workbook

    from app.counties.models import CountyRole
    from app.counties.views import CADRES_PER_PAGE
    from tests.conftest import login

    with app.app_context():
        t = db.session.get(type(world.a.township), world.a.township.id)
        bind_township(db.session, t.id)
        v = factories.village(t, "排名村")
        for i in range(CADRES_PER_PAGE + 5):
            h = factories.household(t, v, head=f"排名{i}", phone=f"1370000{i:04d}")
            h.contact_cadre_id = factories.user(t, Role.CADRE, name=f"排名干部{i}").id
        db.session.commit()
        bind_township(db.session, None)
    login(client, world.a.objects.county_users[CountyRole.COUNTY_LEADER])
    slug = world.a.objects.county.slug
    base = f"/c/{slug}/dashboard?period=month&by=cadre&on=2026-11-15"
    html = client.get(base).get_data(True)
    shown = html.split('id="ranking"', 1)[1].split("</table>", 1)[0].count("<tr data-key=")
    assert shown == CADRES_PER_PAGE
    assert "page=2" in html and "format=xlsx" in html
    second = client.get(base + "&page=2").get_data(True)
    assert second.split('id="ranking"', 1)[1].split("</table>", 1)[0].count("<tr data-key=") > 0
    response = client.get(base + "&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("名次", "名称") and len(rows) - 1 > CADRES_PER_PAGE
    names = {r[1] for r in rows[1:]}
    assert {f"排名干部{i}" for i in range(CADRES_PER_PAGE + 5)} <= names
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])  # in rank order


def test_one_transaction_over_two_townships_counts_each_under_its_own_binding(app):
    # Row-level security shows a township's rows only while it is bound: the commit counts each
    # township's households bound to it, not to the township bound last.
    with app.app_context():
        db.session().expire_on_commit = False
        (a, *_ra, villages_a, _ha), (b, *_rb, villages_b, _hb) = _world(2)
        bind_township(db.session, a.id)
        factories.household(a, villages_a[0], head="甲户")
        bind_township(db.session, b.id)
        factories.household(b, villages_b[0], head="乙户")
        db.session.commit()
        bind_township(db.session, None)
        for town in (a, b):
            assert county_summary.agrees(town.id)
            assert figures.figures([town.id], date(2026, 12, 1), date(2027, 1, 1), TODAY,
                                   by="township")[town.id].households == 3


def test_migrate_counts_visits_by_visitor_where_they_were_never_kept(app):
    # Townships counted before visits were kept by visitor ("w") have household rows but no
    # visitor rows: `minqing migrate` (fill_missing) counts them again.
    with app.app_context():
        db.session().expire_on_commit = False
        (t, _admin, cadres, _villages, homes), (other, *_rest) = _world(3)
        bind_township(db.session, t.id)
        db.session.add(Visit(township_id=t.id, household_id=homes[0].id,
                             visitor_id=cadres[0].id, visited_on=date(2026, 11, 3)))
        db.session.commit()
        bind_township(db.session, None)
        kept = county_summary.CountyVisitCount
        db.session.execute(kept.__table__.delete().where(kept.township_id == t.id,
                                                          kept.dim == "w"))
        db.session.commit()
        assert not county_summary.agrees(t.id)
        assert county_summary.fill_missing() == 1  # the other township has no visits
        db.session.commit()
        assert county_summary.agrees(t.id) and county_summary.agrees(other.id)
        made = county_summary.visits_made([t.id], "m", date(2026, 11, 1))
        assert made == {cadres[0].id: 1}
