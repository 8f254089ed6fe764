"""The county's household and visit counts per village and per contact cadre, kept exact.

The county dashboard compares 20 townships, 600 villages or 10,000 contact cadres. Counting its
visit rate from the rows joins every one of a county's households (337,000 in Yishui) to the
period's distinct visited households on each view. Two derived tables hold those counts instead,
for each village ("v") and each contact cadre ("c", NO_CADRE for households without one) of a
township — the township and village views sum the villages' rows, the cadre view the cadres':

- `county_household_counts`: active households of the key, and those with a contact cadre;
- `county_visit_counts`: for each standard period (calendar month, quarter, half-year, year —
  the dashboard's periods; visited households are not additive over months, so each is kept),
  the key's active households visited at least once in it, and the visits made in it to the
  key's households (active or not, as `figures()` counts them); and for each visitor ("w"),
  the visits they made in it, whatever the household (a cadre's own visits in the ranking).

Kept as app.matters.summary keeps the rates' counts: the session notes, before and after each
flush, which keys (and which periods) the changed households and visits count in — a household's
old and new village, cadre or status with the periods of all its visits; a visit's old and new
household, date and visitor — and at commit those rows are locked and counted again from the rows. A
statement that bypasses the session objects (a grid merged, an import's updates, a household
merge repointing visits, a demo's bulk insert) marks its township for a full recount at commit;
a COPY (the importer) marks it explicitly. `rebuild` recounts a township; `agrees` compares the
stored rows with a recount (`flask minqing county-summary`). Periods that are not standard
(any other range) are counted from the rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Delete, Insert, Update, delete, event, func, select, update
from sqlalchemy.orm import Session

from app.counties.models import NO_CADRE, CountyHouseholdCount, CountyVisitCount
from app.extensions import db
from app.households.models import Household, Visit
from app.matters.rates import PERIODS
from app.models import changed, old_value
from app.tenancy import across_townships, bound_to, core_rows, platform_wide
from app.townships.models import Township

KINDS = {"month": "m", "quarter": "q", "half": "h", "year": "y"}
_FUNCS = {letter: PERIODS[name] for name, letter in KINDS.items()}

_PAIRS = "county_summary_pairs"  # {township: set of ((village, cadre), (kind, start))}
_KEYS = "county_summary_keys"  # {township: set of (dim, group id)}
_REBUILD = "county_summary_rebuild"  # set of townships (None in it: every township)
_VISITS = "county_summary_visits"  # {township: set of visit ids} to note after the flush
_HOMES = "county_summary_households"  # {township: set of household ids} to note after the flush

HOUSEHOLD_FIELDS = ("village_id", "contact_cadre_id", "active", "township_id")
VISIT_FIELDS = ("household_id", "visited_on", "township_id", "visitor_id")
_DML_COLUMNS = {"households": {"village_id", "contact_cadre_id", "active", "township_id", "id"},
                "visits": {"household_id", "visited_on", "township_id", "visitor_id", "id"}}


def standard_kind(start: date, end: date) -> str | None:
    """The letter of the standard period [start, end) is (m/q/h/y), or None."""
    for letter, period in _FUNCS.items():
        if period(start) == (start, end):
            return letter
    return None


def periods_of(day: date) -> set[tuple[str, date]]:
    """The standard periods a day lies in: its month, quarter, half-year and year."""
    return {(letter, period(day)[0]) for letter, period in _FUNCS.items()}


def _keys(village_id, cadre_id) -> tuple:
    """The two keys a household counts in: its village ("v") and its contact cadre ("c")."""
    return ("v", village_id), ("c", cadre_id or NO_CADRE)


def _visitor_pairs(visitor_id, day) -> set:
    """A visit also counts for the one who made it ("w": visits made in each period, whatever
    the household; the cadre ranking's own visits)."""
    return {(("w", visitor_id), p) for p in periods_of(day)}


# ---------------------------------------------------------------- which rows a change touches

def _note_households(session, township_id, household_ids) -> None:
    """The keys the households count in as the database holds them now, with every period of
    their visits."""
    if not household_ids or township_id is None:
        return
    ids = list(household_ids)
    pairs = session.info.setdefault(_PAIRS, {}).setdefault(township_id, set())
    keys = session.info.setdefault(_KEYS, {}).setdefault(township_id, set())
    with session.no_autoflush:
        homes = {hid: _keys(v, c) for hid, v, c in session.execute(
            select(Household.id, Household.village_id, Household.contact_cadre_id)
            .where(Household.township_id == township_id, Household.id.in_(ids)))}
        for both in homes.values():
            keys.update(both)
        for hid, day in session.execute(
                select(Visit.household_id, Visit.visited_on).distinct()
                .where(Visit.township_id == township_id, Visit.household_id.in_(ids))):
            if hid in homes:
                pairs.update((k, p) for k in homes[hid] for p in periods_of(day))


def _note_visit(session, township_id, household_id, day, visitor_id) -> None:
    if township_id is None or day is None:
        return
    pairs = session.info.setdefault(_PAIRS, {}).setdefault(township_id, set())
    if visitor_id is not None:
        pairs.update(_visitor_pairs(visitor_id, day))
    if household_id is None:
        return
    with session.no_autoflush:
        home = session.execute(
            select(Household.village_id, Household.contact_cadre_id)
            .where(Household.township_id == township_id, Household.id == household_id)).first()
    if home is not None:
        pairs.update((k, p) for k in _keys(*home) for p in periods_of(day))


def _note_visits(session, township_id, visit_ids) -> None:
    if not visit_ids:
        return
    pairs = session.info.setdefault(_PAIRS, {}).setdefault(township_id, set())
    with session.no_autoflush:
        for village_id, cadre_id, day, visitor_id in session.execute(
                select(Household.village_id, Household.contact_cadre_id, Visit.visited_on,
                       Visit.visitor_id)
                .join(Household, (Household.township_id == Visit.township_id)
                      & (Household.id == Visit.household_id))
                .where(Visit.township_id == township_id, Visit.id.in_(list(visit_ids)))):
            pairs.update((k, p) for k in _keys(village_id, cadre_id) for p in periods_of(day))
            pairs.update(_visitor_pairs(visitor_id, day))


def mark_rebuild(session, township_id) -> None:
    """Count the township's rows again at commit (None: every township)."""
    session.info.setdefault(_REBUILD, set()).add(township_id)


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances) -> None:
    """What the changed households and visits counted in before this flush."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Household):
            if obj in session.deleted or changed(obj, HOUSEHOLD_FIELDS):
                _note_households(session, old_value(obj, "township_id"), [old_value(obj, "id")])
        elif isinstance(obj, Visit) and (obj in session.deleted
                                         or changed(obj, VISIT_FIELDS)):
            _note_visit(session, old_value(obj, "township_id"), old_value(obj, "household_id"),
                        old_value(obj, "visited_on"), old_value(obj, "visitor_id"))


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context) -> None:
    """What they count in now (the flush written)."""
    homes: dict = defaultdict(set)
    visits: dict = defaultdict(set)
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Household):
            if obj in session.new or changed(obj, HOUSEHOLD_FIELDS):
                homes[obj.township_id].add(obj.id)
        elif isinstance(obj, Visit) and (obj in session.new or changed(obj, VISIT_FIELDS)):
            visits[obj.township_id].add(obj.id)
    for township_id, ids in homes.items():
        _note_households(session, township_id, ids)
    for township_id, ids in visits.items():
        _note_visits(session, township_id, ids)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state) -> None:
    """An INSERT, UPDATE or DELETE of households or visits run as a statement (not through the
    session's objects): the bound township (or every township) is counted again at commit."""
    statement = state.statement
    if not isinstance(statement, (Insert, Update, Delete)):
        return
    table = getattr(statement, "table", None)
    columns = _DML_COLUMNS.get(getattr(table, "name", None))
    if columns is None:
        return
    if isinstance(statement, Update):
        values = getattr(statement, "_values", None) or {}
        names = {getattr(k, "key", None) or getattr(k, "name", None) or str(k) for k in values}
        if values and not names & columns:
            return  # e.g. a grid retired: households leave the grid, nothing counted moves
    from app.tenancy import bound_township_id

    mark_rebuild(state.session, bound_township_id(state.session))


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    session.flush()
    if session.info.get(_PAIRS) or session.info.get(_KEYS) or session.info.get(_REBUILD):
        apply_pending(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session, *_args) -> None:
    for name in (_PAIRS, _KEYS, _REBUILD):
        session.info.pop(name, None)


def pending(session=None) -> bool:
    session = session or db.session()
    return bool(session.info.get(_PAIRS) or session.info.get(_KEYS)
                or session.info.get(_REBUILD))


def apply_pending(session=None) -> None:
    """Count again the rows the session's changes touched (at commit, or before the summary is
    read inside the same transaction)."""
    session = session or db.session()
    session.flush()
    pairs = session.info.pop(_PAIRS, {})
    keys = session.info.pop(_KEYS, {})
    rebuilds = session.info.pop(_REBUILD, set())
    if None in rebuilds:
        with platform_wide(session):
            rebuilds = set(session.scalars(select(Township.id)))
    # Each township is counted while bound to it: one transaction may have written rows of
    # several (an operator's sweep), and row-level security shows a township's rows only to it.
    for township_id in rebuilds:
        with bound_to(session, township_id):
            rebuild(township_id, session=session)
    for township_id in set(pairs) | set(keys):
        if township_id in rebuilds:
            continue
        with bound_to(session, township_id):
            recount(session, township_id, keys.get(township_id, set()),
                    pairs.get(township_id, set()))


# ---------------------------------------------------------------- counting

def _insert(session, model):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _of_key(township_id, dim, group_id) -> list:
    if dim == "v":
        return [Household.township_id == township_id, Household.village_id == group_id]
    return [Household.township_id == township_id,
            Household.contact_cadre_id.is_(None) if group_id == NO_CADRE
            else Household.contact_cadre_id == group_id]


def households_of(session, township_id, dim, group_id) -> tuple[int, int]:
    """(active households, those with a contact cadre) of the key, from the rows."""
    n, covered = session.execute(select(
        func.count(), func.count(Household.contact_cadre_id)).select_from(Household).where(
        *_of_key(township_id, dim, group_id), Household.active.is_(True))).one()
    return int(n or 0), int(covered or 0)


def visits_of(session, township_id, dim, group_id, kind, start) -> tuple[int, int]:
    """(active households visited, visits) of the key in the period, from the rows (for a
    visitor's key, "w": (0, the visits they made))."""
    end = _FUNCS[kind](start)[1]
    if dim == "w":
        return 0, int(session.execute(select(func.count()).select_from(Visit).where(
            Visit.township_id == township_id, Visit.visitor_id == group_id,
            Visit.visited_on >= start, Visit.visited_on < end)).scalar() or 0)
    seen, n = session.execute(
        select(func.count(func.distinct(case_active())), func.count())
        .select_from(Visit)
        .join(Household, (Household.township_id == Visit.township_id)
              & (Household.id == Visit.household_id))
        .where(*_of_key(township_id, dim, group_id), Visit.township_id == township_id,
               Visit.visited_on >= start, Visit.visited_on < end)).one()
    return int(seen or 0), int(n or 0)


def case_active():
    from sqlalchemy import case

    return case((Household.active.is_(True), Household.id), else_=None)


def recount(session, township_id, keys, pairs) -> None:
    """Count the touched rows again from the rows, each locked first (in key order)."""
    if session.get(Township, township_id) is None:
        return
    for dim, group_id in sorted(keys, key=lambda k: (k[0], str(k[1]))):
        ident = dict(township_id=township_id, dim=dim, group_id=group_id)
        session.execute(_insert(session, CountyHouseholdCount).values(**ident)
                        .values(households=0, covered=0).on_conflict_do_nothing())
        where = [getattr(CountyHouseholdCount, k) == v for k, v in ident.items()]
        session.execute(select(CountyHouseholdCount.households).where(*where).with_for_update())
        n, covered = households_of(session, township_id, dim, group_id)
        session.execute(update(CountyHouseholdCount).where(*where).values(
            households=n, covered=covered))
    for (dim, group_id), (kind, start) in sorted(
            pairs, key=lambda p: (p[1][0], p[1][1], p[0][0], str(p[0][1]))):
        ident = dict(township_id=township_id, kind=kind, start=start, dim=dim,
                     group_id=group_id)
        session.execute(_insert(session, CountyVisitCount).values(**ident)
                        .values(visited=0, visits=0).on_conflict_do_nothing())
        where = [getattr(CountyVisitCount, k) == v for k, v in ident.items()]
        session.execute(select(CountyVisitCount.visits).where(*where).with_for_update())
        seen, n = visits_of(session, township_id, dim, group_id, kind, start)
        session.execute(update(CountyVisitCount).where(*where).values(visited=seen, visits=n))


_GROUP = {"v": Household.village_id, "c": Household.contact_cadre_id}


def recounted(township_id, session=None) -> tuple[dict, dict]:
    """({(dim, group): (households, covered)}, {(kind, start, dim, group): (visited, visits)})
    counted afresh from the rows, rows of nothing left out."""
    session = session or db.session()
    homes, visits = {}, {}
    for dim, column in _GROUP.items():
        for group_id, n, covered in session.execute(
                select(column, func.count(), func.count(Household.contact_cadre_id))
                .where(Household.township_id == township_id, Household.active.is_(True))
                .group_by(column)):
            homes[(dim, group_id or NO_CADRE)] = (int(n), int(covered))
        for letter, period in _FUNCS.items():
            for first, group_id, seen, n in session.execute(
                    select(_start_of(letter), column,
                           func.count(func.distinct(case_active())), func.count())
                    .select_from(Visit)
                    .join(Household, (Household.township_id == Visit.township_id)
                          & (Household.id == Visit.household_id))
                    .where(Visit.township_id == township_id,
                           Household.township_id == township_id)
                    .group_by(_start_of(letter), column)):
                if isinstance(first, str):
                    first = date.fromisoformat(first)
                assert period(first)[0] == first
                visits[(letter, first, dim, group_id or NO_CADRE)] = (int(seen), int(n))
    for letter in _FUNCS:
        for first, visitor_id, n in session.execute(
                select(_start_of(letter), Visit.visitor_id, func.count())
                .where(Visit.township_id == township_id)
                .group_by(_start_of(letter), Visit.visitor_id)):
            if isinstance(first, str):
                first = date.fromisoformat(first)
            visits[(letter, first, "w", visitor_id)] = (0, int(n))
    return homes, visits


def _start_of(letter):
    """The first day of the visit's standard period, in SQL (constants inlined, so that the
    GROUP BY names the same expression as the SELECT)."""
    from sqlalchemy import literal_column as sql

    if db.session.get_bind().dialect.name == "postgresql":
        unit = {"m": "month", "q": "quarter", "y": "year"}.get(letter)
        if unit:
            return func.cast(func.date_trunc(sql(f"'{unit}'"), Visit.visited_on), db.Date)
        return func.cast(func.date_trunc(sql("'year'"), Visit.visited_on)
                         + sql("interval '6 months'")
                         * sql("(extract(month from visits.visited_on) > 6)::int"), db.Date)
    year = func.strftime(sql("'%Y'"), Visit.visited_on)
    month = func.cast(func.strftime(sql("'%m'"), Visit.visited_on), db.Integer)
    first = {"m": month, "q": ((month - sql("1")) // sql("3")) * sql("3") + sql("1"),
             "h": ((month - sql("1")) // sql("6")) * sql("6") + sql("1"), "y": sql("1")}[letter]
    return func.printf(sql("'%s-%02d-01'"), year, first)


def rebuild(township_id, *, session=None) -> int:
    """Count a township's rows again from the rows. Returns the rows written. Used after bulk
    loads and by `flask minqing county-summary --rebuild`."""
    session = session or db.session()
    homes, visits = recounted(township_id, session)
    session.execute(delete(CountyHouseholdCount)
                    .where(CountyHouseholdCount.township_id == township_id))
    session.execute(delete(CountyVisitCount).where(CountyVisitCount.township_id == township_id))
    home_rows = [dict(township_id=township_id, dim=d, group_id=g, households=n, covered=c)
                 for (d, g), (n, c) in homes.items()]
    visit_rows = [dict(township_id=township_id, kind=k, start=s, dim=d, group_id=g,
                       visited=seen, visits=n) for (k, s, d, g), (seen, n) in visits.items()]
    if home_rows:
        session.execute(_insert(session, CountyHouseholdCount), home_rows)
    if visit_rows:
        session.execute(_insert(session, CountyVisitCount), visit_rows)
    return len(home_rows) + len(visit_rows)


def stored(township_id, session=None) -> tuple[dict, dict]:
    """`recounted`'s shape, as stored (rows of nothing but zeros left out)."""
    session = session or db.session()
    apply_pending(session)
    homes = {(r.dim, r.group_id): (r.households, r.covered) for r in session.scalars(
        select(CountyHouseholdCount).where(CountyHouseholdCount.township_id == township_id))
        if r.households}
    visits = {(r.kind, r.start, r.dim, r.group_id): (r.visited, r.visits)
              for r in session.scalars(select(CountyVisitCount).where(
                  CountyVisitCount.township_id == township_id)) if r.visited or r.visits}
    return homes, visits


def agrees(township_id) -> bool:
    """Whether the stored rows equal a recount from the rows."""
    return stored(township_id) == recounted(township_id)


def fill_missing() -> int:
    """Count every township that has households and no row yet (after the migration that made
    the tables), or visits and no visitor's row (counted before those were kept). Returns the
    townships counted."""
    from sqlalchemy import exists

    from app.tenancy import bind_township

    bind_township(db.session, None)
    missing = db.session.scalars(select(Township.id).where(
        exists().where(Household.township_id == Township.id),
        ~exists().where(CountyHouseholdCount.township_id == Township.id)
        # counted before visits were kept by visitor too ("w")
        | (exists().where(Visit.township_id == Township.id)
           & ~exists().where(CountyVisitCount.township_id == Township.id,
                             CountyVisitCount.dim == "w")))).all()
    for township_id in missing:
        rebuild(township_id)
    return len(missing)


def rebuild_all(session=None) -> int:
    session = session or db.session()
    ids = session.scalars(select(Township.id)).all()
    for township_id in ids:
        rebuild(township_id, session=session)
    return len(ids)


# ---------------------------------------------------------------- reading

def _grouping(t, by: str):
    """(dim, group columns, extra conditions) of a dashboard grouping."""
    if by == "township":
        return "v", (t.township_id,), []
    if by == "village":
        return "v", (t.township_id, t.group_id), []
    if by == "visitor":
        return "w", (t.group_id,), []
    return "c", (t.group_id,), [t.group_id != NO_CADRE]


def household_counts(township_ids, by: str) -> dict:
    """{group key: (active households, those with a contact cadre)} for by township / village /
    cadre, summed from the stored rows."""
    if pending():
        apply_pending(db.session())
    t = CountyHouseholdCount
    dim, group, where = _grouping(t, by)
    out = {}
    for *key, n, covered in across_townships(
            select(*group, func.sum(t.households), func.sum(t.covered))
            .where(t.township_id.in_(list(township_ids)), t.dim == dim, *where)
            .group_by(*group)):
        out[key[0] if len(key) == 1 else tuple(key)] = (int(n or 0), int(covered or 0))
    return out


def visit_counts(township_ids, kind: str, start: date, by: str) -> dict:
    """{group key: (visited households, visits)} of a standard period, summed from the rows
    stored (visits by the household's group: for cadres, their contact cadre's households; by
    "visitor", the visits each made, whatever the household)."""
    if pending():
        apply_pending(db.session())
    t = CountyVisitCount
    dim, group, where = _grouping(t, by)
    out = {}
    for *key, seen, n in across_townships(
            select(*group, func.sum(t.visited), func.sum(t.visits))
            .where(t.township_id.in_(list(township_ids)), t.kind == kind, t.start == start,
                   t.dim == dim, *where)
            .group_by(*group)):
        out[key[0] if len(key) == 1 else tuple(key)] = (int(seen or 0), int(n or 0))
    return out


def visits_made(township_ids, kind: str, start: date) -> dict:
    """{visitor: visits they made in the standard period} over the townships."""
    return {visitor: n for visitor, (_seen, n) in
            visit_counts(township_ids, kind, start, "visitor").items()}


def visited_totals(township_ids, periods) -> dict:
    """{(start, end): visited households of the townships} for standard periods, in one query."""
    if pending():
        apply_pending(db.session())
    from sqlalchemy import or_

    t = CountyVisitCount
    wanted = {(standard_kind(s, e), s): (s, e) for s, e in periods}
    out = {p: 0 for p in periods}
    for kind, start, seen in across_townships(
            select(t.kind, t.start, func.sum(t.visited))
            .where(t.township_id.in_(list(township_ids)), t.dim == "v",
                   or_(*[(t.kind == k) & (t.start == s) for k, s in wanted]))
            .group_by(t.kind, t.start)):
        if isinstance(start, str):
            start = date.fromisoformat(start)
        if (kind, start) in wanted:
            out[wanted[(kind, start)]] += int(seen or 0)
    return out


def village_households(township_id) -> dict:
    """{village id: active households} of one township, from the stored rows (the township's
    own board and dashboard read it too: the same count as rates.household_counts)."""
    if pending():
        apply_pending(db.session())
    t = CountyHouseholdCount
    return {village_id: int(n) for village_id, n in core_rows(
        select(t.group_id, t.households).where(t.township_id == township_id, t.dim == "v"))}


def village_visited(township_id, kind: str, starts) -> dict:
    """{start: {village id: active households visited}} of one township for standard periods of
    one kind (m/q/h/y) starting on `starts`, from the stored rows (as rates.visited_counts)."""
    if pending():
        apply_pending(db.session())
    t = CountyVisitCount
    out: dict = {start: {} for start in starts}
    for start, village_id, seen in core_rows(
            select(t.start, t.group_id, t.visited).where(
                t.township_id == township_id, t.dim == "v", t.kind == kind,
                t.start.in_(list(starts)))):
        if isinstance(start, str):
            start = date.fromisoformat(start)
        if seen:
            out.setdefault(start, {})[village_id] = int(seen)
    return out
