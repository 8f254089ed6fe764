"""What a probe of a live instance asked for (issue #18): logs without personal data, inputs that
answer 4xx instead of 500, production headers, and staff pages no cache keeps.

- Logs: every record's message and traceback pass through `app.privacy.mask_text` when the record
  is made (a LogRecord factory), so whichever handler writes it (Flask's, gunicorn's, pytest's,
  the worker's) never sees a phone, resident ID or bank card number. SQLAlchemy logs its errors
  without bound parameters (`hide_parameters`, app.config), and access logs carry no query strings
  (werkzeug's filter below, `deploy/gunicorn.conf.py`, `deploy/nginx.conf`).
- Inputs: NUL and other control characters in the URL path, the query string or any form field,
  page numbers beyond any real list and dates outside 1900–2199 are refused in one place with a
  400 that says which, before a view or the database sees them.
- Headers (flask-talisman): a Content-Security-Policy allowing only the app's own scripts and styles
  (plus the per-request nonce for the few inline blocks), HSTS over HTTPS, and
  `Cache-Control: no-store` on every page answered to a signed-in user.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import date

from flask import Flask, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

# Characters no form, query or path of ours ever needs: C0 controls but tab, newline and carriage
# return, DEL, and the C1 controls (U+0080–U+009F).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Larger than any list of ours could ever be paged to (and well inside a 64-bit OFFSET).
MAX_PAGE = 100_000
# Dates people type for a township's work: births of living residents to plans for the future.
MIN_YEAR, MAX_YEAR = 1900, 2199
_ISO_DATE = re.compile(r"^\s*(\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")


# --- logs ---------------------------------------------------------------------------------------

def _masking_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        with contextlib.suppress(Exception):  # masking never loses a log line
            _mask_record(record)
        return record

    factory._minqing_masking = True  # type: ignore[attr-defined]
    return factory


# Access logs carry no query string (their formats: werkzeug's filter, deploy/gunicorn.conf.py);
# their addresses and times would read as phone numbers to the masking.
ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")


def _mask_record(record: logging.LogRecord) -> None:
    from app.privacy import mask_text

    if record.name in ACCESS_LOGGERS and not record.exc_info:
        return

    message = record.getMessage()
    masked = mask_text(message)
    if masked != message or record.args:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = mask_text(text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


def install_log_masking() -> None:
    """Mask personal numbers in every log record made from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "_minqing_masking", False):
        logging.setLogRecordFactory(_masking_factory(current))


# --- inputs -------------------------------------------------------------------------------------

class InputRefused(BadRequest):
    """A 400 whose description is written for people (shown on the error page)."""


def abort(code: int, message: str):
    raise InputRefused(message)


def _bad_date(value: str) -> bool:
    match = _ISO_DATE.match(value)
    if not match:
        return False
    year, month, day = (int(g) for g in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        return True
    try:
        date(year, month, day)
    except ValueError:
        return False  # not a date at all: the form's own validator says so
    return False


def check_request_input(endpoint=None, values=None) -> None:
    """Refuse with 400 what no page of ours can answer sensibly (runs before any view)."""
    if CONTROL.search(request.path):
        abort(400, _("网址中含有不允许的控制字符。"))
    # The labels are translated only for a refusal (asking the locale on every request loaded
    # the signed-in user before the township was bound).
    for source, what in ((request.args, _l("网址参数")), ):
        for key, value in source.items(multi=True):
            _check_value(key, value, what, query=True)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            _check_value(key, value, _l("表单"), query=False)


def _check_value(key: str, value: str, what: str, query: bool) -> None:
    if CONTROL.search(key) or CONTROL.search(value):
        abort(400, _("%(what)s中含有不允许的控制字符，请删去后重试。", what=what))
    if query and key == "page" and value.strip():
        try:
            page = int(value)
        except ValueError:
            abort(400, _("页码无效。"))
        if not 1 <= page <= MAX_PAGE:
            abort(400, _("页码超出范围。"))
    if len(value) <= 40 and _bad_date(value):
        abort(400, _("日期超出范围（%(low)s–%(high)s 年）。", low=MIN_YEAR, high=MAX_YEAR))


# --- headers ------------------------------------------------------------------------------------

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Style attributes carry computed positions and colours (map pins, legends); they cannot run
    # script, and every value in them is escaped by Jinja.
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


# How long a proxy may keep an anonymous public page (board, service guides, studios).
PUBLIC_MAX_AGE = 60


def _is_public_view() -> bool:
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(getattr(view, "access", None), "kind", None) == "public"


def init_headers(app: Flask) -> None:
    from flask_talisman import Talisman

    Talisman(
        app,
        force_https=app.config.get("FORCE_HTTPS", False),
        strict_transport_security=True,
        strict_transport_security_max_age=app.config.get("HSTS_SECONDS", 365 * 86400),
        strict_transport_security_include_subdomains=False,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src", "style-src"],
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        referrer_policy="same-origin",
        frame_options="SAMEORIGIN",
        # Defaults that ask browsers for features nobody here uses; keep the header list short.
        feature_policy={},
        permissions_policy={"geolocation": "(self)", "camera": "()", "microphone": "()"},
        document_policy={},
    )

    @app.after_request
    def no_store_for_staff(response):
        from flask import session
        from flask_login import current_user

        try:
            # The session names a user even when the database could not load them.
            signed_in = "_user_id" in session or bool(current_user and
                                                       current_user.is_authenticated)
        except Exception:  # the database is down: treat the page as private
            signed_in = True
        # A view that chose a private (browser-only) cache for its own file keeps it.
        chosen = response.headers.get("Cache-Control", "")
        if signed_in and not request.path.startswith("/static/") and "private" not in chosen:
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
            response.headers["Pragma"] = "no-cache"
        elif (not signed_in and not chosen and request.method == "GET"
              and response.status_code == 200 and "Set-Cookie" not in response.headers
              and not session.modified and not dict(session) and _is_public_view()):
            # An anonymous public page that set no cookie is the same for every visitor: a
            # proxy may keep it briefly (the board's own cache lasts as long).
            response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        return response
