"""Configuration from the environment.

Everything that differs between the embedded demo, the test suite and production is read from
environment variables here, nowhere else.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _sqlalchemy_url(raw: str) -> str:
    # Libraries and hosting panels hand out plain postgres:// URLs; we drive psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def from_environment() -> dict:
    """Build the Flask config mapping from environment variables."""
    var_dir = Path(os.environ.get("MINQING_VAR_DIR", ROOT / "var"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'minqing.sqlite3'}"
    redis_url = os.environ.get("REDIS_URL", "")
    production = os.environ.get("MINQING_ENV", "development") == "production"
    secret = os.environ.get("SECRET_KEY")
    if production and not secret:
        raise RuntimeError("SECRET_KEY must be set when MINQING_ENV=production")
    return {
        "ENV_NAME": os.environ.get("MINQING_ENV", "development"),
        "SECRET_KEY": secret or "minqing-development-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(database_url),
        # hide_parameters: a database error is logged without its bound values (residents' phone
        # and ID numbers travel as parameters).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # The schema's owner, for migrations only (the app itself connects as a role that owns
        # nothing, so PostgreSQL's row-level security applies to it). Empty: DATABASE_URL.
        "MIGRATION_DATABASE_URI": _sqlalchemy_url(os.environ.get("MIGRATION_DATABASE_URL", "")),
        "VAR_DIR": str(var_dir),
        "DOCUMENTS_DIR": os.environ.get("MINQING_DOCUMENTS_DIR", str(var_dir / "documents")),
        # "local" (DOCUMENTS_DIR) or "s3" (an S3-compatible bucket shared by every machine).
        "DOCUMENTS_STORAGE": os.environ.get("MINQING_DOCUMENTS_STORAGE", "local"),
        "DOCUMENTS_BUCKET": os.environ.get("MINQING_DOCUMENTS_BUCKET", ""),
        "DOCUMENTS_S3_ENDPOINT": os.environ.get("MINQING_DOCUMENTS_S3_ENDPOINT", ""),
        "REDIS_URL": redis_url,
        # "rq" pushes jobs to Redis for separate workers; "inline" runs them in this process.
        "JOBS_MODE": os.environ.get("MINQING_JOBS", "rq" if redis_url else "inline"),
        "DEMO_MODE": _bool("MINQING_DEMO"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: limits are counted in this process (a logged warning), never a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "LOGIN_RATE_LIMIT": os.environ.get("MINQING_LOGIN_RATE_LIMIT", "10 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # "Stay signed in" lasts this long unless the user's township sets a shorter time.
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Content-Security-Policy and friends (flask-talisman). HSTS is sent on HTTPS requests
        # (behind nginx: X-Forwarded-Proto). nginx redirects plain HTTP itself; the app does too
        # only with MINQING_FORCE_HTTPS (a health check on 127.0.0.1:8000 stays plain HTTP).
        "FORCE_HTTPS": _bool("MINQING_FORCE_HTTPS"),
        "HSTS_SECONDS": int(os.environ.get("MINQING_HSTS_SECONDS", str(365 * 86400))),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # The public address printed under QR codes (app/public_url.py); unset: the request's host.
        "PUBLIC_URL": os.environ.get("MINQING_PUBLIC_URL", ""),
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "minqing@localhost"),
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        # How many reverse proxies (nginx) stand in front of the app; 0 when none.
        "PROXY_COUNT": int(os.environ.get("MINQING_PROXY_COUNT", "0")),
    }
