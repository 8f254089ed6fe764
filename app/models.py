"""Building blocks shared by every feature's models.

Tenant-owned tables follow DESIGN §4: the primary key is (township_id, id), and a reference to
another tenant-owned row carries township_id too, so the database itself refuses a row of one
township pointing at a row of another. `tenant_fk` and `tenant_relationship` spell that out once.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKeyConstraint, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


def utcnow() -> datetime:
    """Aware UTC now; the clock itself lives in app.clock."""
    from app.clock import utcnow as now

    return now()


def new_id() -> uuid.UUID:
    """Ids are made by the application, so SQLite and PostgreSQL behave the same."""
    return uuid.uuid4()


def changed(obj, names) -> bool:
    """Whether any of the attributes `names` of an ORM object changed in the session (for the
    summaries' flush events)."""
    from sqlalchemy import inspect

    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names
               if name in state.attrs)


def old_value(obj, name):
    """An attribute's value before the session changed it (its value, when unchanged)."""
    from sqlalchemy import inspect

    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(obj, name)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class LabelledEnum(enum.StrEnum):
    """A StrEnum stored as its value, with a Chinese label for people (override `labels`)."""

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {}

    @property
    def label(self) -> str:
        return _labels_of(type(self)).get(self.value, self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


_LABELS: dict[tuple[type, str], dict[str, str]] = {}


def _labels_of(cls: type[LabelledEnum]) -> dict[str, str]:
    """`cls.labels()` once per language: a long list calls `label` for every row."""
    key = (cls, _locale_name())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {k: str(v) for k, v in cls.labels().items()}
    return labels


def _locale_name() -> str:
    """The request's language ("" outside a request), its name worked out once per locale:
    Flask-Babel's look-up and the locale's name cost more than the label itself."""
    from flask import g, has_request_context
    from flask_babel import get_locale

    if not has_request_context():
        return ""
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    if locale is None:
        return str(get_locale())
    memo = getattr(ctx, "minqing_locale_name", None)
    if memo is None or memo[0] is not locale:
        memo = ctx.minqing_locale_name = (locale, str(locale))
    return memo[1]


class TenantScoped:
    """Mixin for every tenant-owned model: (township_id, id) primary key.

    Queries issued through the ORM while a township is bound to the session are filtered to it
    automatically (see app.tenancy); new rows are stamped with it and checked against it.
    """

    @declared_attr
    def township_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, primary_key=True)

    @declared_attr
    def id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, primary_key=True, default=new_id)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def township_fk() -> ForeignKeyConstraint:
    """township_id → townships.id, for a tenant-owned table."""
    return ForeignKeyConstraint(["township_id"], ["townships.id"], ondelete="CASCADE")


def tenant_fk(column: str, target_table: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """(township_id, <column>) → <target_table>(township_id, id)."""
    return ForeignKeyConstraint(
        ["township_id", column],
        [f"{target_table}.township_id", f"{target_table}.id"],
        ondelete=ondelete,
    )


def tenant_relationship(owner: str, target: str, column: str, **kwargs):
    """A many-to-one from <owner>.<column> to <target> inside the same township.

    Only <column> is the foreign side: setting the relationship never rewrites township_id.
    """
    return relationship(
        target,
        primaryjoin=(
            f"and_({target}.township_id == {owner}.township_id, "
            f"{target}.id == foreign({owner}.{column}))"
        ),
        **kwargs,
    )


# JSON documents: JSONB on PostgreSQL (comparable, indexable), JSON text on SQLite.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")
