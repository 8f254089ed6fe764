"""Importing households from the CSV and XLSX files township staff really produce, at county size.

Files saved from Excel on Chinese Windows come as XLSX, as CSV in GB18030/GBK, or as UTF-8 with a
byte-order mark. An import is an `ImportBatch` that goes through two jobs:

1. `check_batch`: the rows are streamed from the file and checked in batches against the sheet's
   rules and against every column limit the database has (read from the SQLAlchemy columns, so a
   too-long name is refused here, with its line number, and never reaches the database). Each row
   is matched to the registry (by the 户号 column when there is one, else by the head's name and the
   last four digits of the ID number) and classed new / changed / unchanged; the registry's
   households the sheet does not mention are "missing". Nothing is written to the registry. The
   uploaded file (full ID numbers) is deleted at once; a normalised copy without them is kept for
   step 2 when every row is good, and nothing is kept when a single row is bad.
2. `import_batch`: after the administrator confirms, the normalised rows go in with bulk Core
   statements (executemany, never ORM objects), all in one transaction with the batch's state, so
   the import is all or nothing and a second run (a retry, a double click) imports nothing more.

Columns (the first row, in any order): 村（社区）, 户主姓名, 地址, 手机号; optional 户号, 网格,
身份证号, 标签 (separated by 、 or commas), 家庭成员 (姓名/关系, separated by ；), 联户干部 (a
cadre's username, or name and phone tail such as 张三1234).
"""

from __future__ import annotations

import codecs
import csv
import gc
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select, text, update

from app.audit.models import AuditEvent
from app.audit.operations import _redact, record
from app.extensions import db
from app.households.models import (
    Grid,
    Household,
    HouseholdTag,
    ImportBatch,
    ImportState,
    Resident,
    Village,
)
from app.models import utcnow
from app.validation import is_id_number, normalize_phone, phone_error

REQUIRED = {"村（社区）": "village", "户主姓名": "head", "地址": "address", "手机号": "phone"}
OPTIONAL = {"户号": "household_number", "网格": "grid", "身份证号": "id_number", "标签": "tags",
            "家庭成员": "members", "联户干部": "cadre"}
ALIASES = {"村": "村（社区）", "社区": "村（社区）", "村(社区)": "村（社区）", "户主": "户主姓名",
           "电话": "手机号", "手机": "手机号", "联系电话": "手机号", "身份证": "身份证号",
           "户编号": "户号", "户籍编号": "户号", "联系干部": "联户干部", "包户干部": "联户干部"}
LABELS = {key: name for name, key in {**REQUIRED, **OPTIONAL}.items()}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
KNOWN_TAGS = {t.value for t in HouseholdTag}
BATCH = 5000  # rows checked, and written, per round trip
KEEP_CHANGES = 500  # rows of "what would change" kept for the preview
KEEP_MISSING = 200
# The household fields a sheet sets, compared on a re-import.
COMPARED = ("village_id", "grid_id", "head_name", "address", "phone", "tags", "contact_cadre_id",
            "household_number")


def _limit(column) -> int | None:
    return getattr(column.type, "length", None)


def column_limits() -> dict[str, int]:
    """The longest text each sheet column may hold, read from the database columns it goes to."""
    h, r = Household.__table__.c, Resident.__table__.c
    limits = {"village": _limit(Village.__table__.c.name), "head": _limit(h.head_name),
              "address": _limit(h.address), "phone": _limit(h.phone),
              "household_number": _limit(h.household_number), "grid": _limit(Grid.__table__.c.name),
              "member_name": _limit(r.name), "member_relation": _limit(r.relation)}
    return {k: v for k, v in limits.items() if v}


def id_number_valid(value: str) -> bool:
    """GB 11643: length, check character, birth date and region (app.validation)."""
    return is_id_number(value)


class FileProblem(ValueError):
    """The whole file cannot be read (not a sheet, unknown encoding, no header)."""


# ---------------------------------------------------------------- reading, streamed

def _cell(value: Any) -> str:
    if type(value) is str:  # most cells: checked first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number Excel stored as a number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as UTF-8, else GB18030 (a
    superset of the GBK that Excel on Chinese Windows writes)."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise FileProblem(
            "文件编码无法识别，请在 Excel 中另存为“CSV UTF-8”或 xlsx 格式。") from None


