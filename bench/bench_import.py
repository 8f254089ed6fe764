"""Household import benchmark (issue: county-size import): one XLSX and one GBK CSV (as Excel on
Chinese Windows writes it) of 30,000 households, and with BENCH_BIG=1 of 337,000, checked and
imported into PostgreSQL through the same jobs the page runs (app.households.importer.check_batch
then import_batch). Prints each step's time and the peak memory of the process, against a baseline
measured in the same run: a process that only reads the same file (app loaded, rows streamed,
nothing checked). Each measurement runs in its own process, so peaks do not mix.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/minqing_bench \\
        .venv/bin/python bench/bench_import.py            # 30,000 rows
    BENCH_BIG=1 ... bench/bench_import.py                 # and 337,000 rows

Targets: 337,000 households checked and imported in < 60 s, peak memory < 500 MB.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["户号", "村（社区）", "户主姓名", "地址", "手机号", "身份证号", "标签", "家庭成员"]
VILLAGES = 300
CACHE = Path(os.environ.get("BENCH_IMPORT_DIR", "/tmp/minqing-bench-import"))


def _id_number(n: int) -> str:
    from stdnum.cn import ric

    body = f"350121{1950 + n % 50}0101{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _row(n: int) -> list:
    return [f"H{n:07d}", f"第{n % VILLAGES}村", f"户主{n}", f"第{n % 40}组{n}号",
            f"139{n:08d}", _id_number(n), "低保" if n % 7 == 0 else "", f"成员{n}/配偶"]


def make_files(rows: int) -> dict[str, Path]:
    """The sheets, written once and kept between runs (writing 337,000 rows takes a while)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    xlsx, csv_path = CACHE / f"households-{rows}.xlsx", CACHE / f"households-{rows}-gbk.csv"
    if not xlsx.exists():
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER)
        for n in range(rows):
            sheet.append(_row(n))
        book.save(xlsx)
    if not csv_path.exists():
        import csv

        with open(csv_path, "w", encoding="gbk", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            for n in range(rows):
                writer.writerow(_row(n))
    return {"xlsx": xlsx, "csv": csv_path}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app(database_url: str):
    """The app connected as its own role (row-level security applies, as in production);
    migrations and grants as the database's owner (DATABASE_URL's user)."""
    os.environ["MINQING_VAR_DIR"] = str(CACHE / "var")
    from sqlalchemy.engine import make_url

    from app import create_app
    from bench.bench_server import APP_ROLE

    app_url = make_url(database_url).set(username=APP_ROLE, password=None)
    return create_app({"SQLALCHEMY_DATABASE_URI": app_url.render_as_string(hide_password=False),
                       "MIGRATION_DATABASE_URI": database_url, "TESTING": True,
                       "VAR_DIR": str(CACHE / "var")})


def child_baseline(path: str, database_url: str) -> dict:
    """Read the file alone: the app loaded, every row streamed, nothing checked or written."""
    from app.households.importer import iter_table

    app = _app(database_url)
    start = time.perf_counter()
    with app.app_context():
        count = sum(1 for _ in iter_table(Path(path)))
    return {"read": time.perf_counter() - start, "rows": count - 1, "peak": peak_mb()}


def _profiled(phase: str, run) -> None:
    """`run()`, with BENCH_PROFILE=1 its profile (by own time) on stderr."""
    if not os.environ.get("BENCH_PROFILE"):
        run()
        return
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(run)
    print(f"--- profile of the {phase}", file=sys.stderr)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(20)


def child_import(path: str, database_url: str, slug: str) -> dict:
    """A fresh township with its villages; the sheet uploaded, checked and imported as jobs."""
    import random
    import shutil
    import string
    import uuid

    from sqlalchemy import func, select

    from app import jobs
    from app.accounts.models import Role
    from app.accounts.operations import create_user, grant
    from app.extensions import db
    from app.households import importer
    from app.households.models import Household, ImportBatch, Resident, Village
    from app.tenancy import bind_township
    from tests import factories

    app = _app(database_url)
    with app.app_context():
        t = factories.township(f"{slug}-{uuid.uuid4().hex[:6]}",
                               code="".join(random.choices(string.ascii_uppercase, k=4)))
        bind_township(db.session, t.id)
        admin = create_user(username=f"bench-{uuid.uuid4().hex[:12]}", name="管理员")
        grant(t, admin, Role.TOWNSHIP_ADMIN)
        db.session.add_all(Village(township_id=t.id, name=f"第{n}村") for n in range(VILLAGES))
        db.session.commit()
        # A township's villages are set up before its first import, and autovacuum has analysed
        # them by then; without statistics the foreign-key checks of every imported row (to
        # villages) scan the township's villages by name instead of looking the id up.
        _analyse(database_url, "villages", "townships", "users", "grids")
        source = Path(path)
        batch = ImportBatch(id=uuid.uuid4(), township_id=t.id, created_by_id=admin.id,
                            filename=source.name, suffix=source.suffix)
        shutil.copyfile(source, importer.upload_path(batch))  # what the upload view saves
        db.session.add(batch)
        jobs.enqueue("app.households.importer.check_batch", t.id, batch.id)
        db.session.commit()
        start = time.perf_counter()
        _profiled("check", jobs.run_pending)
        checked = time.perf_counter()
        db.session.expire_all()
        batch = db.session.get(ImportBatch, (t.id, batch.id))
        assert batch.state == "checked", (batch.state, batch.file_problems, batch.bad_rows[:3])
        importer.confirm(t, admin, batch)
        db.session.commit()
        _profiled("import", jobs.run_pending)
        done = time.perf_counter()
        bind_township(db.session, t.id)
        households = db.session.scalar(select(func.count()).select_from(Household).where(
            Household.township_id == t.id))
        residents = db.session.scalar(select(func.count()).select_from(Resident).where(
            Resident.township_id == t.id))
    return {"check": checked - start, "import": done - checked, "households": households,
            "residents": residents, "peak": peak_mb()}


def _analyse(owner_url: str, *tables: str) -> None:
    """ANALYZE as the owner (the app's role may not), as autovacuum would."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(owner_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for table in tables:
            conn.execute(text(f'ANALYZE "{table}"'))
    engine.dispose()


def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         stdout=subprocess.PIPE, text=True, cwd=ROOT)  # a profile on stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from bench.bench_server import database_urls

    database_url, _app_url, _fresh = database_urls()  # afresh, with the app's role made if missing
    os.environ["MINQING_VAR_DIR"] = str(CACHE / "var")
    from app.cli import migrate_database

    with _app(database_url).app_context():
        migrate_database()
    sizes = [30_000] + ([337_000] if os.environ.get("BENCH_BIG") else [])
    if os.environ.get("BENCH_ROWS"):
        sizes = [int(os.environ["BENCH_ROWS"])]
    kinds = os.environ.get("BENCH_KINDS", "xlsx,csv").split(",")
    print("household import (PostgreSQL; each line its own process; baseline = reading the "
          "file alone)")
    for rows in sizes:
        files = make_files(rows)
        for kind, path in files.items():
            if kind not in kinds:
                continue
            base = _run_child("baseline", str(path), database_url)
            run = _run_child("import", str(path), database_url, f"i{kind}{rows}")
            total = run["check"] + run["import"]
            print(f"{rows:>7,} rows {kind:<4} ({path.stat().st_size / 1e6:5.1f} MB): "
                  f"read alone {base['read']:5.1f} s, {base['peak']:4.0f} MB | "
                  f"check {run['check']:5.1f} s + import {run['import']:5.1f} s = "
                  f"{total:5.1f} s ({total / max(base['read'], 1e-9):4.1f}x reading), "
                  f"peak {run['peak']:4.0f} MB ({run['peak'] / base['peak']:.2f}x reading); "
                  f"{run['households']:,} households, {run['residents']:,} residents "
                  f"[target: 337,000 < 60 s, < 500 MB]", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        result = child_baseline(*rest) if kind == "baseline" else child_import(*rest)
        print(json.dumps(result))
    else:
        main()
