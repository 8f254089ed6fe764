"""`flask --app wsgi minqing national-calendar FILE`: a year's national schedule from a file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("national-calendar")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="", help="依据, e.g. the State Council notice's title")
@click.option("--check", is_flag=True, help="read and report the file without entering it")
@with_appcontext
def national_calendar_cmd(path: Path, source: str, check: bool):
    """Enter the national holidays and make-up working days (放假安排) in FILE for every township.

    One entry a line: `2027-01-01 休 元旦`, `2027-02-06~2027-02-12 休 春节`, `2027-02-14 班
    春节调休` (or CSV: `2027-01-01,休,元旦`); # starts a comment. The years in the file replace
    their earlier entries; open matters' due dates reaching them are recomputed."""
    from app.extensions import db
    from app.holidays import operations as ops

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    try:
        entries = ops.parse(text)
    except ops.ScheduleError as exc:
        raise click.ClickException("\n".join(
            (f"line {n}: {m}" if n else m) for n, m in exc.errors)) from exc
    years = sorted({e.day.year for e in entries})
    off = sum(not e.is_workday for e in entries)
    click.echo(f"{path.name}: {len(entries)} days in {', '.join(map(str, years))} "
               f"({off} off, {len(entries) - off} make-up working days)")
    if check:
        return
    result = ops.enter_schedule(entries, None, source=source or path.name)
    db.session.commit()
    click.echo(f"entered; {result.matters_changed} open matters re-dated"
               + "".join(f"\n  {slug}: {n}" for slug, n in sorted(result.changed.items())))