def iter_table(path: Path) -> Iterator[list[str]]:
    """The file's rows as lists of text, one at a time, whatever Excel saved it as."""
    if path.suffix == ".xlsx":
        try:
            from python_calamine import CalamineWorkbook

            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        except Exception:  # calamine raises several kinds on a damaged file
            raise FileProblem("文件无法打开，请确认是 Excel（xlsx）或 CSV 文件。") from None
        for row in sheet.iter_rows():
            yield [_cell(c) for c in row]
        return
    encoding = detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as f:
            for row in csv.reader(f):
                yield [c.strip() for c in row]
    except UnicodeDecodeError:
        raise FileProblem(
            "文件中有无法识别的字符，请在 Excel 中另存为“CSV UTF-8”或 xlsx 格式。") from None
    except csv.Error:
        raise FileProblem("CSV 文件格式不正确。") from None


# ---------------------------------------------------------------- checking

@dataclass
class Row:
    number: int  # the line people see in Excel (the header is line 1)
    values: dict
    problems: list[str] = field(default_factory=list)


@dataclass
class Lookups:
    """What rows are checked against, loaded once per check."""

    villages: dict[str, uuid.UUID]
    village_names: dict[uuid.UUID, str]
    grids: dict[tuple[uuid.UUID, str], uuid.UUID]
    cadres_by_username: dict[str, uuid.UUID]
    cadres_by_name_tail: dict[tuple[str, str], uuid.UUID]
    cadres_by_name: dict[str, list[uuid.UUID]]
    by_number: dict[str, uuid.UUID]
    by_head: dict[tuple[str, str], uuid.UUID]  # (head's name, ID tail)
    limits: dict[str, int]


def load_lookups(township) -> Lookups:
    from app.accounts.models import RoleGrant, User

    tid = township.id
    villages = list(db.session.execute(select(Village.id, Village.name).where(
        Village.township_id == tid, Village.retired_at.is_(None))))
    grids = {(vid, name): gid for gid, vid, name in db.session.execute(
        select(Grid.id, Grid.village_id, Grid.name).where(Grid.township_id == tid,
                                                          Grid.retired_at.is_(None)))}
    users = db.session.execute(select(User.id, User.username, User.name, User.phone).where(
        User.id.in_(select(RoleGrant.user_id).where(RoleGrant.township_id == tid)))).all()
    by_name: dict[str, list[uuid.UUID]] = {}
    for u in users:
        by_name.setdefault(u.name, []).append(u.id)
    by_number, by_head = {}, {}
    heads = select(Resident.household_id, Resident.id_tail).where(
        Resident.township_id == tid, Resident.relation == "户主").subquery()
    for hid, number, head, tail in db.session.execute(
            select(Household.id, Household.household_number, Household.head_name, heads.c.id_tail)
            .outerjoin(heads, heads.c.household_id == Household.id)
            .where(Household.township_id == tid, Household.active.is_(True))
            .execution_options(yield_per=20000)):
        if number:
            by_number[number] = hid
        if tail:
            by_head[(head, tail)] = hid
    return Lookups(
        villages={name: vid for vid, name in villages},
        village_names={vid: name for vid, name in villages},
        grids=grids,
        cadres_by_username={u.username: u.id for u in users},
        cadres_by_name_tail={(u.name, u.phone[-4:]): u.id for u in users if u.phone},
        cadres_by_name=by_name,
        by_number=by_number, by_head=by_head, limits=column_limits())


TAG_SPLIT = re.compile(r"[、,，;；\s]+")
MEMBER_SPLIT = re.compile(r"[;；]")


def _too_long(row: Row, key: str, value: str, limits: dict[str, int], label: str) -> None:
    limit = limits.get(key)
    if limit and len(value) > limit:
        row.problems.append(f"{label}超过{limit}个字（现有{len(value)}个字）")


def _find_cadre(value: str, lk: Lookups) -> uuid.UUID | None:
    value = value.strip()
    if value in lk.cadres_by_username:
        return lk.cadres_by_username[value]
    match = re.fullmatch(r"(.+?)[\s/（(]*(\d{4})[)）]?", value)
    if match and (match.group(1).strip(), match.group(2)) in lk.cadres_by_name_tail:
        return lk.cadres_by_name_tail[(match.group(1).strip(), match.group(2))]
    ids = lk.cadres_by_name.get(value, [])
    return ids[0] if len(ids) == 1 else None


