"""Dashboard tiles that several service models share."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.matters.models import OPEN_STATES, Matter
from app.service_models import Tile


def open_matters_tile(label: str, channel: str):
    def tiles(township) -> list[Tile]:
        count = db.session.scalar(
            select(func.count()).select_from(Matter).where(
                Matter.township_id == township.id,
                Matter.channel == channel,
                Matter.state.in_([s.value for s in OPEN_STATES]),
            )
        )
        return [Tile(label=label, value=str(count or 0), endpoint="matters.index",
                     url_values={"channel": channel, "state": "open"})]

    return tiles
