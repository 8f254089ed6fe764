"""Recurring jobs for `rq cron workers/cron.py` (run with TZ=Asia/Shanghai: cron strings use the
server's local time). Equivalent without RQ's cron: a crontab line running
`python -m workers.sweep` at 07:00 every day (see deploy/minqing.cron).
"""

import os

from rq import cron

from workers.context import dispatch_due, enqueue_sweeps

QUEUE = os.environ.get("MINQING_JOBS_QUEUE", "minqing")

# Reminder sweeps every morning before office hours.
cron.register(enqueue_sweeps, QUEUE, cron="0 7 * * *", name="reminder-sweeps")
# The outbox: retries whose back-off has passed, and jobs Redis missed while it was down.
cron.register(dispatch_due, QUEUE, interval=60, name="dispatch-due")
