"""The living household map: sheets, pins, the layers' figures, and the hand-over in one step.

Operations take explicit arguments and never read the request; the caller commits.
"""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.households.models import Household, Resident, Village, Visit
from app.map.models import Handover, HouseholdPin, VillageMap
from app.matters import operations as matters
from app.matters.models import OPEN_STATES, Matter, Revisit
from app.models import utcnow

# A photographed map is shrunk to this many pixels on its long side: sharp enough to read every
# door on a phone or an A4 print, and a few hundred kilobytes instead of several megabytes.
MAX_SIDE = 2400
JPEG_QUALITY = 80
MAX_PIXELS = 60_000_000  # a 50-megapixel phone photo passes; a forged header does not
# A blank sheet is A4 landscape in proportion.
BLANK_SIZE = (1400, 990)


class MapError(ValueError):
    """Something the user asked for that cannot be done; the message is for people."""


def _open_states() -> list[str]:
    return [s.value for s in OPEN_STATES]


# ---------------------------------------------------------------- the sheet


def map_of(village: Village) -> VillageMap | None:
    return db.session.scalar(select(VillageMap).where(
        VillageMap.township_id == village.township_id, VillageMap.village_id == village.id))


def _prepare_image(data: bytes) -> tuple[bytes, int, int]:
    """Check that `data` is a picture, turn it upright, shrink it, and make it a JPEG."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        # Checked before decoding: a small file may claim a huge picture (a decompression bomb).
        if image.width * image.height > MAX_PIXELS:
            raise MapError("图片过大，请缩小后再上传。")
        image.load()
    except Image.DecompressionBombError as exc:
        raise MapError("图片过大，请缩小后再上传。") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, MapError):
            raise
        raise MapError("无法识别该图片，请上传 JPG 或 PNG 格式的地图照片或扫描件。") from exc
    image = ImageOps.exif_transpose(image)  # phone photos carry their rotation in EXIF
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), image.width, image.height


def set_sheet(township, actor, village: Village, *, image: bytes | None = None,
              storage=None) -> tuple[VillageMap, str | None]:
    """Give the village its map sheet: an uploaded image, or a blank sheet when `image` is None.

    Returns the map and the storage key of the image it replaces (to delete after the commit,
    so a rolled-back change never points at a deleted file). Pins keep their places: they are
    fractions of the sheet, and a redrawn map of the same village has its doors where they were.
    """
    if storage is None:
        from app.notices.storage import storage as default_storage

        storage = default_storage()
    sheet = map_of(village)
    if sheet is None:
        sheet = VillageMap(township_id=township.id, village_id=village.id, width=0, height=0)
        db.session.add(sheet)
    old_key = sheet.image_key
    if image is None:
        sheet.image_key, sheet.image_type, sheet.image_bytes = None, None, 0
        sheet.width, sheet.height = BLANK_SIZE
    else:
        data, width, height = _prepare_image(image)
        key = f"{township.id}/maps/{village.id}-{secrets.token_hex(6)}.jpg"
        storage.put(key, data)
        sheet.image_key, sheet.image_type, sheet.image_bytes = key, "image/jpeg", len(data)
        sheet.width, sheet.height = width, height
    sheet.updated_at = utcnow()
    sheet.updated_by_id = actor.id
    db.session.flush()
    return sheet, old_key


# ---------------------------------------------------------------- pins


def place(township, actor, household: Household, x: float, y: float) -> HouseholdPin:
    """Put (or move) a household's pin at (x, y), fractions of the sheet from its top left."""
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError) as exc:
        raise MapError("位置无效。") from exc
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise MapError("位置须在地图范围之内。")
    pin = pin_of(household)
    if pin is None:
        pin = HouseholdPin(township_id=township.id, household_id=household.id, x=x, y=y)
        db.session.add(pin)
    pin.x, pin.y = round(x, 5), round(y, 5)
    pin.placed_at = utcnow()
    pin.placed_by_id = actor.id
    db.session.flush()
    return pin


