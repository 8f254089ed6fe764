"""The service hall's centres and the township's service catalogue (服务事项)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, Uuid, true
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models import (
    JSONDoc,
    TenantScoped,
    Timestamped,
    tenant_fk,
    tenant_relationship,
    township_fk,
)


class Centre(TenantScoped, Timestamped, db.Model):
    """A centre of the service hall (经济发展 / 社会事务 / 综治信访, or the township's own)."""

    __tablename__ = "centres"
    __table_args__ = (
        township_fk(),
        UniqueConstraint("township_id", "name", name="uq_centres_township_name"),
    )

    name: Mapped[str] = mapped_column(String(60), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


def _public_by_name(context) -> bool:
    from app.matters.publication import private_by_nature

    return not private_by_nature(context.get_current_parameters().get("name") or "")


class ServiceItem(TenantScoped, Timestamped, db.Model):
    """An entry of the service catalogue."""

    __tablename__ = "service_items"
    __table_args__ = (
        township_fk(),
        tenant_fk("centre_id", "centres"),
        UniqueConstraint("township_id", "name", name="uq_service_items_township_name"),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # [{"name": "户口簿", "original": true, "copies": 1}, ...]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list, nullable=False)
    steps: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    # The item's own intake questions (app.catalogue.questions): [{"key", "label", "kind",
    # "required", "choices"}, ...], asked at the window, the village station and online.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list,
                                                            server_default="[]", nullable=False)
    promised_workdays: Mapped[int] = mapped_column(Integer, default=5, nullable=False)
    on_the_spot: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    proxiable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    bookable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Whether a matter of this item is on the public board unless the resident says otherwise;
    # assistance, health, petition and dispute items start private (app.matters.publication).
    public_default: Mapped[bool] = mapped_column(
        Boolean, default=lambda context: _public_by_name(context), nullable=False,
        server_default=true())

    centre = tenant_relationship("ServiceItem", "Centre", "centre_id")
