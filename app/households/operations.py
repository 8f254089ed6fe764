"""Keeping the registry right after onboarding: villages and grids added, renamed, merged and
retired; households and residents edited, moved, merged and marked gone. Nothing is deleted: a
retired village or a merged household stays with its history, and every change leaves an audit
event in the same transaction (the caller commits).

Merging moves every row that points at the merged one to the survivor. The rows are found from the
schema itself (every foreign key to `households`, `residents`, `villages` or `grids` in the
metadata), so a table another feature adds later follows a merge without a change here.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import and_, delete, exists, select, update

from app.audit.operations import changed, record, snapshot
from app.extensions import db
from app.households.models import (
    Grid,
    Household,
    HouseholdStatus,
    HouseholdTag,
    Resident,
    ResidentStatus,
    Village,
)
from app.models import utcnow


class RegistryError(ValueError):
    """A change that cannot be made, with a message for people."""


HOUSEHOLD_FIELDS = ("village_id", "grid_id", "head_name", "address", "phone", "tags",
                    "household_number", "notes", "active", "status", "status_on",
                    "contact_cadre_id", "party_member_id", "merged_into_id")
RESIDENT_FIELDS = ("name", "relation", "phone", "gender", "birth_year", "household_id",
                   "village_id", "status", "status_on")
VILLAGE_FIELDS = ("name", "is_community", "division_code", "sort_order", "retired_at",
                  "merged_into_id")
GRID_FIELDS = ("name", "village_id", "retired_at", "merged_into_id")


# ---------------------------------------------------------------- merging rows, from the schema

def references(table_name: str) -> list[tuple]:
    """(table, column) for every tenant foreign key to `table_name` (township_id, id)."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name != table_name:
                continue
            cols = [c for c in fk.columns if c.name != "township_id"]
            if len(cols) == 1 and "township_id" in table.c:
                found.append((table, cols[0]))
    return found


def _unique_sets(table, column) -> list[list]:
    """The other columns of each unique constraint or index that includes `column`."""
    sets = []
    for constraint in table.constraints:
        cols = list(getattr(constraint, "columns", []))
        if constraint.__class__.__name__ in ("UniqueConstraint", "PrimaryKeyConstraint") \
                and column in cols:
            sets.append([c for c in cols if c is not column])
    for index in table.indexes:
        if index.unique and column in list(index.columns):
            sets.append([c for c in index.columns if c is not column])
    return sets


def repoint(table_name: str, township_id: uuid.UUID, old_id: uuid.UUID,
            new_id: uuid.UUID) -> dict[str, int]:
    """Move every row that points at `old_id` to `new_id`. Where the survivor already has the
    same row (a unique link such as a map pin or a contact point), the merged one's duplicate is
    dropped; everything else moves. Returns {table: rows moved}."""
    moved = {}
    for table, column in references(table_name):
        if table.name == table_name and column.name == "merged_into_id":
            continue
        for others in _unique_sets(table, column):
            if any(c.name == "id" for c in others):
                continue  # the row's own primary key: never a clash
            survivor = table.alias("survivor")
            clash = exists().where(survivor.c[column.name] == new_id, *[
                survivor.c[c.name] == table.c[c.name] for c in others])
            db.session.execute(delete(table).where(
                table.c.township_id == township_id, table.c[column.name] == old_id, clash))
        result = db.session.execute(update(table).where(
            table.c.township_id == township_id, table.c[column.name] == old_id)
            .values({column.name: new_id}))
        if result.rowcount:
            moved[table.name] = result.rowcount
    return moved


# ---------------------------------------------------------------- villages and grids

def _village_name_free(township, name: str, but=None) -> None:
    other = db.session.scalar(select(Village).where(Village.township_id == township.id,
                                                    Village.name == name))
    if other is not None and other is not but:
        raise RegistryError(f"已有叫“{name}”的村（社区）。")


def add_village(township, actor, *, name: str, is_community: bool = False,
                division_code: str | None = None) -> Village:
    """A new village or community."""
    name = name.strip()
    if not name:
        raise RegistryError("请填写名称。")
    _village_name_free(township, name)
    village = Village(id=uuid.uuid4(), township_id=township.id, name=name,
                      is_community=is_community, division_code=division_code or None)
    db.session.add(village)
    db.session.flush()
    record(township.id, actor, "village.add", village,
           after=snapshot(village, VILLAGE_FIELDS), summary=f"新增村（社区）{name}")
    return village


