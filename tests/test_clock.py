"""The one clock (app/clock.py): nothing in app/ or workers/ reads the machine's day or a naive now.

The server runs in UTC; townships live in Asia/Shanghai (or their own zone). `date.today()` on the
server is yesterday in a Chinese hall until 08:00, so every "today" comes from app.clock.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import time_machine

from app import clock

ROOT = Path(__file__).resolve().parent.parent


def _forbidden(tree: ast.AST):
    """(line, text) of every call that reads the machine's local clock or a naive now."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        name = node.func.attr
        if owner_name == "date" and name == "today":
            yield node.lineno, "date.today()"
        elif owner_name == "datetime" and name in ("today", "utcnow", "utcfromtimestamp"):
            yield node.lineno, f"datetime.{name}()"
        elif owner_name == "datetime" and name in ("now", "fromtimestamp") and \
                not node.args[1 if name == "fromtimestamp" else 0:] and \
                not any(k.arg == "tz" for k in node.keywords):
            yield node.lineno, f"datetime.{name}() without a time zone"
        elif owner_name == "time" and name in ("localtime", "ctime"):
            yield node.lineno, f"time.{name}()"


def test_no_machine_clock_in_app_or_workers():
    found = []
    for folder in ("app", "workers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in _forbidden(tree)]
    assert not found, "use app.clock (township_today / township_now / utcnow):\n" + "\n".join(found)


def test_the_scan_finds_what_it_forbids():
    source = ("from datetime import date, datetime\nimport datetime as dt\n"
              "a = date.today()\nb = datetime.now()\nc = dt.datetime.utcnow()\n"
              "d = datetime.now(UTC)\ne = datetime.now(tz=UTC)\nf = dt.date.today()\n")
    assert [line for line, _what in _forbidden(ast.parse(source))] == [3, 4, 5, 8]


SHANGHAI = SimpleNamespace(timezone="Asia/Shanghai")
URUMQI = SimpleNamespace(timezone="Asia/Urumqi")


@time_machine.travel(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), tick=False)
def test_after_16_utc_it_is_already_tomorrow_in_a_chinese_township():
    assert clock.township_today(SHANGHAI) == date(2027, 1, 1)
    assert clock.township_month(SHANGHAI) == date(2027, 1, 1)
    assert clock.township_today(URUMQI) == date(2026, 12, 31)  # UTC+6: still the old year
    assert clock.township_today(None) == date(2027, 1, 1)  # platform pages: Beijing time
    assert clock.utcnow().date() == date(2026, 12, 31)


def test_bounds_of_local_days_in_utc():
    lo, hi = clock.utc_bounds(SHANGHAI, date(2026, 12, 1), date(2027, 1, 1))
    assert lo == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert hi == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert clock.local_date(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), SHANGHAI) == date(2027, 1, 1)
