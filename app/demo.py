"""Demo activity: a few months of plausible work, so every page of the demo has something to show.

Feature packages add to this as they arrive; it runs once per demo township, after its profile.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.townships.models import Township


def seed_activity(slug: str) -> None:
    township = db.session.scalar(select(Township).where(Township.slug == slug))
    if township is None:
        return