def edit_village(township, actor, village: Village, *, name: str, is_community: bool,
                 division_code: str | None = None) -> None:
    """Rename it, or turn a village into a community (村改居) and back."""
    name = name.strip()
    if not name:
        raise RegistryError("请填写名称。")
    _village_name_free(township, name, but=village)
    before = snapshot(village, VILLAGE_FIELDS)
    village.name, village.is_community = name, is_community
    village.division_code = division_code or None
    b, a = changed(before, snapshot(village, VILLAGE_FIELDS))
    if a:
        record(township.id, actor, "village.edit", village, before=b, after=a,
               summary=f"修改村（社区）{name}")


def retire_village(township, actor, village: Village) -> None:
    """Gone from the pickers; its households, matters and visits keep it."""
    if village.retired_at is not None:
        return
    left = db.session.scalar(select(db.func.count()).select_from(Household).where(
        Household.township_id == township.id, Household.village_id == village.id,
        Household.active.is_(True)))
    if left:
        raise RegistryError(f"{village.name}还有 {left} 户在册，请先把它们迁到别的村，或合并村。")
    village.retired_at = utcnow()
    record(township.id, actor, "village.retire", village, summary=f"撤销村（社区）{village.name}")


def merge_villages(township, actor, merged: Village, survivor: Village, *,
                   becomes_community: bool | None = None) -> dict[str, int]:
    """`merged` joins `survivor`: its households, residents, matters, visits' households, grids
    and every other row that names it move over; it is retired, pointing at the survivor.
    `becomes_community` records a 村改居 at the same time."""
    if merged.id == survivor.id:
        raise RegistryError("不能与自己合并。")
    if merged.retired_at is not None or survivor.retired_at is not None:
        raise RegistryError("已撤销的村（社区）不能合并。")
    # Grids of the same name become one grid of the survivor.
    theirs = {g.name: g for g in db.session.scalars(select(Grid).where(
        Grid.township_id == township.id, Grid.village_id == survivor.id))}
    for grid in db.session.scalars(select(Grid).where(Grid.township_id == township.id,
                                                      Grid.village_id == merged.id)).all():
        if grid.name in theirs:
            merge_grids(township, actor, grid, theirs[grid.name])
            # Kept for its history under a name that cannot clash in the survivor.
            grid.name = f"{grid.name}（原{merged.name}）"[:60]
    db.session.flush()
    moved = repoint("villages", township.id, merged.id, survivor.id)
    before = snapshot(survivor, VILLAGE_FIELDS)
    if becomes_community is not None:
        survivor.is_community = becomes_community
    merged.retired_at, merged.merged_into_id = utcnow(), survivor.id
    record(township.id, actor, "village.merge", merged, before={"name": merged.name},
           after={"merged_into": survivor.name, "moved": moved},
           summary=f"{merged.name}并入{survivor.name}")
    b, a = changed(before, snapshot(survivor, VILLAGE_FIELDS))
    if a:
        record(township.id, actor, "village.edit", survivor, before=b, after=a,
               summary=f"{survivor.name}村改居" if a.get("is_community") else "")
    db.session.flush()
    db.session.expire_all()
    return moved


def add_grid(township, actor, village: Village, name: str) -> Grid:
    name = name.strip()
    if not name:
        raise RegistryError("请填写网格名称。")
    if db.session.scalar(select(Grid).where(Grid.township_id == township.id,
                                            Grid.village_id == village.id, Grid.name == name)):
        raise RegistryError(f"{village.name}已有“{name}”网格。")
    grid = Grid(id=uuid.uuid4(), township_id=township.id, village_id=village.id, name=name)
    db.session.add(grid)
    db.session.flush()
    record(township.id, actor, "grid.add", grid, after=snapshot(grid, GRID_FIELDS),
           summary=f"{village.name}新增网格{name}")
    return grid


def rename_grid(township, actor, grid: Grid, name: str) -> None:
    name = name.strip()
    if not name:
        raise RegistryError("请填写网格名称。")
    clash = db.session.scalar(select(Grid).where(Grid.township_id == township.id,
                                                 Grid.village_id == grid.village_id,
                                                 Grid.name == name))
    if clash is not None and clash is not grid:
        raise RegistryError(f"已有“{name}”网格。")
    before = snapshot(grid, GRID_FIELDS)
    grid.name = name
    b, a = changed(before, snapshot(grid, GRID_FIELDS))
    if a:
        record(township.id, actor, "grid.edit", grid, before=b, after=a,
               summary=f"网格改名为{name}")


