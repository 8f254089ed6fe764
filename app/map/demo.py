"""Demo maps: each demo village gets a drawn sheet with its houses along three lanes, and most
households pinned at their doors (a few left for the "not yet placed" list)."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.households.models import Household, Village
from app.map import operations as ops
from app.map.models import VillageMap

LANES = (0.25, 0.5, 0.75)
WIDTH, HEIGHT = 1400, 1000


def _sheet(count: int) -> tuple[bytes, list[tuple[float, float]]]:
    """A plain drawing of a village: a river, a road, three lanes and `count` houses."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "#f7f2e4")
    draw = ImageDraw.Draw(image)
    draw.line([(0, 120), (WIDTH, 40)], fill="#9cc3dc", width=46)  # the river
    draw.line([(WIDTH // 2, 0), (WIDTH // 2, HEIGHT)], fill="#a7a7a7", width=26)  # the road
    for lane in LANES:
        draw.line([(60, lane * HEIGHT), (WIDTH - 60, lane * HEIGHT)], fill="#c4c4c4", width=12)
    per_lane = max(1, -(-count // len(LANES)))
    spots = []
    for i in range(count):
        lane, k = LANES[i % len(LANES)], i // len(LANES)
        x = 0.08 + 0.84 * (k + 0.5) / per_lane
        y = lane - 0.05 if k % 2 == 0 else lane + 0.05
        px, py = x * WIDTH, y * HEIGHT
        draw.rectangle([px - 14, py - 11, px + 14, py + 11], outline="#444", width=2)
        spots.append((round(x, 4), round(y, 4)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), spots


def seed(township) -> None:
    if db.session.scalar(select(VillageMap.id).where(VillageMap.township_id == township.id)
                         .limit(1)):
        return  # seeded already (or real maps exist)
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.township_id == township.id,
        RoleGrant.role == Role.TOWNSHIP_ADMIN.value).limit(1))
    if grant is None:
        return
    admin = db.session.get(User, grant.user_id)
    villages = db.session.scalars(select(Village).where(Village.township_id == township.id)
                                  .order_by(Village.sort_order, Village.name)).all()
    for village in villages[:3]:
        households = db.session.scalars(select(Household).where(
            Household.township_id == township.id, Household.village_id == village.id,
            Household.active.is_(True)).order_by(Household.address, Household.head_name)
            .limit(300)).all()
        if not households:
            continue
        image, spots = _sheet(len(households))
        sheet, _old = ops.set_sheet(township, admin, village, image=image)
        cadres = [h.contact_cadre_id for h in households if h.contact_cadre_id]
        sheet.keeper_id = max(set(cadres), key=cadres.count) if cadres else None
        placed = len(households) - max(1, len(households) // 10)
        for household, (x, y) in list(zip(households, spots, strict=True))[:placed]:
            ops.place(township, admin, household, x, y)
