"""Test set-up: a real database built by the migrations, PostgreSQL and Redis when configured.

With DATABASE_URL set (CI), a fresh database named after it is created on that server and migrated;
without it, a temporary SQLite file. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import factories

_TMP = Path(tempfile.mkdtemp(prefix="minqing-tests-"))


def _fresh_database_url() -> str:
    raw = os.environ.get("DATABASE_URL")
    if not raw:
        return f"sqlite:///{_TMP / 'test.sqlite3'}"
    from app.config import _sqlalchemy_url

    url = make_url(_sqlalchemy_url(raw))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{url.database or 'minqing'}_test{worker}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _compile_translations() -> None:
    """The English catalogue, compiled as `make setup` does, so a plain pytest run has it too."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d",
                    str(root / "app" / "translations")], check=True, capture_output=True)


@pytest.fixture(scope="session")
def app():
    os.environ.setdefault("MINQING_VAR_DIR", str(_TMP / "var"))
    _compile_translations()
    from app import create_app
    from app.cli import migrate_database

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _fresh_database_url(),
            "VAR_DIR": str(_TMP / "var"),
            "DOCUMENTS_DIR": str(_TMP / "var" / "documents"),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with application.app_context():
        migrate_database()
    return application


@pytest.fixture(autouse=True)
def _clean(request, app):
    """Every test starts from empty tables and a fresh rate limiter."""
    from app.extensions import db, limiter

    if "app" not in request.fixturenames and "db_session" not in request.fixturenames:
        # Pure unit tests need no database.
        pass
    yield
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                                  + " CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
        limiter.reset()


@pytest.fixture
def ctx(app):
    """An application context with a request context, for calling operations directly."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Two townships with one user per role each, and a little data in each."""
    from app.extensions import db

    with app.app_context():
        # Keep the loaded attributes readable after the context ends (ids, slugs, names).
        db.session().expire_on_commit = False
        return factories.World.build()


def login(client, user) -> None:
    """Sign `user` (a user or a user id) in on `client` without the cost of the password hash,
    with the session version the account has now (sign-out and password change raise it)."""
    from app.accounts.models import User
    from app.extensions import db

    user_id = user.id if hasattr(user, "id") else user
    with client.application.app_context():
        alternative_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = alternative_id
        session["_fresh"] = True


def csrf(html: str) -> str:
    """The CSRF token of a rendered page (from a form's hidden field)."""
    import re

    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