def retire_grid(township, actor, grid: Grid) -> None:
    """Retired: its households keep their village and leave the grid."""
    if grid.retired_at is not None:
        return
    db.session.execute(update(Household).where(Household.township_id == township.id,
                                               Household.grid_id == grid.id)
                       .values(grid_id=None), execution_options={"synchronize_session": False})
    grid.retired_at = utcnow()
    record(township.id, actor, "grid.retire", grid, summary=f"撤销网格{grid.name}")


def merge_grids(township, actor, merged: Grid, survivor: Grid) -> dict[str, int]:
    """Every household (and any other row) of `merged` moves to `survivor`; `merged` retires."""
    if merged.id == survivor.id:
        raise RegistryError("不能与自己合并。")
    moved = repoint("grids", township.id, merged.id, survivor.id)
    if merged.village_id != survivor.village_id:
        db.session.execute(update(Household).where(Household.township_id == township.id,
                                                   Household.grid_id == survivor.id)
                           .values(village_id=survivor.village_id),
                           execution_options={"synchronize_session": False})
    merged.retired_at, merged.merged_into_id = utcnow(), survivor.id
    record(township.id, actor, "grid.merge", merged, before={"name": merged.name},
           after={"merged_into": survivor.name, "moved": moved},
           summary=f"网格{merged.name}并入{survivor.name}")
    return moved


def active_villages(township):
    return db.session.scalars(select(Village).where(
        Village.township_id == township.id, Village.retired_at.is_(None))
        .order_by(Village.sort_order, Village.name)).all()


def active_grids(township, village_id=None):
    q = select(Grid).where(Grid.township_id == township.id, Grid.retired_at.is_(None))
    if village_id is not None:
        q = q.where(Grid.village_id == village_id)
    return db.session.scalars(q.order_by(Grid.name)).all()


# ---------------------------------------------------------------- households and residents

def _head(household: Household) -> Resident | None:
    return db.session.scalar(select(Resident).where(
        Resident.township_id == household.township_id, Resident.household_id == household.id,
        Resident.relation == "户主", Resident.status == ResidentStatus.ACTIVE))


def _check_place(township, village_id, grid_id) -> None:
    village = db.session.get(Village, (township.id, village_id)) if village_id else None
    if village is None or village.retired_at is not None:
        raise RegistryError("请选择一个在用的村（社区）。")
    if grid_id is not None:
        grid = db.session.get(Grid, (township.id, grid_id))
        if grid is None or grid.retired_at is not None or grid.village_id != village_id:
            raise RegistryError("网格不属于所选的村（社区）。")


def edit_household(township, actor, household: Household, *, head_name: str, address: str,
                   phone: str | None, tags: list[str], household_number: str | None = None,
                   notes: str = "", village_id=None, grid_id=None) -> dict:
    """Edit the household's own facts (moving it is `village_id`/`grid_id`). Returns what
    changed, as the audit event keeps it."""
    unknown = [t for t in tags if t not in {x.value for x in HouseholdTag}]
    if unknown:
        raise RegistryError(f"不认识的标签：{'、'.join(unknown)}")
    village_id = village_id or household.village_id
    _check_place(township, village_id, grid_id)
    before = snapshot(household, HOUSEHOLD_FIELDS)
    household.head_name, household.address = head_name.strip(), address.strip()
    household.phone = phone or None
    household.phone_tail = phone[-4:] if phone else None
    household.tags = sorted(set(tags), key=tags.index)
    household.household_number = household_number or None
    household.notes = notes
    moved = village_id != household.village_id
    household.village_id, household.grid_id = village_id, grid_id
    if moved:  # the members live where the household lives
        db.session.execute(update(Resident).where(
            Resident.township_id == township.id, Resident.household_id == household.id)
            .values(village_id=village_id), execution_options={"synchronize_session": False})
    head = _head(household)
    if head is not None and head.name != household.head_name:
        head.name = household.head_name
    b, a = changed(before, snapshot(household, HOUSEHOLD_FIELDS))
    if a:
        action = "household.move" if ("village_id" in a or "grid_id" in a) and len(a) <= 2 \
            else "household.edit"
        record(township.id, actor, action, household, before=b, after=a,
               summary=f"修改{household.head_name}户")
    return a


