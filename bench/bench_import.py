"""Household import benchmark: one XLSX of 30,000 households (and, with BENCH_BIG=1, 300,000)
checked and imported into PostgreSQL; prints the time and the peak memory of each step.

    DATABASE_URL=postgresql://postgres@127.0.0.1/minqing_bench \\
        .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import io
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ledger import fresh_database  # noqa: E402


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["村（社区）", "户主姓名", "地址", "手机号", "标签", "家庭成员"])
    for n in range(rows):
        sheet.append([f"第{n % 30}村", f"户主{n}", f"{n}号", f"139{n:08d}",
                      "低保" if n % 7 == 0 else "", f"成员{n}/配偶"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(app, rows: int) -> None:
    from app.extensions import db
    from app.households import importer
    from app.households.models import Village
    from app.tenancy import bind_township
    from tests import factories

    data = workbook(rows)
    with app.app_context():
        t = factories.township(f"imp{rows}", code="IM")
        bind_township(db.session, t.id)
        db.session.add_all(Village(township_id=t.id, name=f"第{n}村") for n in range(30))
        db.session.commit()
        start = time.perf_counter()
        result = importer.preview(t, "households.xlsx", data)
        checked = time.perf_counter()
        assert result.ok, result.problems or result.bad_rows[:3]
        count = importer.import_rows(t, result)
        db.session.commit()
        done = time.perf_counter()
    print(f"{rows:>7} rows ({len(data) / 1e6:.1f} MB xlsx): check {checked - start:6.1f} s, "
          f"import {done - checked:6.1f} s, total {done - start:6.1f} s "
          f"(target for 30,000: < 30 s); {count} households; peak memory {peak_mb():.0f} MB "
          f"(target < 1,024 MB)")


def main():
    os.environ["MINQING_VAR_DIR"] = "/tmp/minqing-bench"
    from app import create_app
    from app.cli import migrate_database

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database(), "TESTING": True})
    with app.app_context():
        migrate_database()
    run(app, 30_000)
    if os.environ.get("BENCH_BIG"):
        run(app, 300_000)


if __name__ == "__main__":
    main()
