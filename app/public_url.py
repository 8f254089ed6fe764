"""The address residents' phones open: every public link and QR code printed on a document.

`MINQING_PUBLIC_URL` (e.g. ``https://minqing.example.gov.cn/``) names it. When it is unset, the
address is the one the staff member's browser used for the request that asked for the document
(`request.host_url`, behind nginx with MINQING_PROXY_COUNT so the forwarded host is seen); a job
has no request, so the address is recorded with the job when it is asked for (`for_job`). Only
when neither is known (a command run on the server) does ``http://localhost/`` remain, and the
log says so. A production start without MINQING_PUBLIC_URL logs a loud warning (`check`).
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, request

log = logging.getLogger(__name__)
FALLBACK = "http://localhost/"


def configured() -> str:
    """MINQING_PUBLIC_URL with a trailing slash, or "" when unset."""
    value = (current_app.config.get("PUBLIC_URL") or "").strip()
    return value.rstrip("/") + "/" if value else ""


def for_job() -> str:
    """The base URL to record with a job asked for now: the configured one, else this request's
    host, else "" (the job then falls back, and says so)."""
    if configured():
        return configured()
    if has_request_context():
        return request.host_url
    return ""


def base_for(recorded: str | None) -> str:
    """The base URL a job renders links with: configured, else recorded when it was asked for."""
    base = configured() or (recorded or "").strip()
    if not base:
        log.warning("public links fall back to %s: set MINQING_PUBLIC_URL so QR codes open on "
                    "residents' phones", FALLBACK)
        return FALLBACK
    return base


def check(app) -> None:
    """At start-up: production without MINQING_PUBLIC_URL is warned about, loudly."""
    if app.config.get("ENV_NAME") == "production" and not (app.config.get("PUBLIC_URL") or ""):
        app.logger.warning(
            "MINQING_PUBLIC_URL is not set: QR codes and links on documents made by jobs without "
            "a request (the demo's seed, commands) will point at %s, which residents' phones "
            "cannot open. Set MINQING_PUBLIC_URL=https://<your public address>/", FALLBACK)
        logging.getLogger("minqing").critical(
            "MINQING_PUBLIC_URL is not set in production")
