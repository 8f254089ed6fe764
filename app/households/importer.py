"""Importing households from the CSV and XLSX files township staff really produce.

Files saved from Excel on Chinese Windows come as XLSX, as CSV in GB18030/GBK, or as UTF-8 with a
byte-order mark. Every row is checked first and every problem is listed in Chinese with its row
number; only a file without problems goes in, and it goes in whole, in one transaction.

Columns (the first row, in any order): 村（社区）, 户主姓名, 地址, 手机号; optional 网格, 身份证号,
标签 (separated by 、 or commas), 家庭成员 (姓名/关系, separated by ；).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.households.models import Grid, Household, HouseholdTag, Resident, Village
from app.validation import is_id_number, normalize_phone, phone_error

REQUIRED = {"村（社区）": "village", "户主姓名": "head", "地址": "address", "手机号": "phone"}
OPTIONAL = {"网格": "grid", "身份证号": "id_number", "标签": "tags", "家庭成员": "members"}
ALIASES = {"村": "村（社区）", "社区": "村（社区）", "村(社区)": "村（社区）", "户主": "户主姓名",
           "电话": "手机号", "手机": "手机号", "联系电话": "手机号", "身份证": "身份证号"}
KNOWN_TAGS = {t.value for t in HouseholdTag}


def id_number_valid(value: str) -> bool:
    """GB 11643: length, check character, birth date and region (app.validation)."""
    return is_id_number(value)


@dataclass
class Row:
    number: int  # the row number people see in Excel (the header is row 1)
    values: dict
    problems: list[str] = field(default_factory=list)


@dataclass
class Preview:
    rows: list[Row]
    problems: list[str]  # problems of the whole file (missing columns, unreadable)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(r.problems for r in self.rows)

    @property
    def bad_rows(self) -> list[Row]:
        return [r for r in self.rows if r.problems]


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The file's cells as text, whatever Excel saved it as."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        return [["" if c is None else str(c).strip() for c in row]
                for row in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("文件编码无法识别，请在 Excel 中另存为“CSV UTF-8”或 xlsx 格式。")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def preview(township, filename: str, data: bytes) -> Preview:
    """Check every row; nothing is written."""
    try:
        table = read_table(filename, data)
    except (ValueError, OSError, KeyError) as exc:
        return Preview([], [str(exc) if isinstance(exc, ValueError) else "文件无法打开。"])
    except Exception:  # openpyxl raises several kinds on a damaged file
        return Preview([], ["文件无法打开，请确认是 Excel（xlsx）或 CSV 文件。"])
    table = [r for r in table if any(r)]
    if not table:
        return Preview([], ["文件是空的。"])
    header = [ALIASES.get(h, h) for h in table[0]]
    columns = {**REQUIRED, **OPTIONAL}
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return Preview([], [f"缺少列：{'、'.join(missing)}（第1行应为表头）。"])
    index = {columns[h]: i for i, h in enumerate(header) if h in columns}
    villages = {v.name: v for v in db.session.scalars(
        select(Village).where(Village.township_id == township.id))}
    grids = {(g.village_id, g.name) for g in db.session.scalars(
        select(Grid).where(Grid.township_id == township.id))}
    rows, seen = [], {}
    for number, cells in enumerate(table[1:], start=2):
        values = {key: (cells[i] if i < len(cells) else "") for key, i in index.items()}
        row = Row(number, values)
        village = villages.get(values["village"])
        if not values["village"]:
            row.problems.append("村（社区）没有填写")
        elif village is None:
            row.problems.append(f"没有叫“{values['village']}”的村（社区）")
        if not values["head"]:
            row.problems.append("户主姓名没有填写")
        phone = values["phone"].replace(" ", "").replace("-", "")
        if phone.endswith(".0"):  # Excel turned the number into a float
            phone = phone[:-2]
        values["phone"] = phone
        if phone and phone_error(phone):
            row.problems.append(f"手机号“{values['phone']}”不是11位手机号或带区号的座机号")
        values["phone"] = normalize_phone(phone) if phone and not phone_error(phone) else phone
        id_number = values.get("id_number", "").replace(" ", "").upper()
        values["id_number"] = id_number
        if id_number and not id_number_valid(id_number):
            row.problems.append("身份证号不正确（位数或校验码不对）")
        if values.get("grid") and village is not None and \
                (village.id, values["grid"]) not in grids:
            row.problems.append(f"{village.name}没有“{values['grid']}”网格")
        tags = [t for t in re.split(r"[、,，;；\s]+", values.get("tags", "")) if t]
        unknown = [t for t in tags if t not in KNOWN_TAGS]
        if unknown:
            row.problems.append(f"不认识的标签：{'、'.join(unknown)}")
        values["tags"] = tags
        key = (values["village"], values["head"], values["address"])
        if key in seen:
            row.problems.append(f"与第{seen[key]}行重复")
        seen.setdefault(key, number)
        rows.append(row)
    return Preview(rows, [])


def import_rows(township, result: Preview) -> int:
    """Write a checked file: every household and its members, or nothing (the caller commits)."""
    if not result.ok:
        raise ValueError("文件还有问题，不能导入。")
    villages = {v.name: v for v in db.session.scalars(
        select(Village).where(Village.township_id == township.id))}
    grids = {(g.village_id, g.name): g.id for g in db.session.scalars(
        select(Grid).where(Grid.township_id == township.id))}
    households, residents = [], []
    for row in result.rows:
        v = row.values
        village = villages[v["village"]]
        household = Household(
            township_id=township.id, village_id=village.id,
            grid_id=grids.get((village.id, v.get("grid", ""))), head_name=v["head"],
            address=v["address"], phone=v["phone"] or None,
            phone_tail=v["phone"][-4:] if v["phone"] else None, tags=v["tags"])
        households.append(household)
        residents.append(Resident(
            township_id=township.id, name=v["head"], household_id=household.id,
            village_id=village.id, relation="户主", phone=v["phone"] or None,
            phone_tail=v["phone"][-4:] if v["phone"] else None,
            # Only the last four digits of an ID number are ever kept.
            id_tail=v["id_number"][-4:] if v.get("id_number") else None))
        for member in re.split(r"[;；]", v.get("members", "")):
            if member.strip():
                name, _, relation = member.strip().partition("/")
                residents.append(Resident(township_id=township.id, name=name.strip(),
                                          household_id=household.id, village_id=village.id,
                                          relation=relation.strip() or None))
    db.session.add_all(households)
    db.session.flush()
    db.session.add_all(residents)
    db.session.flush()
    return len(households)
