"""Household visits (民情日记): recording, matters raised from them, summaries and coverage.

Coverage is one of the three rates: the share of a village's households visited at least once in
a period, against the township's target (100 % for small villages, 80 % for large ones).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.households.models import (
    FindingKind,
    Grid,
    Household,
    Village,
    Visit,
    VisitKind,
    VisitMethod,
)
from app.matters import operations as matters
from app.matters.models import Matter
from app.matters.operations import TransitionError


def record_visit(township, actor, *, household: Household, visited_on: date, method: str,
                 notes: str = "", findings: dict[str, str] | None = None,
                 today: date | None = None, kind: str = VisitKind.ROUND.value) -> Visit:
    """Record a visit with what was heard under the five must-record headings (五必记).

    Empty headings are dropped; a visit dated in the future is refused (diaries record the past).
    """
    today = today or matters.local_today(township)
    if visited_on > today:
        raise TransitionError("走访日期不能晚于今天。")
    clean = {}
    for key, text in (findings or {}).items():
        FindingKind(key)  # unknown headings are a programming error, not user input
        if text and text.strip():
            clean[key] = text.strip()
    visit = Visit(township_id=township.id, household_id=household.id, visitor_id=actor.id,
                  visited_on=visited_on, method=VisitMethod(method).value, notes=notes.strip(),
                  findings=clean, kind=VisitKind(kind or VisitKind.ROUND).value)
    db.session.add(visit)
    db.session.flush()
    return visit


def default_visit_kind(user, township) -> str:
    """What a visit form starts as: a leader's visit is a 下访 to a contact point, anyone else's a
    走访; the person recording can always change it (接访 for a resident received)."""
    from app.accounts.models import Role

    if Role.LEADER in user.roles_in(township.id):
        return VisitKind.DOWN.value
    return VisitKind.ROUND.value


def raised_matters(visit: Visit) -> dict[str, Matter]:
    """The matters already raised from this visit, by heading."""
    rows = db.session.scalars(select(Matter).where(Matter.township_id == visit.township_id,
                                                   Matter.source_visit_id == visit.id))
    return {m.category: m for m in rows}


def raise_matter(township, actor, visit: Visit, kind: str,
                 is_public: bool | None = None) -> Matter:
    """Turn one heading of a visit into a matter (channel visit) linked to the visit. Once only."""
    kind = FindingKind(kind).value
    text = (visit.findings or {}).get(kind)
    if not text:
        raise TransitionError("这次走访没有记录该项内容。")
    if kind in raised_matters(visit):
        raise TransitionError("该项已转为事项。")
    label = FindingKind(kind).label
    title = f"{label}：{text[:40]}"
    return matters.create_matter(township, channel="visit", title=title, actor=actor,
                                 description=text, category=kind, household=visit.household,
                                 source_visit=visit, is_public=is_public)


def week_of(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


@dataclass
class SummaryGroup:
    name: str
    visits: int = 0
    households: set = field(default_factory=set)
    findings: dict[str, list] = field(default_factory=lambda: defaultdict(list))


def summary(township, start: date, end: date, visitor_id=None) -> dict:
    """What the diaries recorded between start and end, sorted by village and by cadre; one
    cadre's own diaries when `visitor_id` is given."""
    query = select(Visit).where(Visit.township_id == township.id, Visit.visited_on >= start,
                                Visit.visited_on <= end)
    if visitor_id is not None:
        query = query.where(Visit.visitor_id == visitor_id)
    visits = list(db.session.scalars(query.order_by(Visit.visited_on)))
    by_village: dict[str, SummaryGroup] = {}
    by_cadre: dict[str, SummaryGroup] = {}
    totals = {k.value: 0 for k in FindingKind}
    for v in visits:
        village = v.household.village.name
        cadre = v.visitor.name
        for key, groups in ((village, by_village), (cadre, by_cadre)):
            group = groups.setdefault(key, SummaryGroup(key))
            group.visits += 1
            group.households.add(v.household_id)
            for kind, text in (v.findings or {}).items():
                group.findings[kind].append((v, text))
        for kind in v.findings or {}:
            totals[kind] = totals.get(kind, 0) + 1
    return {"start": start, "end": end, "visits": len(visits), "totals": totals,
            "by_village": sorted(by_village.values(), key=lambda g: g.name),
            "by_cadre": sorted(by_cadre.values(), key=lambda g: g.name)}


