"""gunicorn settings for Minqing (deploy/minqing-web.service runs
`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

The access log never records a query string or a referrer: the desk's phone search
(`/hall/?q=136…`), tracking look-ups and filters carry residents' numbers there. One line per
request: address, time, method, path, status, bytes, milliseconds.

The app is made once, in the master, and forked into each worker (`preload_app`): a worker
restarted after `max_requests` serves at once instead of making the app again while the
requests already sent to it wait — 1–2 s at every restart, which was the cached board's p95
under load (bench/bench_server.py). Each worker then opens database connections of its own
(`post_fork`); Redis's client renews its connections in a new process by itself.
"""

bind = "127.0.0.1:8000"
# Threads suit the I/O-bound pages; PDFs are rendered by the workers, not here.
workers = 4
threads = 4
max_requests = 2000
max_requests_jitter = 200
preload_app = True
accesslog = "-"
# %(U)s is the path without its query string; no %(r)s (request line), %(q)s or %(f)s (referrer).
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def post_fork(server, worker):
    """No connection of the master's pool is shared with a worker (fork)."""
    flask_app = server.app.wsgi()  # the app the master made
    if "sqlalchemy" in getattr(flask_app, "extensions", {}):
        from app.extensions import db

        with flask_app.app_context():
            db.engine.dispose(close=False)