def check_row(number: int, cells: list[str], index: dict[str, int], lk: Lookups,
              seen: dict[int, int]) -> Row:
    """One row, checked and normalised (the full ID number replaced by its last four digits)."""
    width = len(cells)
    values = {key: (cells[i] if i < width else "") for key, i in index.items()}
    row = Row(number, values)
    limits = lk.limits
    village_id = lk.villages.get(values["village"])
    if not values["village"]:
        row.problems.append("村（社区）没有填写")
    elif village_id is None:
        row.problems.append(f"没有叫“{values['village'][:60]}”的村（社区）")
    if not values["head"]:
        row.problems.append("户主姓名没有填写")
    if len(values["head"]) > limits["head"]:
        _too_long(row, "head", values["head"], limits, "户主姓名")
    if len(values["address"]) > limits["address"]:
        _too_long(row, "address", values["address"], limits, "地址")
    phone = values["phone"]
    if phone:
        if phone.endswith(".0"):  # Excel turned the number into a float
            phone = phone[:-2]
        # A plain mobile stays on the fast path (hundreds of thousands of rows); anything else,
        # spaced, dashed or a landline with its area code, goes to app.validation.
        if not MOBILE.match(phone):
            if phone_error(phone):
                row.problems.append(f"手机号“{phone[:20]}”不是11位手机号或带区号的座机号")
            else:
                phone = normalize_phone(phone)
        values["phone"] = phone
    id_number = values.pop("id_number", "")
    if id_number:
        id_number = id_number.replace(" ", "").upper()
        if not id_number_valid(id_number):
            row.problems.append("身份证号不正确（位数或校验码不对）")
    # Only the last four digits of an ID number are ever kept, from here on.
    values["id_tail"] = id_number[-4:] if id_number else ""
    number_ = values.get("household_number", "")
    if number_:
        _too_long(row, "household_number", number_, limits, "户号")
    grid_name = values.get("grid", "")
    values["grid_id"] = None
    if grid_name:
        _too_long(row, "grid", grid_name, limits, "网格")
        if village_id is not None:
            values["grid_id"] = lk.grids.get((village_id, grid_name))
            if values["grid_id"] is None:
                row.problems.append(f"{values['village']}没有“{grid_name[:60]}”网格")
    tags = values.get("tags", "")
    tags = [t for t in TAG_SPLIT.split(tags) if t] if tags else []
    unknown = [t for t in tags if t not in KNOWN_TAGS]
    if unknown:
        row.problems.append(f"不认识的标签：{'、'.join(t[:20] for t in unknown)}")
    values["tags"] = tags
    members = []
    raw_members = values.get("members", "")
    for member in (MEMBER_SPLIT.split(raw_members) if raw_members else ()):
        if member.strip():
            name, _, relation = member.strip().partition("/")
            name, relation = name.strip(), relation.strip()
            if len(name) > limits.get("member_name", 10**6):
                row.problems.append(f"家庭成员姓名超过{limits['member_name']}个字")
            if len(relation) > limits.get("member_relation", 10**6):
                row.problems.append(f"家庭成员关系超过{limits['member_relation']}个字")
            members.append([name, relation])
    values["members"] = members
    values["contact_cadre_id"] = None
    if values.get("cadre"):
        values["contact_cadre_id"] = _find_cadre(values["cadre"], lk)
        if values["contact_cadre_id"] is None:
            row.problems.append(f"找不到联户干部“{values['cadre'][:40]}”"
                                "（请填用户名，或姓名加手机后四位）")
    values["village_id"] = village_id
    key = hash((values["village"], values["head"], values["address"]))
    if values["head"] and key in seen:
        row.problems.append(f"与第{seen[key]}行重复")
    seen.setdefault(key, number)
    return row


def _match(values: dict, lk: Lookups) -> uuid.UUID | None:
    if values.get("household_number"):
        return lk.by_number.get(values["household_number"])
    if values.get("id_tail"):
        return lk.by_head.get((values["head"], values["id_tail"]))
    return None


def _proposed(values: dict) -> dict[str, Any]:
    return {"village_id": values["village_id"], "grid_id": values["grid_id"],
            "head_name": values["head"], "address": values["address"],
            "phone": values["phone"] or None, "tags": values["tags"],
            "contact_cadre_id": values["contact_cadre_id"],
            "household_number": values.get("household_number") or None}


def _diff(existing: dict[str, Any], proposed: dict[str, Any], has: set[str]) -> dict[str, list]:
    """{field: [before, after]} for the fields the sheet sets and that differ. A column the sheet
    does not have (or leaves empty, for the optional links) changes nothing."""
    out = {}
    for key, new in proposed.items():
        if key not in has:
            continue
        old = existing.get(key)
        if key in ("grid_id", "contact_cadre_id", "household_number") and new in (None, ""):
            continue
        if key == "tags" and sorted(old or []) == sorted(new or []):
            continue
        if old != new:
            out[key] = [old, new]
    return out