def set_household_status(township, actor, household: Household, status: str, on: date,
                         note: str = "") -> None:
    """Moved away, died out (deceased) or dissolved: inactive, never deleted. Back to active too."""
    status = HouseholdStatus(status)
    if status == HouseholdStatus.MERGED:
        raise RegistryError("合并请用“合并重复户”。")
    before = snapshot(household, HOUSEHOLD_FIELDS)
    household.status, household.status_on = status, on
    household.active = status == HouseholdStatus.ACTIVE
    if status in (HouseholdStatus.MOVED_AWAY, HouseholdStatus.DECEASED):
        member_status = ResidentStatus.MOVED_AWAY if status == HouseholdStatus.MOVED_AWAY \
            else None
        if member_status:
            db.session.execute(update(Resident).where(
                Resident.township_id == township.id, Resident.household_id == household.id,
                Resident.status == ResidentStatus.ACTIVE)
                .values(status=member_status, status_on=on),
                execution_options={"synchronize_session": False})
    if status == HouseholdStatus.ACTIVE:
        household.status_on = None
    b, a = changed(before, snapshot(household, HOUSEHOLD_FIELDS))
    record(township.id, actor, "household.status", household, before=b, after=a,
           summary=f"{household.head_name}户：{status.label}" + (f"（{note}）" if note else ""))


def set_resident_status(township, actor, resident: Resident, status: str, on: date, *,
                        new_head: Resident | None = None) -> None:
    """A member moved away or died. A head who dies or leaves hands headship to `new_head`
    (a member of the same household); a household left with nobody is marked gone with them."""
    status = ResidentStatus(status)
    household = resident.household
    before = snapshot(resident, RESIDENT_FIELDS)
    resident.status, resident.status_on = status, (None if status == "active" else on)
    was_head = resident.relation == "户主"
    record(township.id, actor, "resident.status", resident, before=before,
           after=snapshot(resident, RESIDENT_FIELDS),
           summary=f"{resident.name}：{status.label}", target_type="residents")
    if household is None or status == ResidentStatus.ACTIVE or not was_head:
        return
    others = db.session.scalars(select(Resident).where(
        Resident.township_id == township.id, Resident.household_id == household.id,
        Resident.status == ResidentStatus.ACTIVE, Resident.id != resident.id)).all()
    if not others:
        set_household_status(township, actor, household,
                             HouseholdStatus.DECEASED if status == ResidentStatus.DECEASED
                             else HouseholdStatus.MOVED_AWAY, on)
        return
    if new_head is None or new_head.id not in {o.id for o in others}:
        raise RegistryError("户主不在了，请从家庭成员中选出新户主。")
    hand_headship(township, actor, household, new_head, old_head=resident)


def hand_headship(township, actor, household: Household, new_head: Resident,
                  old_head: Resident | None = None) -> None:
    """`new_head` becomes the head; the old head (if still listed) becomes a member."""
    if new_head.household_id != household.id:
        raise RegistryError("新户主必须是本户成员。")
    before = snapshot(household, HOUSEHOLD_FIELDS)
    old_head = old_head or _head(household)
    if old_head is not None and old_head.id != new_head.id:
        old_head.relation = "原户主"
    new_head.relation = "户主"
    household.head_name = new_head.name
    if new_head.phone:
        household.phone, household.phone_tail = new_head.phone, new_head.phone_tail
    b, a = changed(before, snapshot(household, HOUSEHOLD_FIELDS))
    record(township.id, actor, "household.head", household, before=b, after=a,
           summary=f"户主改为{new_head.name}")


