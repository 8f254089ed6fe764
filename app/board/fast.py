"""The board answered to anonymous visitors from its cache before Flask sees the request.

The board is the most read page and, for a visitor without an account, the same for everyone: the
same bytes for the same address, language and scheme. A cached request through Flask still pushed
a request context, loaded the township, asked Flask-Login and Flask-Babel, made a CSRF-free page
with Talisman's headers and rendered the layout around the cached content — most of its time.
This WSGI layer (inside ProxyFix, so it sees the real scheme and host) keeps the whole response
the first time Flask answers it and answers it again with one Redis round trip (MGET of the
township's version and the entry, which names the version it was rendered at), with a fresh CSP
nonce.

What it answers: GET /t/<slug>/board with no cookie but `lang` (any other cookie may be a
session: Flask answers), no `lang` argument (that one sets a cookie), and a response that Flask
answered 200 with no cookie and `Cache-Control: public` (app.security: an anonymous public page).
The key is the scheme, host, script root, path, the query string exactly as sent and the
language. The township's id comes from this process's memory of its slug, learnt from Flask's
answer; the township's version is read before Flask renders (and before any statement of the
request), so an entry is never kept under a version a later commit has moved past
(app.board.cache). A change to the township's row (name, slug) moves its version too.
"""

from __future__ import annotations

import json
import re
import secrets

from werkzeug.http import parse_cookie

from app.board.cache import board_cache

PATH = re.compile(r"^/t/([^/]+)/board$")
DEFAULT_LOCALE = "zh_Hans_CN"
LOCALES = ("zh_Hans_CN", "en")
NONCE = re.compile(r"'nonce-([^']+)'")
MARK = "@@minqing-nonce@@"
_VERSION = "minqing.board.version"  # environ: (township id, version read before Flask)
_KEEP = "minqing.board.keep"  # environ: the township whose board Flask answered
MAX_SLUGS = 10_000


def version_read(environ, township_id):
    """The township's version read by the fast path before this request, or ... (not read)."""
    read = environ.get(_VERSION)
    return read[1] if read is not None and read[0] == township_id else ...


def may_keep(environ, township_id) -> None:
    """The board view says this answer is the board of `township_id` (kept if anonymous)."""
    environ[_KEEP] = township_id


class FastBoard:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._townships: dict[str, object] = {}

    def _candidate(self, environ) -> tuple[str, tuple] | None:
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        query = environ.get("QUERY_STRING", "")
        if "lang=" in query:  # a language chosen here is remembered in a cookie
            return None
        locale = DEFAULT_LOCALE
        if environ.get("HTTP_COOKIE"):
            cookies = parse_cookie(environ["HTTP_COOKIE"])
            if any(name != "lang" for name in cookies):
                return None  # maybe signed in, maybe a flash: Flask answers
            if cookies.get("lang") in LOCALES:
                locale = cookies["lang"]
        key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST", ""),
               environ.get("SCRIPT_NAME", ""), environ["PATH_INFO"], query, locale)
        return match.group(1), key

    def __call__(self, environ, start_response):
        candidate = self._candidate(environ)
        if candidate is None:
            return self.wsgi_app(environ, start_response)
        slug, key = candidate
        township_id = self._townships.get(slug)
        if township_id is not None:
            version, payload = board_cache.get_page(township_id, key, app=self.app)
            if payload is not None:
                return self._answer(payload, start_response)
            environ[_VERSION] = (township_id, version)
        return self._render(environ, start_response, slug, key)

    def _render(self, environ, start_response, slug, key):
        answered = {}

        def capture(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body_iter = self.wsgi_app(environ, capture)
        try:
            body = b"".join(body_iter)
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()
        township_id = environ.get(_KEEP)
        status, headers = answered.get("status", ""), answered.get("headers", [])
        names = {name.lower(): value for name, value in headers}
        if (township_id is not None and status.startswith("200 ")
                and "set-cookie" not in names
                and names.get("cache-control", "").startswith("public")):
            if len(self._townships) >= MAX_SLUGS:
                self._townships.clear()
            self._townships[slug] = township_id
            read = environ.get(_VERSION)
            if read is not None and read[0] == township_id:
                board_cache.put_page(township_id, key, read[1], _payload(status, headers, body),
                                     app=self.app)
        return [body]

    @staticmethod
    def _answer(payload: bytes, start_response):
        meta, _, body = payload.partition(b"\n")
        meta = json.loads(meta)
        nonce = secrets.token_urlsafe(24)
        headers = [(name, value.replace(MARK, nonce)) for name, value in meta["headers"]]
        if meta["nonce_in_body"]:
            body = body.replace(MARK.encode(), nonce.encode())
        headers.append(("Content-Length", str(len(body))))
        start_response(meta["status"], headers)
        return [body]


def _payload(status: str, headers, body: bytes) -> bytes:
    """The response as kept: its headers but the length, its nonce marked for a fresh one."""
    nonce = next((found.group(1) for name, value in headers
                  if name.lower() == "content-security-policy"
                  and (found := NONCE.search(value))), None)
    kept = [(name, value.replace(nonce, MARK) if nonce else value) for name, value in headers
            if name.lower() not in ("content-length", "date")]
    in_body = bool(nonce) and nonce.encode() in body
    if in_body:
        body = body.replace(nonce.encode(), MARK.encode())
    meta = json.dumps({"status": status, "headers": kept, "nonce_in_body": in_body})
    return meta.encode() + b"\n" + body
