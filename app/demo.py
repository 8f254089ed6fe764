"""Demo activity: plausible work, so every page of the demo has something to show.

Each feature package may have a `demo` module with `seed(township)`; it runs once per demo township,
after its profile, with the township bound to the session. The caller commits.
"""

from __future__ import annotations

import importlib

from sqlalchemy import select

from app.extensions import db
from app.tenancy import bind_township
from app.townships.models import Township


def seed_activity(slug: str) -> None:
    from app import _feature_modules

    township = db.session.scalar(select(Township).where(Township.slug == slug))
    if township is None:
        return
    bind_township(db.session, township.id)
    for module in _feature_modules("demo"):
        importlib.import_module(module).seed(township)
    db.session.flush()
