"""The WSGI apps bench/bench_server.py runs under gunicorn (not part of the product).

`bench.server_apps:app` is Minqing as deployed, with the bench-only cache setting of
BENCH_CACHE: "on" (as in production), "page" (the board's rendered page never cached: every
request renders it, the rates still cached) or "none" (no board page cache and no rates cache:
every figure recomputed from the rows on every request). Rate limits are off so that one client
address can send thousands of requests.

`bench.server_apps:bare` is the baseline: a bare Flask page that renders 20 rows of one indexed
query with Jinja, and a bare CSRF-protected form whose POST inserts one row.
"""

from __future__ import annotations

import os
import uuid

from flask import Flask, render_template_string, request
from flask_wtf import CSRFProtect
from sqlalchemy import create_engine, text


def _minqing():
    from app import create_app, freeze_start_up

    mode = os.environ.get("BENCH_CACHE", "on")
    overrides = {"RATELIMIT_ENABLED": False}
    if mode in ("page", "none"):
        overrides["BOARD_CACHE"] = "off"
    if mode == "none":
        overrides["RATES_CACHE"] = "off"
    app = create_app(overrides)
    freeze_start_up()  # as wsgi.py does
    return app


BARE_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><h1>{{ title }}</h1><table>
{% for row in rows %}<tr><td>{{ row.number }}</td><td>{{ row.title }}</td><td>{{ row.state }}</td>
<td>{{ row.received_at.strftime('%Y-%m-%d %H:%M') }}</td></tr>{% endfor %}
</table></body></html>"""

BARE_FORM = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>表</title></head>
<body><form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input name="title"><button>提交</button></form>
{% if saved %}<p>已保存</p>{% endif %}</body></html>"""


def _bare():
    bare = Flask("bare")
    bare.secret_key = os.environ.get("SECRET_KEY", "bench")
    CSRFProtect(bare)
    engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=8)
    township = os.environ["BARE_TOWNSHIP_ID"]

    @bare.get("/")
    def page():
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT number, title, state, received_at FROM matters "
                "WHERE township_id = :t ORDER BY received_at DESC LIMIT 20"),
                {"t": township}).all()
        return render_template_string(BARE_PAGE, title="最近事项", rows=rows)

    @bare.route("/form", methods=["GET", "POST"])
    def form():
        saved = False
        if request.method == "POST":
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO bench_bare_posts (id, title) VALUES (:i, :t)"),
                             {"i": str(uuid.uuid4()), "t": request.form.get("title", "")})
            saved = True
        return render_template_string(BARE_FORM, saved=saved)

    return bare


if os.environ.get("BENCH_APP") == "bare":
    bare = _bare()
else:
    app = _minqing()
