"""The leaders' dashboard as pictures: each figure by month and by quarter, the villages, centres
and cadres ranked in bars (each bar a link to the rows it counts), the overdue matters by age.

Drawn with app.charts; the numbers come from app.matters.rates, the functions the dashboard's
table uses (cached_rates_by_village, compute_rates), so the pictures and the table agree.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from app import charts
from app.extensions import db
from app.matters.models import OPEN_STATES, Matter
from app.matters.rates import (
    cached_rates_by_village,
    last_months,
    matters_query,
    quarter_period,
    rates_by_cadre,
    rates_by_village_by_month,
)

# (attribute of Rates, label) of every figure the dashboard shows.
FIGURES = (("visit_rate", "入户走访率"), ("resolution_rate", "问题解决率"),
           ("satisfaction_rate", "群众满意率"), ("on_time_rate", "按时办结率"),
           ("response_rate", "响应率"), ("revisit_rate", "回访率"))

# Overdue ages in days past the promised date: (value of ?age=, first day, last day or None).
AGES = (("1-7", 1, 7), ("8-30", 8, 30), ("31-", 31, None))


def _pc(f):
    return None if f is None else f.percent


def _text(f):
    if f is None or not f.denominator:
        return "—"
    return f"{f.percent:.1f}% ({f.numerator}/{f.denominator})"


def last_quarters(day: date, count: int = 4) -> list[tuple[date, date]]:
    """The `count` calendar quarters up to and including the day's, oldest first."""
    quarters, start = [], quarter_period(day)[0]
    for _i in range(count):
        quarters.append(quarter_period(start))
        start = quarter_period(start - timedelta(days=1))[0]
    return quarters[::-1]


def trends(township, day: date) -> list[dict]:
    """Each figure of the township by month (last 12) and by quarter (last 4), as two charts
    (the three rates; the three working figures) for each, with the rows for a table."""
    months = [(f"{m[0].month}月", total)
              for m, total, _v in rates_by_village_by_month(township.id, day)]
    quarters = [(f"{q[0].year % 100}Q{(q[0].month - 1) // 3 + 1}",
                 cached_rates_by_village(township.id, *q)[0]) for q in last_quarters(day)]
    out = []
    for key, title, points in (("month", _("按月"), months), ("quarter", _("按季度"), quarters)):
        labels = [label for label, _r in points]
        groups = []
        for part in (FIGURES[:3], FIGURES[3:]):
            names = [_(label) for _a, label in part]
            series = [(n, [_pc(getattr(r, attr)) for _l, r in points])
                      for n, (attr, _label) in zip(names, part, strict=False)]
            groups.append(dict(chart=charts.trend(f"{title}：{'、'.join(names)}", labels, series),
                               legend=charts.legend(names)))
        out.append(dict(key=key, title=title, groups=groups, rows=points))
    return out


def ranking(title, items, attr, link) -> dict:
    """Bars of `items` [(name, filters, Rates)] by one figure, highest first; each bar links to
    the ledger rows of that scope (`link(filters)`)."""
    ranked = sorted(items, key=lambda it: (_pc(getattr(it[2], attr)) is None,
                                           -(_pc(getattr(it[2], attr)) or 0)))
    bars = [(name, _pc(getattr(r, attr)), link(filters), _text(getattr(r, attr)))
            for name, filters, r in ranked]
    return dict(title=title, chart=charts.bars(title, bars) if bars else None, rows=bars)


def cadre_rows(township, start: date, end: date, people, limit: int = 10) -> list:
    """(name, {"assignee": id}, Rates) of the cadres with the most matters in the period."""
    counted = matters_query(township, start, end).subquery()
    top = db.session.execute(
        select(counted.c.assignee_id, func.count()).where(counted.c.assignee_id.is_not(None))
        .group_by(counted.c.assignee_id).order_by(func.count().desc()).limit(limit)).all()
    names = dict(people)
    rates = rates_by_cadre(township.id, start, end, [uid for uid, _n in top])
    return [(names.get(uid, "—"), {"assignee": uid}, rates[uid]) for uid, _n in top]