def unplace(household: Household) -> None:
    """Take a household's pin off the map (it goes back to the not-yet-placed list)."""
    pin = pin_of(household)
    if pin is not None:
        db.session.delete(pin)
        db.session.flush()


def pin_of(household: Household) -> HouseholdPin | None:
    return db.session.scalar(select(HouseholdPin).where(
        HouseholdPin.township_id == household.township_id,
        HouseholdPin.household_id == household.id))


# ---------------------------------------------------------------- what the layers show


@dataclass
class Spot:
    """One household as the map shows it (`household`: a row with id, head_name, address,
    tags, phone and contact_cadre_id, or a Household)."""

    household: Household
    number: int
    x: float | None
    y: float | None
    last_visit: date | None
    open_matters: int
    overdue_matters: int

    @property
    def placed(self) -> bool:
        return self.x is not None

    def days_since_visit(self, today: date) -> int | None:
        return (today - self.last_visit).days if self.last_visit else None


def spots(village: Village, today: date, household_ids=None) -> list[Spot]:
    """Every active household of the village, numbered in address order, with its pin and
    its figures for the layers: four queries whatever the number of households."""
    tid = village.township_id
    # Rows of the columns the map shows, not ORM objects: a thousand households in a few ms.
    query = select(Household.id, Household.head_name, Household.address, Household.tags,
                   Household.phone, Household.contact_cadre_id).where(
        Household.township_id == tid, Household.village_id == village.id,
        Household.active.is_(True))
    if household_ids is not None:
        query = query.where(Household.id.in_(list(household_ids)))
    households = db.session.execute(query.order_by(Household.address, Household.head_name)).all()
    in_village = select(Household.id).where(Household.township_id == tid,
                                            Household.village_id == village.id)
    # Columns, not objects: a thousand pins without the ORM's bookkeeping.
    pins = {household_id: (x, y) for household_id, x, y in db.session.execute(
        select(HouseholdPin.household_id, HouseholdPin.x, HouseholdPin.y).where(
            HouseholdPin.township_id == tid, HouseholdPin.household_id.in_(in_village)))}
    last = dict(db.session.execute(
        select(Visit.household_id, func.max(Visit.visited_on))
        .where(Visit.township_id == tid, Visit.household_id.in_(in_village))
        .group_by(Visit.household_id)).all())
    # By the matter's village (indexed; a matter takes its household's village when created):
    # 2 ms instead of 30 for a thousand households on PostgreSQL.
    open_rows = db.session.execute(
        select(Matter.household_id, Matter.due_on)
        .where(Matter.township_id == tid, Matter.village_id == village.id,
               Matter.household_id.is_not(None), Matter.state.in_(_open_states()))).all()
    opened: dict[uuid.UUID, list[int]] = {}
    for household_id, due_on in open_rows:
        counts = opened.setdefault(household_id, [0, 0])
        counts[0] += 1
        counts[1] += due_on < today
    result = []
    for n, h in enumerate(households, start=1):
        x, y = pins.get(h.id, (None, None))
        counts = opened.get(h.id, (0, 0))
        result.append(Spot(h, n, x, y, last.get(h.id), counts[0], counts[1]))
    return result


def search(village: Village, words: str) -> list[uuid.UUID]:
    """Households of the village whose head, a member, or the address matches `words`."""
    words = words.strip()
    if not words:
        return []
    tid = village.township_id
    members = select(Resident.household_id).where(Resident.township_id == tid,
                                                  Resident.name.contains(words))
    return list(db.session.scalars(select(Household.id).where(
        Household.township_id == tid, Household.village_id == village.id,
        Household.active.is_(True),
        Household.head_name.contains(words) | Household.address.contains(words)
        | Household.id.in_(members)).limit(50)))


def open_matters_of(household: Household) -> list[Matter]:
    return list(db.session.scalars(select(Matter).where(
        Matter.township_id == household.township_id, Matter.household_id == household.id,
        Matter.state.in_(_open_states())).order_by(Matter.due_on)))


