"""What a county may read of its townships: their rows, its own townships only.

A county is not a tenant. Its pages bind no township (the session is platform-wide), so every
query here names the county's township ids explicitly; a row of a township outside the county is
not found (404). Opening a township's resident data (a matter, a household) is recorded in that
township's audit log as `county.read`, so the township's administrator sees who looked.
"""

from __future__ import annotations

import uuid

from flask import abort, g
from sqlalchemy import select

from app.audit.operations import record
from app.counties.models import County
from app.extensions import db
from app.townships.models import Township


def current_county() -> County:
    county = g.get("county")
    if county is None:
        abort(404)
    return county


def township_ids(county: County | None = None) -> list[uuid.UUID]:
    """The ids of the county's townships (cached for the request)."""
    county = county or current_county()
    cache = g.setdefault("_county_townships", {})
    if county.id not in cache:
        cache[county.id] = county.township_ids()
    return cache[county.id]


def townships(county: County | None = None) -> list[Township]:
    county = county or current_county()
    return list(db.session.scalars(
        select(Township).where(Township.county_id == county.id).order_by(Township.name)))


def county_township_or_404(township_id, county: County | None = None) -> Township:
    key = _uuid_or_404(township_id)
    if key not in township_ids(county):
        abort(404)
    return db.session.get(Township, key)


def county_get_or_404(model, object_id, county: County | None = None):
    """One tenant row of a township of the county, by id; any other township's row is a 404."""
    key = _uuid_or_404(object_id)
    ids = township_ids(county)
    if not ids:
        abort(404)
    row = db.session.scalars(
        select(model).where(model.id == key, model.township_id.in_(ids)),
        execution_options={"all_townships": True}).first()
    if row is None:
        abort(404)
    return row


def record_read(row, actor, county: County, what: str = "") -> None:
    """Note in the row's township's audit log that a county user opened it (the caller commits)."""
    record(row.township_id, actor, "county.read", row, actor_kind="county",
           summary=f"{county.name}: {what or getattr(row, '__tablename__', '')}"[:200])


def county_read_or_404(model, object_id, actor, county: County | None = None, what: str = ""):
    """county_get_or_404, recorded as a county read of that township's resident data."""
    county = county or current_county()
    row = county_get_or_404(model, object_id, county)
    record_read(row, actor, county, what)
    return row


def _uuid_or_404(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        abort(404)
