"""What telling residents costs the ledger: N matters assigned and replied (SQLite, in-process).

Three variants, each the median of 3 runs, in the same process: the hook off (baseline), the
hook on with no resident agreed (what every matter pays: one lookup per public step), and every
resident agreed (messages written and sent inline through the test gateway). Figures only.

    .venv/bin/python bench/bench_resident_steps.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MATTERS = int(os.environ.get("BENCH_MATTERS", 150))


def run(app, *, hook: bool, agreed: bool) -> float:
    from app.accounts.models import Role
    from app.extensions import db
    from app.matters import operations as ledger
    from app.notices import residents
    from app.tenancy import bind_township
    from tests import factories

    original = residents.on_event
    if not hook:
        residents.on_event = lambda matter, event: None
    try:
        with app.test_request_context():
            t = factories.township()
            bind_township(db.session, t.id)
            clerk = factories.user(t, Role.TOWNSHIP_ADMIN)
            matters = [factories.matter(t, channel="phone", contact_phone="13812345678")
                       for _ in range(MATTERS)]
            if agreed:
                for m in matters:
                    residents.agree(t, m, given_at="phone")
            db.session.commit()
            started = time.perf_counter()
            for m in matters:
                ledger.assign(m, clerk, unit_name="水利站")
                ledger.reply(m, clerk, public_text="已修好。", township=t)
            db.session.commit()
            from app import jobs

            jobs.run_pending()
            return time.perf_counter() - started
    finally:
        residents.on_event = original


def main():
    os.environ["MINQING_VAR_DIR"] = tempfile.mkdtemp()
    from app import create_app
    from app.extensions import db

    path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True,
                      "SMS_GATEWAY": "test", "JOBS_THREAD": False})
    with app.app_context():
        db.create_all()
    figures = {}
    for name, hook, agreed in (("hook off (baseline)", False, False),
                               ("hook on, nobody agreed", True, False),
                               ("hook on, every resident agreed", True, True)):
        figures[name] = statistics.median(run(app, hook=hook, agreed=agreed) for _ in range(3))
    base = figures["hook off (baseline)"]
    for name, seconds in figures.items():
        print(f"{name:34} {seconds * 1000 / MATTERS:7.2f} ms per matter   x{seconds / base:.2f}")


if __name__ == "__main__":
    main()
