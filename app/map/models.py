"""The living household map: a village's map sheet, where each household's door is on it, and
the recorded hand-overs of a village's households from one contact cadre to the next.

Positions are fractions (0..1) of the sheet's width and height, measured from the top left, so a
pin stays on its door whatever size the image is shown at, on a phone, a PC or a printed page.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKeyConstraint, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import (
    JSONDoc,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    tenant_fk,
    tenant_relationship,
    township_fk,
    utcnow,
)


class VillageMap(TenantScoped, Timestamped, db.Model):
    """A village's map sheet: an uploaded drawing, scan or photo, or a blank sheet (no image)."""

    __tablename__ = "village_maps"
    __table_args__ = (
        township_fk(),
        tenant_fk("village_id", "villages", ondelete="CASCADE"),
        ForeignKeyConstraint(["keeper_id"], ["users.id"], ondelete="SET NULL"),
        ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        Index("ix_village_maps_township_village", "township_id", "village_id", unique=True),
    )

    village_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # Storage key of the image (app.notices.storage); None for a blank sheet.
    image_key: Mapped[str | None] = mapped_column(String(200))
    image_type: Mapped[str | None] = mapped_column(String(40))
    image_bytes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The sheet's size in pixels (a blank sheet has a nominal size): its aspect ratio matters.
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    # The cadre who holds the village's map; it passes on with the hand-over.
    keeper_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    village = tenant_relationship("VillageMap", "Village", "village_id")
    keeper = relationship("User", foreign_keys=[keeper_id])

    @property
    def version(self) -> str:
        """Changes whenever the image does: part of the image URL, so browsers may cache it."""
        return (self.image_key or "blank").rsplit("/", 1)[-1].split(".")[0]


class HouseholdPin(TenantScoped, db.Model):
    """Where a household's door is on its village's map sheet."""

    __tablename__ = "household_pins"
    __table_args__ = (
        township_fk(),
        tenant_fk("household_id", "households", ondelete="CASCADE"),
        ForeignKeyConstraint(["placed_by_id"], ["users.id"], ondelete="SET NULL"),
        Index("ix_household_pins_township_household", "township_id", "household_id",
              unique=True),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    x: Mapped[float] = mapped_column(Float, nullable=False)  # 0 = left edge, 1 = right edge
    y: Mapped[float] = mapped_column(Float, nullable=False)  # 0 = top edge, 1 = bottom edge
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    placed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    household = tenant_relationship("HouseholdPin", "Household", "household_id")


class Handover(TenantScoped, Timestamped, db.Model):
    """One recorded hand-over of a village's households from a leaving contact cadre to a new one.

    `moved` keeps the ids of what passed (households, open matters, upcoming revisits, the map), so
    the record and the hand-over pack say exactly what changed hands, even after later changes.
    """

    __tablename__ = "map_handovers"
    __table_args__ = (
        township_fk(),
        tenant_fk("village_id", "villages", ondelete="CASCADE"),
        ForeignKeyConstraint(["from_cadre_id"], ["users.id"]),
        ForeignKeyConstraint(["to_cadre_id"], ["users.id"]),
        ForeignKeyConstraint(["actor_id"], ["users.id"]),
        Index("ix_map_handovers_township_village", "township_id", "village_id", "created_at"),
    )

    village_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    from_cadre_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    to_cadre_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    actor_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # {"households": [ids], "matters": [ids], "revisits": [ids], "map": bool}
    moved: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)

    village = tenant_relationship("Handover", "Village", "village_id")
    from_cadre = relationship("User", foreign_keys=[from_cadre_id])
    to_cadre = relationship("User", foreign_keys=[to_cadre_id])
    actor = relationship("User", foreign_keys=[actor_id])