def _sheet_fields(index: dict[str, int]) -> set[str]:
    has = {"village_id", "head_name", "address", "phone"}
    for key, fieldname in (("grid", "grid_id"), ("tags", "tags"), ("cadre", "contact_cadre_id"),
                           ("household_number", "household_number")):
        if key in index:
            has.add(fieldname)
    return has


def _json_default(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(type(value).__name__)


class Progress:
    """The batch's progress bar, written where the page can see it at once: through a separate
    short transaction on PostgreSQL (the import's own transaction stays open until the end), in
    the session elsewhere (SQLite: one writer; tests run the job synchronously anyway)."""

    def __init__(self, batch: ImportBatch, own_transaction: bool) -> None:
        self.batch, self.own = batch, own_transaction
        self.separate = db.engine.dialect.name == "postgresql"
        self.last = -1

    def __call__(self, percent: int, note: str = "") -> None:
        percent = max(0, min(99, int(percent)))
        if percent == self.last:
            return
        self.last = percent
        if self.own:
            self.batch.progress, self.batch.progress_note = percent, note[:120]
            db.session.commit()
        elif self.separate:
            with db.engine.begin() as conn:
                conn.execute(text("select set_config('app.township', :t, true)"),
                             {"t": str(self.batch.township_id)})
                conn.execute(update(ImportBatch.__table__).where(
                    ImportBatch.__table__.c.township_id == self.batch.township_id,
                    ImportBatch.__table__.c.id == self.batch.id).values(
                    progress=percent, progress_note=note[:120]))


def folder(township_id) -> Path:
    path = Path(current_app.config["VAR_DIR"]) / "imports" / str(township_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(batch: ImportBatch) -> Path:
    return folder(batch.township_id) / f"{batch.id}{batch.suffix}"


def rows_path(batch: ImportBatch) -> Path:
    """The normalised rows waiting for confirmation (no full ID numbers)."""
    return folder(batch.township_id) / f"{batch.id}.rows.jsonl"


def copy_path(batch: ImportBatch, table: str) -> Path:
    """New rows of `table` in PostgreSQL's COPY text format, written by the check (PostgreSQL)."""
    return folder(batch.township_id) / f"{batch.id}.{table}.copy"


def forget_files(batch: ImportBatch) -> None:
    upload_path(batch).unlink(missing_ok=True)
    rows_path(batch).unlink(missing_ok=True)
    for table in COPY_COLUMNS:
        copy_path(batch, table).unlink(missing_ok=True)


# The columns of the COPY files, after created_at (prefixed at import time, so a row is created
# when it is imported, not when it was checked).
COPY_COLUMNS = {
    "households": ("township_id", "id", "active", "status", "notes", "village_id", "grid_id",
                   "head_name", "address", "phone", "phone_tail", "tags", "contact_cadre_id",
                   "household_number"),
    "residents": ("township_id", "id", "status", "name", "household_id", "village_id",
                  "relation", "phone", "phone_tail", "id_tail"),
}
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str | None) -> str:
    return "\\N" if value is None else value.translate(_COPY_ESCAPES)


def _id_text(value) -> str:
    return "\\N" if value is None else str(value)


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _new_ids(chunk: int = 4096) -> Iterator[str]:
    """Random (version 4) UUIDs as text, endlessly: the same ids as str(uuid.uuid4()), from one
    read of the system's randomness per `chunk` ids (a county's sheet needs a million of them, and
    uuid4 reads os.urandom and builds an object for each)."""
    variant = _VARIANT
    while True:
        h = os.urandom(16 * chunk).hex()
        for i in range(0, 32 * chunk, 32):
            yield (f"{h[i:i + 8]}-{h[i + 8:i + 12]}-4{h[i + 13:i + 16]}-"
                   f"{variant[h[i + 16]]}{h[i + 17:i + 20]}-{h[i + 20:i + 32]}")


class _IdTexts(dict):
    """The COPY text of the few ids rows link to (villages, grids, cadres; None is \\N), made
    once each rather than for every row."""

    def __missing__(self, key) -> str:
        self[key] = text = _id_text(key)
        return text


def _household_line(tid: str, p: dict, ids: Iterator[str], texts: _IdTexts) -> str:
    """One new household as a COPY line (COPY_COLUMNS["households"]); its id stays in `p`.
    Written out field by field: this runs once per row of a county's sheet."""
    p["_id"] = hid = next(ids)
    phone = p["phone"]
    tags = json.dumps(p["tags"], ensure_ascii=False).translate(_COPY_ESCAPES) \
        if p["tags"] else "[]"
    return (f"{tid}\t{hid}\tt\tactive\t\t{texts[p['village_id']]}\t{texts[p['grid_id']]}\t"
            f"{_text(p['head_name'])}\t{_text(p['address'])}\t{_text(phone)}\t"
            f"{phone[-4:] if phone else chr(92) + 'N'}\t{tags}\t"
            f"{texts[p['contact_cadre_id']]}\t{_text(p['household_number'])}\n")


def _resident_lines(tid: str, p: dict, v: dict, ids: Iterator[str], texts: _IdTexts) -> str:
    """The head and the members of a new household as COPY lines (COPY_COLUMNS["residents"])."""
    hid, village = p["_id"], texts[p["village_id"]]
    phone = p["phone"]
    lines = [f"{tid}\t{next(ids)}\tactive\t{_text(p['head_name'])}\t{hid}\t{village}\t"
             f"户主\t{_text(phone)}\t{phone[-4:] if phone else chr(92) + 'N'}\t"
             f"{_text(v['id_tail'] or None)}\n"]
    for name, relation in v["members"]:
        lines.append(f"{tid}\t{next(ids)}\tactive\t{_text(name)}\t{hid}\t{village}\t"
                     f"{_text(relation or None)}\t\\N\t\\N\t\\N\n")
    return "".join(lines)


def _count_lines(path: Path) -> int | None:
    """Rows to expect, for the progress bar (CSV only: counting an XLSX costs a second read)."""
    if path.suffix != ".csv":
        return None
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def check_file(township, batch: ImportBatch, path: Path, progress=None) -> None:
    """Check every row of `path` into `batch` (counts, bad rows, changes, missing) and write the
    normalised rows beside it when every row is good. Nothing is written to the registry."""
    # The app's own objects (models, metadata, templates: hundreds of thousands) are moved out of
    # the collector's sight for the check: a sheet's rows make garbage collections run thousands
    # of times, and each full one walked all of them again.
    gc.freeze()
    try:
        _check_file(township, batch, path, progress)
    finally:
        gc.unfreeze()


def _check_file(township, batch: ImportBatch, path: Path, progress=None) -> None:
    lk = load_lookups(township)
    expected = _count_lines(path)
    table = iter_table(path)
    header = None
    for cells in table:
        if any(cells):
            header = [ALIASES.get(h, h) for h in cells]
            break
    if header is None:
        raise FileProblem("文件是空的。")
    missing_columns = [name for name in REQUIRED if name not in header]
    if missing_columns:
        raise FileProblem(f"缺少列：{'、'.join(missing_columns)}（第1行应为表头）。")
    columns = {**REQUIRED, **OPTIONAL}
    index = {columns[h]: i for i, h in enumerate(header) if h in columns}
    has = _sheet_fields(index)
    counts = {"new": 0, "changed": 0, "unchanged": 0, "missing": 0, "bad": 0}
    bad_rows, changes, seen, matched = [], [], {}, {}
    out_path = rows_path(batch)
    total = 0
    use_copy = db.engine.dialect.name == "postgresql"
    tid_text = str(township.id)
    new_ids, id_texts = _new_ids(), _IdTexts()
    with open(out_path, "w", encoding="utf-8") as out, \
            open(copy_path(batch, "households"), "w", encoding="utf-8") as h_out, \
            open(copy_path(batch, "residents"), "w", encoding="utf-8") as r_out:
        pending: list[tuple[Row, uuid.UUID | None]] = []

        def flush():
            ids = [hid for _, hid in pending if hid]
            existing = {}
            if ids:
                for row in db.session.execute(
                        select(Household.id, *[getattr(Household, k) for k in COMPARED]).where(
                            Household.township_id == township.id, Household.id.in_(ids))):
                    existing[row[0]] = dict(zip(COMPARED, row[1:], strict=True))
            for row, hid in pending:
                if row.problems:
                    continue
                proposed = _proposed(row.values)
                if hid is None:
                    action, diff = "new", {}
                else:
                    diff = _diff(existing.get(hid, {}), proposed, has)
                    action = "changed" if diff else "unchanged"
                counts[action] += 1
                if action == "changed" and len(changes) < KEEP_CHANGES:
                    changes.append({"line": row.number, "household_id": str(hid),
                                    "head": row.values["head"],
                                    "changes": _describe(diff, lk)})
                if bad_rows or action == "unchanged":
                    continue  # once a row is bad nothing will be imported: stop writing
                v = row.values
                if use_copy and action == "new":
                    h_out.write(_household_line(tid_text, proposed, new_ids, id_texts))
                    r_out.write(_resident_lines(tid_text, proposed, v, new_ids, id_texts))
                else:
                    out.write(json.dumps({
                        "line": row.number, "action": action, "id": hid, "diff": diff,
                        "set": proposed, "id_tail": v["id_tail"], "members": v["members"]},
                        ensure_ascii=False, default=_json_default) + "\n")
            pending.clear()

        for number, cells in enumerate(table, start=2):
            if not any(cells):
                continue
            total += 1
            row = check_row(number, cells, index, lk, seen)
            hid = None if row.problems else _match(row.values, lk)
            if hid is not None:
                if hid in matched:
                    row.problems.append(f"与第{matched[hid]}行是同一户")
                    hid = None
                else:
                    matched[hid] = number
            if row.problems:
                counts["bad"] += 1
                bad_rows.append([number, row.values.get("head", "")[:40], "；".join(row.problems)])
            pending.append((row, hid))
            if len(pending) >= BATCH:
                flush()
                if progress:
                    progress(90 * total / expected if expected else min(90, total / 4000),
                             f"已检查 {total} 行")
        flush()
    if total == 0:
        raise FileProblem("文件只有表头，没有农户。")
    # The registry's households the sheet does not mention (only counted and shown, never retired
    # on the sheet's word).
    missing = []
    for hid, head, vid in db.session.execute(
            select(Household.id, Household.head_name, Household.village_id).where(
                Household.township_id == township.id, Household.active.is_(True))
            .execution_options(yield_per=20000)):
        if hid not in matched:
            counts["missing"] += 1
            if len(missing) < KEEP_MISSING:
                missing.append([str(hid), head, lk.village_names.get(vid, "")])
    batch.total_rows = total
    batch.counts = counts
    batch.bad_rows = bad_rows
    batch.changes = changes
    batch.missing = missing
    batch.checked_at = utcnow()
    batch.state = ImportState.REFUSED if bad_rows else ImportState.CHECKED
    if bad_rows:
        forget_files(batch)


FIELD_LABELS = {"village_id": "村（社区）", "grid_id": "网格", "head_name": "户主",
                "address": "地址",
                "phone": "手机号", "tags": "标签", "contact_cadre_id": "联户干部",
                "household_number": "户号"}


def _describe(diff: dict[str, list], lk: Lookups) -> list[list[str]]:
    """[[field label, before, after]] for people to read."""
    from app.accounts.models import User

    def show(key, value):
        if value is None or value == "":
            return "—"
        if key == "village_id":
            return lk.village_names.get(value, "")
        if key == "grid_id":
            return next((name for (vid, name), gid in lk.grids.items() if gid == value), "")
        if key == "contact_cadre_id":
            user = db.session.get(User, value)
            return user.name if user else ""
        if key == "tags":
            return "、".join(value) or "—"
        return str(value)

    return [[FIELD_LABELS[k], show(k, a), show(k, b)] for k, (a, b) in diff.items()]


def check_batch(township, batch_id: str) -> None:
    """Job: check an uploaded sheet (see the module's docstring). Safe to run twice."""
    batch = db.session.scalar(select(ImportBatch).where(
        ImportBatch.township_id == township.id, ImportBatch.id == uuid.UUID(batch_id)))
    if batch is None or batch.state != ImportState.CHECKING:
        return
    path = upload_path(batch)
    try:
        if not path.exists():
            raise FileProblem("上传的文件已不在，请重新上传。")
        check_file(township, batch, path, Progress(batch, own_transaction=True))
    except FileProblem as exc:
        batch.state, batch.file_problems = ImportState.REFUSED, [str(exc)]
        forget_files(batch)
    finally:
        # The uploaded file carries full ID numbers: it goes as soon as it has been read.
        path.unlink(missing_ok=True)
    batch.progress, batch.progress_note = 100, ""
    record(township.id, batch.created_by_id, "household.import_check", batch,
           summary=f"检查导入文件：{batch.total_rows} 行，{batch.counts.get('bad', 0)} 行有问题")


# ---------------------------------------------------------------- importing

def _iter_rows(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


JSON_COLUMNS = {"tags", "before", "after"}


def bulk_insert(table, rows: list[dict]) -> None:
    """Insert many rows of one shape: COPY on PostgreSQL (in the session's transaction, so it
    commits or rolls back with everything else), Core executemany elsewhere. Never ORM objects."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    json_at = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        staging = _staging(cursor, table.name)
        with cursor.copy(f'COPY "{staging}" ({names}) FROM STDIN') as copy:
            for row in rows:
                values = [row[c] for c in columns]
                for i in json_at:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i], ensure_ascii=False)
                copy.write_row(values)
        _move(cursor, staging, table.name, names)


def _staging(cursor, table_name: str) -> str:
    """A temporary table shaped like `table_name` to COPY into. PostgreSQL refuses COPY FROM into a
    table under row-level security (the app's role always is), so rows go there first and then
    over with one INSERT … SELECT, which the policy checks row by row."""
    staging = f"import_{table_name}"
    cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" '
                   f'(LIKE "{table_name}" INCLUDING DEFAULTS) ON COMMIT DROP')
    cursor.execute(f'TRUNCATE "{staging}"')
    return staging


def _move(cursor, staging: str, table_name: str, names: str) -> None:
    cursor.execute(f'INSERT INTO "{table_name}" ({names}) SELECT {names} FROM "{staging}"')
    cursor.execute(f'TRUNCATE "{staging}"')


def copy_file(table, path: Path, created_at, done: dict, progress, expected: int) -> int:
    """COPY a file the check wrote straight into `table`, created_at put in front of each line."""
    columns = ", ".join(f'"{c}"' for c in ("created_at", *COPY_COLUMNS[table.name]))
    raw = db.session.connection().connection.driver_connection
    prefix = created_at.isoformat() + "\t"
    lines = 0
    with open(path, encoding="utf-8") as f, raw.cursor() as cursor:
        staging = _staging(cursor, table.name)
        with cursor.copy(f'COPY "{staging}" ({columns}) FROM STDIN') as copy:
            chunk: list[str] = []
            for line in f:
                chunk.append(prefix + line)
                if len(chunk) >= BATCH * 4:
                    copy.write("".join(chunk))
                    lines += len(chunk)
                    chunk.clear()
                    if progress and table.name == "households":
                        progress(100 * lines / expected, f"已写入 {lines} 户")
            copy.write("".join(chunk))
            lines += len(chunk)
        _move(cursor, staging, table.name, columns)
    if table.name == "households":
        done["new"] += lines
        return lines
    return 0


def import_file(township, batch: ImportBatch, actor_id, progress=None) -> dict[str, int]:
    """Write the checked rows of `batch` in bulk (the caller commits, or rolls everything back)."""
    from app.counties import summary as county_summary

    # COPY bypasses the session: the county's counts of this township are counted again at commit.
    county_summary.mark_rebuild(db.session(), township.id)
    h_table, r_table, a_table = Household.__table__, Resident.__table__, AuditEvent.__table__
    tid, now = township.id, utcnow()
    expected = max(1, sum((batch.counts or {}).get(k, 0) for k in ("new", "changed",
                                                                   "unchanged")))
    done = {"new": 0, "changed": 0}
    households, residents, updates, events = [], [], [], []
    update_stmt = update(h_table).where(
        h_table.c.township_id == bindparam("b_township"), h_table.c.id == bindparam("b_id"))

    def flush():
        bulk_insert(h_table, households)
        bulk_insert(r_table, residents)
        if updates:
            # One statement per set of changed fields, each run as executemany.
            groups: dict[tuple, list] = {}
            for u in updates:
                groups.setdefault(tuple(sorted(k for k in u if not k.startswith("b_"))),
                                  []).append(u)
            for keys, params in groups.items():
                db.session.execute(update_stmt.values({k: bindparam(k) for k in keys}), params)
        bulk_insert(a_table, events)
        households.clear(), residents.clear(), updates.clear(), events.clear()

    copied = 0
    for table in (h_table, r_table):
        path = copy_path(batch, table.name)
        if path.exists() and path.stat().st_size:
            copied += copy_file(table, path, now, done, progress, expected)
    for seen, row in enumerate(_iter_rows(rows_path(batch)), start=copied + 1):
        values = row["set"]
        for key in ("village_id", "grid_id", "contact_cadre_id"):
            values[key] = _uuid(values.get(key))
        if row["action"] == "new":
            hid = uuid.uuid4()
            phone = values["phone"]
            households.append({
                "township_id": tid, "id": hid, "created_at": now, "active": True,
                "status": "active", "notes": "", **values,
                "phone_tail": phone[-4:] if phone else None})
            residents.append({
                "township_id": tid, "id": uuid.uuid4(), "created_at": now, "status": "active",
                "name": values["head_name"], "household_id": hid,
                "village_id": values["village_id"], "relation": "户主", "phone": phone,
                "phone_tail": phone[-4:] if phone else None, "id_tail": row["id_tail"] or None})
            for name, relation in row["members"]:
                residents.append({
                    "township_id": tid, "id": uuid.uuid4(), "created_at": now,
                    "status": "active", "name": name, "household_id": hid,
                    "village_id": values["village_id"], "relation": relation or None,
                    "phone": None, "phone_tail": None, "id_tail": None})
            done["new"] += 1
        elif row["action"] == "changed":
            hid = uuid.UUID(row["id"])
            changed = {k: (_uuid(b) if k in ("village_id", "grid_id", "contact_cadre_id")
                           else b) for k, (_a, b) in row["diff"].items()}
            if "phone" in changed:
                changed["phone_tail"] = changed["phone"][-4:] if changed["phone"] else None
            updates.append({"b_township": tid, "b_id": hid, **changed})
            before = {k: a for k, (a, _b) in row["diff"].items()}
            after = {k: b for k, (_a, b) in row["diff"].items()}
            events.append({
                "township_id": tid, "id": uuid.uuid4(), "at": now, "actor_id": actor_id,
                "actor_kind": "user" if actor_id else "system", "action": "household.import_update",
                "target_type": "households", "target_id": str(hid),
                "summary": f"导入更新（第{row['line']}行）", "before": _redact(before),
                "after": _redact(after)})
            done["changed"] += 1
        if len(households) + len(updates) >= BATCH:
            flush()
            if progress:
                progress(100 * seen / expected, f"已写入 {seen} 行")
    flush()
    return done


def import_batch(township, batch_id: str) -> None:
    """Job: import a confirmed batch, all or nothing. The batch's state moves to done in the same
    transaction as the rows, so a second run finds it done and imports nothing."""
    batch = db.session.scalar(select(ImportBatch).where(
        ImportBatch.township_id == township.id, ImportBatch.id == uuid.UUID(batch_id)))
    if batch is None or batch.state != ImportState.IMPORTING:
        return
    if not rows_path(batch).exists():
        batch.state, batch.error = ImportState.FAILED, "待导入的数据已不在，请重新上传。"
        return
    actor = batch.confirmed_by_id or batch.created_by_id
    done = import_file(township, batch, actor, Progress(batch, own_transaction=False))
    batch.counts = {**batch.counts, "imported": done["new"], "updated": done["changed"]}
    batch.state, batch.progress, batch.progress_note = ImportState.DONE, 100, ""
    batch.finished_at = utcnow()
    record(township.id, actor, "household.import", batch,
           summary=f"导入农户：新增 {done['new']} 户，更新 {done['changed']} 户")
    db.session.commit()
    forget_files(batch)


def start(township, actor, filename: str, data_or_stream) -> ImportBatch:
    """Save an upload and queue its check (the caller commits)."""
    from app import jobs

    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    batch = ImportBatch(id=uuid.uuid4(), township_id=township.id, created_by_id=actor.id,
                        filename=filename[-200:], suffix=suffix)
    path = upload_path(batch)
    if isinstance(data_or_stream, bytes):
        path.write_bytes(data_or_stream)
    else:
        with open(path, "wb") as f:
            while chunk := data_or_stream.read(1 << 20):
                f.write(chunk)
    db.session.add(batch)
    jobs.enqueue("app.households.importer.check_batch", township.id, batch.id)
    return batch


def confirm(township, actor, batch: ImportBatch) -> bool:
    """Move a checked batch to importing and queue its import; False when it is not waiting for
    confirmation (already confirmed, imported, refused). The caller commits."""
    from app import jobs

    claimed = db.session.execute(
        update(ImportBatch).where(ImportBatch.township_id == township.id,
                                  ImportBatch.id == batch.id,
                                  ImportBatch.state == ImportState.CHECKED)
        .values(state=ImportState.IMPORTING, confirmed_by_id=actor.id, progress=0),
        execution_options={"synchronize_session": False}).rowcount
    if not claimed:
        return False
    db.session.expire(batch)
    jobs.enqueue("app.households.importer.import_batch", township.id, batch.id)
    return True


def cancel(township, actor, batch: ImportBatch) -> bool:
    if batch.state != ImportState.CHECKED:
        return False
    batch.state = ImportState.CANCELLED
    forget_files(batch)
    record(township.id, actor, "household.import_cancel", batch, summary="取消导入")
    return True