def upcoming_revisits_of(household: Household) -> list[Revisit]:
    return list(db.session.scalars(
        select(Revisit).join(Matter, (Matter.township_id == Revisit.township_id)
                             & (Matter.id == Revisit.matter_id))
        .where(Revisit.township_id == household.township_id,
               Matter.household_id == household.id, Revisit.done_at.is_(None))
        .order_by(Revisit.due_on)))


def village_cadres(village: Village) -> list[tuple[uuid.UUID, int]]:
    """The contact cadres of the village's households, with how many households each has."""
    return list(db.session.execute(
        select(Household.contact_cadre_id, func.count())
        .where(Household.township_id == village.township_id, Household.village_id == village.id,
               Household.active.is_(True), Household.contact_cadre_id.is_not(None))
        .group_by(Household.contact_cadre_id)).all())


# ---------------------------------------------------------------- hand-over


@dataclass
class HandoverPlan:
    households: list[Household]
    matters: list[Matter]
    revisits: list[Revisit]
    map: VillageMap | None

    @property
    def empty(self) -> bool:
        return not self.households and not self.matters and not self.revisits and not self.map


def plan_handover(village: Village, from_cadre) -> HandoverPlan:
    """What passes on when `from_cadre` leaves the village: their households there; the open
    matters they answer for there (assigned to them, or raised by them and not yet assigned);
    the revisits not yet done of the matters they answer for; and the map, if they held it."""
    tid = village.township_id
    households = list(db.session.scalars(select(Household).where(
        Household.township_id == tid, Household.village_id == village.id,
        Household.contact_cadre_id == from_cadre.id).order_by(Household.address)))
    household_ids = [h.id for h in households]
    theirs = (Matter.assignee_id == from_cadre.id) | (
        Matter.assignee_id.is_(None) & (Matter.created_by_id == from_cadre.id))
    here = (Matter.village_id == village.id) | Matter.household_id.in_(household_ids)
    open_matters = list(db.session.scalars(select(Matter).where(
        Matter.township_id == tid, here, theirs, Matter.state.in_(_open_states()))
        .order_by(Matter.due_on)))
    revisits = list(db.session.scalars(
        select(Revisit).join(Matter, (Matter.township_id == Revisit.township_id)
                             & (Matter.id == Revisit.matter_id))
        .where(Revisit.township_id == tid, Revisit.done_at.is_(None), here, theirs)
        .order_by(Revisit.due_on)))
    sheet = map_of(village)
    return HandoverPlan(households, open_matters, revisits,
                        sheet if sheet is not None and sheet.keeper_id in (None, from_cadre.id)
                        else None)


def _pass_matter(matter: Matter, actor, to_cadre, handover: Handover) -> None:
    """The new cadre answers for the matter from now on; its state stays as it was (the
    matter's history records the step)."""
    matters.reassign(matter, actor, assignee=to_cadre, handover=str(handover.id))


def hand_over(township, actor, *, village: Village, from_cadre, to_cadre,
              note: str = "") -> Handover:
    """Pass a village's households, open matters, upcoming revisits and map from the leaving
    contact cadre to the new one, in one step recorded as a Handover."""
    if from_cadre.id == to_cadre.id:
        raise MapError("交出和接手的干部不能是同一人。")
    plan = plan_handover(village, from_cadre)
    if not plan.households and not plan.matters and not plan.revisits:
        raise MapError("该干部在本村没有联系户、在办事项或待回访，无需交接。")
    handover = Handover(township_id=township.id, village_id=village.id,
                        from_cadre_id=from_cadre.id, to_cadre_id=to_cadre.id, actor_id=actor.id,
                        note=note.strip(), moved={})
    handover.id = uuid.uuid4()
    db.session.add(handover)
    for household in plan.households:
        household.contact_cadre_id = to_cadre.id
    passed: dict[uuid.UUID, Matter] = {}
    for matter in plan.matters + [r.matter for r in plan.revisits]:
        if matter.id not in passed:
            _pass_matter(matter, actor, to_cadre, handover)
            passed[matter.id] = matter
    if plan.map is not None:
        plan.map.keeper_id = to_cadre.id
    handover.moved = {
        "households": [str(h.id) for h in plan.households],
        "matters": [str(m.id) for m in plan.matters],
        "revisits": [str(r.id) for r in plan.revisits],
        "map": plan.map is not None,
    }
    db.session.flush()
    return handover


