"""Values for URL parameters, so the access test can reach every route.

Each module here defines `PARAMS = {"<url parameter>": lambda town: value}` (town is a
tests.factories.Town with `.objects` filled in) and may define `extend(town)` to add objects of
its feature to both townships, and `OWNED` for pages that belong to one person. A route whose
parameter has no entry makes the access test fail, naming it.
"""

from __future__ import annotations

import importlib
import pkgutil

from app.extensions import db
from app.tenancy import bind_township


def _modules():
    for info in pkgutil.iter_modules(__path__):
        yield importlib.import_module(f"{__name__}.{info.name}")


def all_params() -> dict:
    params: dict = {}
    for module in _modules():
        params.update(getattr(module, "PARAMS", {}))
    return params


def extend_world(world) -> None:
    for module in _modules():
        extend = getattr(module, "extend", None)
        if extend is None:
            continue
        for town in (world.a, world.b):
            bind_township(db.session, town.township.id)
            extend(town)
            db.session.commit()
    bind_township(db.session, None)


def not_ids() -> set:
    """URL parameters that name no row of a township (a format, a step): a route with only these
    is not reached "with another township's ids"."""
    out: set = set()
    for module in _modules():
        out |= set(getattr(module, "NOT_IDS", ()))
    return out


def scoped_elsewhere() -> set:
    """Endpoints that pick their township by a parameter of their own (Open311's
    jurisdiction_id), not by /t/<slug>/: their isolation is tested where they live (tests/api)."""
    out: set = set()
    for module in _modules():
        out |= set(getattr(module, "SCOPED_ELSEWHERE", ()))
    return out


def csrf_exempt() -> set:
    """Endpoints that other systems post to with their own key instead of a browser's session
    (Open311): CSRF does not apply, the key does (tests/api)."""
    out: set = set()
    for module in _modules():
        out |= set(getattr(module, "CSRF_EXEMPT", ()))
    return out


def owned_endpoints() -> dict:
    """{endpoint: roles}: pages about one person's own object (a test attempt, say), which other
    roles may not see even though the route's rule lets them in (they get 403 or 404)."""
    owned: dict = {}
    for module in _modules():
        owned.update(getattr(module, "OWNED", {}))
    return owned