def overdue_by_age(township, today: date) -> dict:
    """Open matters past their promised date, counted by how many days late, each a link, and
    their total (the dashboard's 当前超期): one pass over the open matters' index."""
    ages = [and_(*age_condition(value, today)) for value, _first, _last in AGES]
    counts = db.session.execute(
        select(func.count(), *[func.count().filter(c) for c in ages]).select_from(Matter).where(
            Matter.township_id == township.id,
            Matter.state.in_([s.value for s in OPEN_STATES]),
            Matter.due_on < today)).one()
    out = []
    for (value, first, last), count in zip(AGES, counts[1:], strict=True):
        out.append(dict(age=value, label=(_("超期%(n)d天以上", n=first) if last is None
                               else _("超期%(a)d–%(b)d天", a=first, b=last)),
                        count=count, href=url_for("matters.index", due="overdue", age=value)))
    top = max([a["count"] for a in out] + [1])
    out_chart = charts.bars(_("超期事项（按超期天数）"),
                            [(a["label"], 100 * a["count"] / top, a["href"], str(a["count"]))
                             for a in out])
    return dict(rows=out, chart=out_chart, total=counts[0])


def age_condition(value: str, today: date):
    """The ledger's ?age= filter, with ?due=overdue: the conditions of one age of AGES."""
    for key, first, last in AGES:
        if key == value:
            conditions = [Matter.due_on <= today - timedelta(days=first)]
            if last is not None:
                conditions.append(Matter.due_on >= today - timedelta(days=last))
            return conditions
    return []




# ---------------------------------------------------------------- the county's dashboard

COUNTY_FIGURES = (("resolution_rate", "问题解决率"), ("satisfaction_rate", "群众满意率"),
                  ("visit_rate", "入户走访率"), ("on_time_rate", "按时办结率"))


def county_total(rows) -> object:
    """The county's own Row: the sum of its townships' counts (app.counties.figures.Row)."""
    from dataclasses import fields

    from app.counties.figures import Row

    total = Row(key=None)
    for row in rows:
        for f in fields(Row):
            if f.type in (int, "int"):
                setattr(total, f.name, getattr(total, f.name) + getattr(row, f.name))
    return total


def county_trends(township_ids, day: date, today: date) -> list[dict]:
    """The county's figures by month (last 12) and quarter (last 4): the comparison table's
    definitions summed over the townships (app.counties.figures.period_totals), each figure
    counted once grouped by period."""
    from app.counties.figures import cached_period_totals

    months, quarters = last_months(day), last_quarters(day)
    points = {
        "month": list(zip([f"{m[0].month}月" for m in months],
                          cached_period_totals(township_ids, months, today), strict=True)),
        "quarter": list(zip([f"{q[0].year % 100}Q{(q[0].month - 1) // 3 + 1}" for q in quarters],
                            cached_period_totals(township_ids, quarters, today), strict=True))}
    names = [_(label) for _a, label in COUNTY_FIGURES]
    out = []
    for key, title in (("month", _("按月")), ("quarter", _("按季度"))):
        labels = [label for label, _r in points[key]]
        series = [(n, [_pc(getattr(r, attr)) for _l, r in points[key]])
                  for n, (attr, _label) in zip(names, COUNTY_FIGURES, strict=False)]
        out.append(dict(key=key, title=title, rows=points[key], legend=charts.legend(names),
                        chart=charts.trend(f"{title}：{'、'.join(names)}", labels, series)))
    return out


def county_rankings(rows, names, link, limit: int = 30) -> list[dict]:
    """Bars of the shown rows (townships, villages or cadres) by resolution and satisfaction;
    each bar links to the matters it counts (`link(row, figure)`)."""
    out = []
    for attr, label, figure in (("resolution_rate", "问题解决率", "resolved"),
                                ("satisfaction_rate", "群众满意率", "received")):
        items = sorted(rows[:limit], key=lambda r: (_pc(getattr(r, attr)) is None,
                                                    -(_pc(getattr(r, attr)) or 0)))
        bars = [(names.get(r.key, ""), _pc(getattr(r, attr)), link(r, figure),
                 _text(getattr(r, attr))) for r in items]
        if bars:
            out.append(dict(title=_(label), chart=charts.bars(_(label), bars, label_w=110)))
    return out


# ---------------------------------------------------------------- the bulletin's PDF

def bulletin_charts(township, last_day: date, villages) -> dict:
    """The weekly bulletin's and monthly assessment's pictures: the township's figures by month
    and quarter up to the period (as on the dashboard) and the villages' satisfaction of the
    period in bars, from the bulletin's own lines (app.cadres.reports.Line), the table's numbers."""
    items = sorted(villages, key=lambda line: (line.satisfaction is None,
                                               -(line.satisfaction or 0)))
    bars = [(line.name, None if line.satisfaction is None else 100 * line.satisfaction, None,
             "—" if line.satisfaction is None else
             f"{100 * line.satisfaction:.0f}% ({line.satisfied}/{line.ratings})")
            for line in items]
    return dict(trends=trends(township, last_day),
                village_bars=charts.bars(_("各村满意率"), bars, label_w=90) if bars else None)