def handovers_of(village: Village) -> list[Handover]:
    return list(db.session.scalars(select(Handover).where(
        Handover.township_id == village.township_id, Handover.village_id == village.id)
        .order_by(Handover.created_at.desc())))


# ---------------------------------------------------------------- overview and the printed pack


@dataclass
class VillageStats:
    households: int = 0
    placed: int = 0
    has_sheet: bool = False


def village_stats(township) -> dict[uuid.UUID, VillageStats]:
    """Per village: active households, how many are on the map, whether it has a sheet."""
    stats: dict[uuid.UUID, VillageStats] = {}
    for village_id, count in db.session.execute(
            select(Household.village_id, func.count())
            .where(Household.township_id == township.id, Household.active.is_(True))
            .group_by(Household.village_id)):
        stats.setdefault(village_id, VillageStats()).households = count
    for village_id, count in db.session.execute(
            select(Household.village_id, func.count())
            .join(HouseholdPin, (HouseholdPin.township_id == Household.township_id)
                  & (HouseholdPin.household_id == Household.id))
            .where(Household.township_id == township.id, Household.active.is_(True))
            .group_by(Household.village_id)):
        stats.setdefault(village_id, VillageStats()).placed = count
    for village_id in db.session.scalars(select(VillageMap.village_id).where(
            VillageMap.township_id == township.id)):
        stats.setdefault(village_id, VillageStats()).has_sheet = True
    return stats


def image_data_uri(sheet: VillageMap | None, storage=None) -> str | None:
    """The sheet's image as a data: URI, for the PDF renderer (which fetches nothing else)."""
    import base64

    if sheet is None or not sheet.image_key:
        return None
    if storage is None:
        from app.notices.storage import storage as default_storage

        storage = default_storage()
    try:
        data = storage.get(sheet.image_key)
    except FileNotFoundError:
        return None
    return f"data:{sheet.image_type or 'image/jpeg'};base64," + base64.b64encode(data).decode()


def pack_context(handover: Handover, today: date) -> dict:
    """What the hand-over pack prints: the village's sheet with the handed-over households'
    numbered pins (numbers as on the live map), and each household with what is open."""
    village = handover.village
    ids = {uuid.UUID(i) for i in (handover.moved or {}).get("households", [])}
    rows = [s for s in spots(village, today) if s.household.id in ids]
    tid = handover.township_id
    open_rows = db.session.scalars(select(Matter).where(
        Matter.township_id == tid, Matter.household_id.in_(list(ids)),
        Matter.state.in_(_open_states())).order_by(Matter.due_on)).all()
    by_household: dict[uuid.UUID, list[Matter]] = {}
    for m in open_rows:
        by_household.setdefault(m.household_id, []).append(m)
    revisit_rows = db.session.execute(
        select(Revisit, Matter.household_id)
        .join(Matter, (Matter.township_id == Revisit.township_id)
              & (Matter.id == Revisit.matter_id))
        .where(Revisit.township_id == tid, Revisit.done_at.is_(None),
               Matter.household_id.in_(list(ids))).order_by(Revisit.due_on)).all()
    revisits: dict[uuid.UUID, list[Revisit]] = {}
    for revisit, household_id in revisit_rows:
        revisits.setdefault(household_id, []).append(revisit)
    sheet = map_of(village)
    return {"village": village, "sheet": sheet, "image": image_data_uri(sheet), "spots": rows,
            "open": by_household, "revisits": revisits, "today": today,
            "landscape": bool(sheet and sheet.width > sheet.height)}
