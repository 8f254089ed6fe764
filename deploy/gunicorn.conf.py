"""gunicorn settings for Minqing (deploy/minqing-web.service: `gunicorn -c deploy/gunicorn.conf.py`).

The access log never records a query string or a referrer: the desk's phone search
(`/hall/?q=136…`), tracking look-ups and filters carry residents' numbers there. One line per
request: address, time, method, path, status, bytes, milliseconds.
"""

bind = "127.0.0.1:8000"
# Threads suit the I/O-bound pages; PDFs are rendered by the workers, not here.
workers = 4
threads = 4
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# %(U)s is the path without its query string; no %(r)s (request line), %(q)s or %(f)s (referrer).
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
