"""County spot-checks (县级抽查): the county supervisor samples replied or closed matters and
recorded visits across all the county's townships at once, calls the residents and records what
they say. The sample is drawn with the township's own machinery (app.matters.spotchecks.draw):
one SpotCheck per township that has something to sample, so a mismatch counts against that
township and the responsible cadre exactly as the township's own checks do."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select

from app.counties.models import County, CountySpotCheck
from app.extensions import db
from app.households.models import Visit
from app.matters import spotchecks
from app.matters.models import Matter, SpotCheck, SpotCheckItem, State
from app.matters.operations import TransitionError
from app.matters.rates import utc_bounds
from app.tenancy import bind_township
from app.townships.models import Township


def _pool_sizes(township_ids, start: date, end: date) -> dict:
    """How many replied/closed matters and visits each township has to sample from."""
    sizes: dict = {}
    for township in db.session.scalars(select(Township).where(Township.id.in_(township_ids))):
        lo, hi = utc_bounds(township.timezone, start, end)
        matters = db.session.scalar(select(func.count()).select_from(Matter).where(
            Matter.township_id == township.id,
            Matter.state.in_([State.REPLIED, State.CLOSED]),
            Matter.replied_at >= lo, Matter.replied_at < hi),
            execution_options={"all_townships": True})
        visits = db.session.scalar(select(func.count()).select_from(Visit).where(
            Visit.township_id == township.id, Visit.visited_on >= start,
            Visit.visited_on < end), execution_options={"all_townships": True})
        if matters + visits:
            sizes[township] = matters + visits
    return sizes


def draw(county: County, supervisor, township_ids, *, start: date, end: date, size: int,
         rng: random.Random | None = None) -> CountySpotCheck:
    """A random sample of `size` records across the townships, each record equally likely
    (a township's share follows what it has to sample). The caller commits."""
    if size < 1:
        raise TransitionError("请填写抽查数量。")
    if start >= end:
        raise TransitionError("开始日期应早于结束日期。")
    rng = rng or random.SystemRandom()
    sizes = _pool_sizes(list(township_ids), start, end)
    if not sizes:
        raise TransitionError("这段时间各乡镇都没有可抽查的事项或走访记录。")
    # Choose `size` records uniformly from the union, then count how many fell to each township.
    slots = [t for t, n in sizes.items() for _ in range(n)]
    shares: dict = {}
    for township in rng.sample(slots, min(size, len(slots))):
        shares[township] = shares.get(township, 0) + 1
    check = CountySpotCheck(county_id=county.id, supervisor_id=supervisor.id,
                            period_start=start, period_end=end, size=size, parts=[])
    parts = []
    for township, share in sorted(shares.items(), key=lambda kv: kv[0].name):
        bind_township(db.session, township.id)
        part = spotchecks.draw(township, supervisor, start=start, end=end, size=share, rng=rng)
        part.rule = {"size": share, "county_spot_check": str(check.id)}
        db.session.flush()  # written while its township is bound
        parts.append({"township_id": str(township.id), "spot_check_id": str(part.id)})
    bind_township(db.session, None)
    check.parts = parts
    db.session.add(check)
    db.session.flush()
    return check


def items(check: CountySpotCheck) -> list[tuple[SpotCheckItem, Township]]:
    """The sampled records of a county spot-check, township by township."""
    out = []
    for part in check.parts:
        township = db.session.get(Township, _uuid(part["township_id"]))
        rows = db.session.scalars(select(SpotCheckItem).where(
            SpotCheckItem.township_id == township.id,
            SpotCheckItem.spot_check_id == _uuid(part["spot_check_id"])),
            execution_options={"all_townships": True})
        out.extend((item, township) for item in rows)
    return out


def item_of(check: CountySpotCheck, item_id) -> SpotCheckItem | None:
    """One item of this county check (None for any other id: the caller answers 404)."""
    key = _uuid(item_id)
    for part in check.parts:
        item = db.session.get(SpotCheckItem, (_uuid(part["township_id"]), key))
        if item is not None and str(item.spot_check_id) == part["spot_check_id"]:
            return item
    return None


def record_call(item: SpotCheckItem, caller, *, confirmed: bool, note: str = "") -> None:
    """What the resident said, on the township's own item (app.matters.spotchecks)."""
    bind_township(db.session, item.township_id)
    spotchecks.record_call(item, caller, confirmed=confirmed, note=note)
    db.session.flush()
    bind_township(db.session, None)


def summary(check: CountySpotCheck) -> dict:
    rows = items(check)
    return {"total": len(rows), "called": sum(1 for i, _t in rows if i.called_at),
            "mismatches": sum(1 for i, _t in rows if i.confirmed is False)}


def _uuid(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


__all__ = ["draw", "items", "item_of", "record_call", "summary", "SpotCheck"]