def targets(township) -> tuple[int, int, int, int]:
    """(small %, large %, large-village household threshold, visits per year) for a township.

    The proxy model's settings hold them; when the township does not use it, its defaults apply.
    """
    from app.proxy.service import MODEL

    s = MODEL.settings_for(township)
    return (s.small_village_target_pct, s.large_village_target_pct, s.large_village_households,
            s.visits_per_year)


@dataclass
class CoverageRow:
    name: str
    households: int = 0
    visited: int = 0
    visited_enough: int = 0  # at least `visits_per_year` times in the year
    target_pct: int | None = None
    key: object = None

    @property
    def rate(self) -> float:
        return round(100 * self.visited / self.households, 1) if self.households else 0.0

    @property
    def meets(self) -> bool:
        return self.target_pct is None or self.rate >= self.target_pct


def coverage(township, start: date, end: date) -> dict:
    """Visit coverage per village, grid and cadre for [start, end], and who is not yet visited.

    "Visited enough" counts visits in the twelve months ending at `end` against the township's
    visits-per-year. Households never visited come first in the not-visited list, then those
    visited longest ago.
    """
    small, large, threshold, per_year = targets(township)
    households = list(db.session.scalars(
        select(Household).where(Household.township_id == township.id,
                                Household.active.is_(True))))
    in_period = _visit_counts(township, start, end)
    in_year = _visit_counts(township, end - timedelta(days=364), end)
    last = dict(db.session.execute(
        select(Visit.household_id, func.max(Visit.visited_on))
        .where(Visit.township_id == township.id, Visit.visited_on <= end)
        .group_by(Visit.household_id)).all())
    villages = {v.id: v for v in db.session.scalars(
        select(Village).where(Village.township_id == township.id))}
    grids = {g.id: g for g in db.session.scalars(
        select(Grid).where(Grid.township_id == township.id))}
    rows: dict[str, dict[uuid.UUID | None, CoverageRow]] = {"village": {}, "grid": {}, "cadre": {}}
    not_visited = []
    for h in households:
        keys = {"village": (h.village_id, villages[h.village_id].name)}
        if h.grid_id:
            keys["grid"] = (h.grid_id, f"{villages[h.village_id].name} · {grids[h.grid_id].name}")
        keys["cadre"] = (h.contact_cadre_id,
                         h.contact_cadre.name if h.contact_cadre else "（未分配联户干部）")
        for level, (key, name) in keys.items():
            row = rows[level].setdefault(key, CoverageRow(name, key=key))
            row.households += 1
            row.visited += in_period.get(h.id, 0) > 0
            row.visited_enough += in_year.get(h.id, 0) >= per_year
        if not in_period.get(h.id):
            not_visited.append((h, last.get(h.id)))
    for row in rows["village"].values():
        row.target_pct = large if row.households >= threshold else small
    not_visited.sort(key=lambda pair: (pair[1] is not None, pair[1] or date.min,
                                       villages[pair[0].village_id].name, pair[0].head_name))
    total = CoverageRow("合计", households=len(households),
                        visited=sum(r.visited for r in rows["village"].values()),
                        visited_enough=sum(r.visited_enough for r in rows["village"].values()))
    return {
        "start": start, "end": end, "per_year": per_year, "total": total,
        "villages": sorted(rows["village"].values(), key=lambda r: r.name),
        "grids": sorted(rows["grid"].values(), key=lambda r: r.name),
        "cadres": sorted(rows["cadre"].values(), key=lambda r: r.name),
        "not_visited": not_visited, "today": end,
    }


def _visit_counts(township, start: date, end: date) -> dict[uuid.UUID, int]:
    return dict(db.session.execute(
        select(Visit.household_id, func.count())
        .where(Visit.township_id == township.id, Visit.visited_on >= start,
               Visit.visited_on <= end)
        .group_by(Visit.household_id)).all())


def visits_of(household: Household, limit: int = 20) -> list[Visit]:
    """A household's latest visits, newest first (for the household's page)."""
    return list(db.session.scalars(
        select(Visit).where(Visit.township_id == household.township_id,
                            Visit.household_id == household.id)
        .order_by(Visit.visited_on.desc(), Visit.recorded_at.desc()).limit(limit)))
