"""The quarterly county 民情地图 meeting report (县级民情地图工作例会).

Each township's figures and rank for the quarter, the change since the last quarter, the
escalated and overdue matters, the typical cases (典型案例) the townships chose (their approved
case write-ups), and the coverage gaps. Built from plain data; rendered to PDF by a job
(app.counties.jobs.render_report) with its progress shown on the report's page.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.counties import coverage as coverage_report
from app.counties import figures
from app.counties.models import County, CountyEscalation, EscalationState
from app.extensions import db
from app.matters.models import Matter
from app.matters.rates import quarter_period
from app.townships.models import Township


def quarter_key(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(key: str) -> tuple[date, date]:
    year, q = int(key[:4]), int(key[5])
    return quarter_period(date(year, 3 * (q - 1) + 1, 1))


def previous_quarter(key: str) -> str:
    start, _end = quarter_bounds(key)
    return quarter_key(start - timedelta(days=1))


def last_quarter(today: date) -> str:
    """The quarter before the one `today` is in (the one a meeting reviews)."""
    return previous_quarter(quarter_key(today))


def build(county: County, key: str, today: date, progress=lambda done, total, note="": None
          ) -> dict:
    """The report's context: plain numbers and names, nothing lazily loaded by the template."""
    from app.cadres.models import CaseWriteUp

    towns = list(db.session.scalars(select(Township).where(Township.county_id == county.id)
                                    .order_by(Township.name)))
    ids = [t.id for t in towns]
    names = {t.id: t.name for t in towns}
    start, end = quarter_bounds(key)
    before_start, before_end = quarter_bounds(previous_quarter(key))
    progress(1, 5, "本季度各乡镇指标")
    now_rows = figures.ranked(figures.figures(ids, start, end, today))
    progress(2, 5, "上季度对比")
    before = {r.key: r for r in figures.ranked(figures.figures(ids, before_start, before_end,
                                                                today))}
    table = []
    for r in now_rows:
        prior = before.get(r.key)
        row = {"name": names.get(r.key, ""), **r.as_dict(),
               "rank_before": prior.rank if prior else None,
               "resolution_before": prior.resolution_rate.percent if prior else None,
               "satisfaction_before": prior.satisfaction_rate.percent if prior else None}
        row["rank_change"] = (row["rank_before"] - r.rank
                              if row["rank_before"] is not None and r.rank else None)
        table.append(row)
    progress(3, 5, "上报县级与超期事项")
    lo, hi = figures.utc_bounds(towns[0].timezone if towns else "Asia/Shanghai", start, end)
    escalated = []
    if ids:
        for e, m in db.session.execute(
                select(CountyEscalation, Matter)
                .join(Matter, (Matter.township_id == CountyEscalation.township_id)
                      & (Matter.id == CountyEscalation.matter_id))
                .where(CountyEscalation.county_id == county.id,
                       CountyEscalation.township_id.in_(ids),
                       ((CountyEscalation.escalated_at >= lo)
                        & (CountyEscalation.escalated_at < hi))
                       | CountyEscalation.state.in_([EscalationState.WAITING,
                                                     EscalationState.OPEN]))
                .order_by(CountyEscalation.due_on), execution_options={"all_townships": True}):
            escalated.append({
                "township": names.get(e.township_id, ""), "number": m.number, "title": m.title,
                "department": e.department.name if e.department else "",
                "state": e.state_label, "due_on": e.due_on,
                "overdue": e.is_open and e.due_on < today})
    progress(4, 5, "典型案例与覆盖")
    cases = []
    if ids:
        for c in db.session.scalars(
                select(CaseWriteUp).where(CaseWriteUp.township_id.in_(ids),
                                          CaseWriteUp.state == "approved",
                                          CaseWriteUp.approved_at >= lo,
                                          CaseWriteUp.approved_at < hi)
                .order_by(CaseWriteUp.approved_at), execution_options={"all_townships": True}):
            cases.append({"township": names.get(c.township_id, ""), "title": c.title,
                          "body": c.body})
    cover = coverage_report.coverage(county, ids)
    gaps = [{"township": p.township, "village": p.village, "households": p.households,
             "uncovered": p.uncovered} for p in cover.places if p.uncovered]
    gaps.sort(key=lambda g: -g["uncovered"])
    flagged = [{"name": c.name, "households": c.households, "flag": c.flag(cover.norm)}
               for c in cover.flagged()]
    progress(5, 5, "")
    return {"county_name": county.name, "quarter": key, "start": start,
            "last_day": end - timedelta(days=1), "rows": table, "escalated": escalated,
            "overdue_count": sum(1 for e in escalated if e["overdue"]), "cases": cases,
            "gaps": gaps[:30], "gap_total": cover.uncovered, "households": cover.households,
            "flagged": flagged[:30], "norm": cover.norm}