def merge_households(township, actor, duplicate: Household, survivor: Household) -> dict:
    """`duplicate` is the same family as `survivor`: its members, matters, visits, cadre links,
    map pin, errands and every other row that names it move to the survivor; what the survivor
    lacks (phone, tags, contact cadre, party member) is taken from the duplicate; the duplicate
    stays, inactive, marked merged into the survivor."""
    if duplicate.id == survivor.id:
        raise RegistryError("不能与自己合并。")
    if not survivor.active:
        raise RegistryError("保留的一户必须在册。")
    before = snapshot(survivor, HOUSEHOLD_FIELDS)
    for name in ("phone", "phone_tail", "contact_cadre_id", "party_member_id",
                 "household_number", "grid_id"):
        if getattr(survivor, name) is None and getattr(duplicate, name) is not None:
            setattr(survivor, name, getattr(duplicate, name))
    survivor.tags = list(dict.fromkeys([*survivor.tags, *duplicate.tags]))
    if duplicate.notes and duplicate.notes not in survivor.notes:
        survivor.notes = "\n".join(x for x in (survivor.notes, duplicate.notes) if x)
    # The duplicate's head is the survivor's head twice over: kept, but as merged.
    dup_head = _head(duplicate)
    if dup_head is not None:
        dup_head.status, dup_head.status_on = ResidentStatus.MERGED, None
        dup_head.relation = "户主（合并）"
    survivor_head = _head(survivor)
    moved = repoint("households", township.id, duplicate.id, survivor.id)
    if dup_head is not None and survivor_head is not None:
        # Matters and other rows naming the duplicate's head now name the survivor's head.
        for table, count in repoint("residents", township.id, dup_head.id,
                                    survivor_head.id).items():
            moved[table] = moved.get(table, 0) + count
    if duplicate.village_id != survivor.village_id:
        db.session.execute(update(Resident).where(
            Resident.township_id == township.id, Resident.household_id == survivor.id)
            .values(village_id=survivor.village_id),
            execution_options={"synchronize_session": False})
    dup_before = snapshot(duplicate, HOUSEHOLD_FIELDS)
    duplicate.active, duplicate.status = False, HouseholdStatus.MERGED
    duplicate.status_on, duplicate.merged_into_id = None, survivor.id
    duplicate.household_number = None  # the number now belongs to the survivor
    record(township.id, actor, "household.merge", duplicate, before=dup_before,
           after={**changed(dup_before, snapshot(duplicate, HOUSEHOLD_FIELDS))[1],
                  "moved": moved}, summary=f"{duplicate.head_name}户并入{survivor.head_name}户")
    b, a = changed(before, snapshot(survivor, HOUSEHOLD_FIELDS))
    record(township.id, actor, "household.merge_into", survivor, before=b,
           after={**a, "merged": str(duplicate.id), "moved": moved},
           summary=f"并入重复户{duplicate.head_name}户")
    db.session.flush()
    db.session.expire_all()
    return moved


def add_member(township, actor, household: Household, *, name: str, relation: str = "",
               phone: str | None = None) -> Resident:
    name = name.strip()
    if not name:
        raise RegistryError("请填写姓名。")
    resident = Resident(id=uuid.uuid4(), township_id=township.id, name=name,
                        household_id=household.id, village_id=household.village_id,
                        relation=relation.strip() or None)
    resident.set_phone(phone)
    db.session.add(resident)
    db.session.flush()
    record(township.id, actor, "resident.add", resident,
           after=snapshot(resident, RESIDENT_FIELDS), summary=f"{household.head_name}户新增成员")
    record(township.id, actor, "household.member_add", household, after={"name": name},
           summary=f"新增成员{name}")
    return resident


def edit_member(township, actor, resident: Resident, *, name: str, relation: str,
                phone: str | None) -> None:
    before = snapshot(resident, RESIDENT_FIELDS)
    resident.name = name.strip()
    relation = relation.strip()
    # Headship changes only through hand_headship (the household's head name follows it).
    if resident.relation != "户主" and relation != "户主":
        resident.relation = relation or None
    resident.set_phone(phone)
    b, a = changed(before, snapshot(resident, RESIDENT_FIELDS))
    if a:
        record(township.id, actor, "resident.edit", resident, before=b, after=a,
               summary=f"修改成员{resident.name}")
        if resident.household_id:
            record(township.id, actor, "household.member_edit", resident.household,
                   before=b, after=a, summary=f"修改成员{resident.name}")


def history(township, household: Household, limit: int = 200):
    """The audit events of this household (its members' changes are recorded on it too) and of
    the duplicates merged into it, newest first: a merge brings the duplicate's history along."""
    from app.audit.models import AuditEvent

    ids = {str(household.id)}
    frontier = [household.id]
    while frontier:  # duplicates of duplicates, too
        merged = db.session.scalars(select(Household.id).where(
            Household.township_id == township.id,
            Household.merged_into_id.in_(frontier))).all()
        frontier = [i for i in merged if str(i) not in ids]
        ids.update(str(i) for i in frontier)
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.township_id == township.id,
        and_(AuditEvent.target_type == "households", AuditEvent.target_id.in_(ids)))
        .order_by(AuditEvent.at.desc()).limit(limit)).all()
