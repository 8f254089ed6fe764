"""Township scoping: every read and write of tenant data is confined to one township.

Three layers, from the most to the least visible:

1. Views reach tenant rows only through `get_or_404` and `scoped()` below, which filter explicitly.
2. When a township is bound to the session (every /t/<slug>/ request, every job), ORM queries are
   filtered to it by a `do_orm_execute` hook, relationship loads included, and new rows are stamped
   with it; writing a row of another township raises.
3. On PostgreSQL, row-level security refuses rows of other townships even to raw SQL: the
   session sets `app.township` transaction-locally (`set_config(..., true)`), so a pooled
   connection never carries one request's township into the next.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import TypeVar

from flask import Blueprint, abort, g
from sqlalchemy import Select, event, select, text
from sqlalchemy.orm import Session, joinedload, scoped_session, with_loader_criteria

from app.extensions import db
from app.models import TenantScoped

T = TypeVar("T", bound=TenantScoped)

_KEY = "township_id"
ALL_TOWNSHIPS = "*"


class CrossTownshipWrite(RuntimeError):
    """A row of one township was about to be written while another township is bound."""


def bind_township(session: Session, township_id: uuid.UUID | None) -> None:
    """Confine `session` to one township (None: platform-wide, for operators and sweeps)."""
    if isinstance(session, scoped_session):
        session = session()
    session.info[_KEY] = township_id
    if session.in_transaction():
        _set_rls(session, session.connection())


@contextmanager
def bound_to(session: Session | None, township_id: uuid.UUID | None):
    """Bind `township_id` for a moment and bind the previous township again afterwards, in the
    same transaction."""
    session = session or db.session
    if isinstance(session, scoped_session):
        session = session()
    previous = session.info.get(_KEY)
    if previous == township_id:
        yield session
        return
    bind_township(session, township_id)
    try:
        yield session
    finally:
        bind_township(session, previous)


def platform_wide(session: Session | None = None):
    """Read across townships for a moment while a township is bound — a person's roles in other
    townships, a township's rank among its county's — with explicit filters in the queries.
    Row-level security then allows every township for these statements only; the township is
    bound again afterwards, in the same transaction."""
    return bound_to(session, None)


def core_rows(statement, session: Session | None = None):
    """The rows (a list) of a select of columns that names its townships in its own filters,
    run through Core: there is no ORM scoping to add (the statement already says whose rows),
    and the ORM's compilation and row handling cost several times a small query — ten times at
    ten thousand rows. Row-level security applies as ever; the session's pending changes are
    flushed first, as the ORM would."""
    session = session or db.session
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    # Fetched at once: iterating the result would fetch row by row through the driver.
    return session.connection().execute(statement).all()


# The county's figures and counts: statements naming each of its townships.
across_townships = core_rows


def bound_township_id(session: Session | None = None) -> uuid.UUID | None:
    return (session or db.session).info.get(_KEY)


def _set_rls(session: Session, connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    value = session.info.get(_KEY)
    connection.execute(
        text("select set_config('app.township', :t, true)"),
        {"t": str(value) if value else ALL_TOWNSHIPS},
    )


@event.listens_for(Session, "after_begin")
def _after_begin(session, transaction, connection):
    _set_rls(session, connection)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state):
    township_id = state.session.info.get(_KEY)
    if township_id is None or state.execution_options.get("all_townships"):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.township_id == township_id,
                include_aliases=True,
            )
        )


@event.listens_for(Session, "before_flush")
def _guard_writes(session, flush_context, instances):
    township_id = session.info.get(_KEY)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.township_id is None:
            if township_id is None:
                raise CrossTownshipWrite(f"{type(obj).__name__} has no township")
            obj.township_id = township_id
        elif township_id is not None and obj.township_id != township_id:
            raise CrossTownshipWrite(f"{type(obj).__name__} belongs to another township")
    if township_id is None:
        return
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.township_id != township_id:
            raise CrossTownshipWrite(f"{type(obj).__name__} belongs to another township")


def current_township():
    """The township of this request (set from the URL), or 404 outside a township's pages."""
    township = g.get("township")
    if township is None:
        abort(404)
    return township


def scoped(model: type[T], township_id: uuid.UUID | None = None) -> Select:
    """`select(model)` filtered to the township explicitly (also what Citus routes on)."""
    tid = township_id or current_township().id
    return select(model).where(model.township_id == tid)


def get_or_404(model: type[T], object_id: uuid.UUID | str | None, township_id=None) -> T:
    """Load one tenant row of the current township by id; another township's id is a 404."""
    tid = township_id or current_township().id
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except (TypeError, ValueError):
        abort(404)
    obj = db.session.get(model, (tid, key))
    if obj is None:
        abort(404)
    return obj


def get_scoped(model: type[T], object_id, township_id: uuid.UUID) -> T | None:
    """Like get_or_404 for operations and jobs: None when the id is not this township's."""
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except (TypeError, ValueError):
        return None
    return db.session.get(model, (township_id, key))


def _load_township(endpoint, values):
    from app.townships.models import Township

    slug = (values or {}).pop("slug", None)
    if slug is None:
        return
    if g.get("township") is not None and g.township.slug == slug:
        return
    # Its service models in the same statement (the navigation and every service-model page
    # ask which are on), instead of a second round trip for the collection.
    township = db.session.execute(
        select(Township).options(joinedload(Township.services)).where(Township.slug == slug),
        execution_options={"all_townships": True},
    ).unique().scalar_one_or_none()
    if township is None:
        abort(404)
    g.township = township
    bind_township(db.session, township.id)


def _add_slug(endpoint, values):
    if "slug" not in values and g.get("township") is not None:
        values["slug"] = g.township.slug


class TenantBlueprint(Blueprint):
    """A blueprint whose pages live under /t/<slug>/ and belong to that township.

    With `service_model`, every page of the blueprint answers 404 for a township that has the
    service model switched off.
    """

    def __init__(self, name, import_name, url_prefix: str = "", service_model: str | None = None,
                 **kwargs):
        super().__init__(name, import_name, url_prefix=f"/t/<slug>{url_prefix}", **kwargs)
        self.service_model = service_model
        self.url_value_preprocessor(_load_township)
        self.url_defaults(_add_slug)
        if service_model:
            self.before_request(self._require_service_model)

    def _require_service_model(self):
        if not current_township().service_enabled(self.service_model):
            abort(404)
