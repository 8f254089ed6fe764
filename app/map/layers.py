"""The map's layers: which colour each household's pin takes, worked out once, here.

The page's script and the printed and no-script views all use these categories, so a pin is the
same colour everywhere. Labels are for people and translated at request time.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.households.models import HouseholdTag
from app.map.operations import Spot

LAYERS = ("visits", "matters", "tags", "cadre")
GREY = "#9aa1ad"
TAG_COLOURS = ("#c0392b", "#8e44ad", "#d35400", "#16a085", "#2c3e50", "#27ae60")
CADRE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                 "#e377c2", "#bcbd22", "#7f7f7f")
RECENT_DAYS, MONTHS_DAYS = 30, 90


def layer_labels() -> dict[str, str]:
    return {"visits": _("距上次走访"), "matters": _("在办与超期事项"), "tags": _("标签"),
            "cadre": _("联户干部")}


def visit_legend(stale_days: int) -> list[tuple[str, str]]:
    """(colour, label) for categories 0..3 of the visits layer."""
    return [("#1e7a3c", _("%(d)s 天内走访过", d=RECENT_DAYS)),
            ("#7cb342", _("%(d)s 天内走访过", d=MONTHS_DAYS)),
            ("#f0a500", _("%(d)s 天内走访过", d=stale_days)),
            ("#c62828", _("超过 %(d)s 天或从未走访", d=stale_days))]


def matter_legend() -> list[tuple[str, str]]:
    """(colour, label) for categories 0..2 of the matters layer."""
    return [(GREY, _("没有在办事项")), ("#f0a500", _("有在办事项")), ("#c62828", _("有超期事项"))]


def tag_legend() -> list[tuple[str, str]]:
    return [(TAG_COLOURS[i % len(TAG_COLOURS)], tag.value) for i, tag in enumerate(HouseholdTag)]


def visit_category(spot: Spot, today: date, stale_days: int) -> int:
    days = spot.days_since_visit(today)
    if days is None or days > stale_days:
        return 3
    if days <= RECENT_DAYS:
        return 0
    return 1 if days <= MONTHS_DAYS else 2


def matter_category(spot: Spot) -> int:
    if spot.overdue_matters:
        return 2
    return 1 if spot.open_matters else 0


# Tag → its place in HouseholdTag (computed once: enum lookups per pin cost a page 60 ms).
TAG_INDEX = {tag.value: i for i, tag in enumerate(HouseholdTag)}


def tag_indexes(spot: Spot) -> list[int]:
    return [TAG_INDEX[t] for t in spot.household.tags or [] if t in TAG_INDEX]


def colour(spot: Spot, layer: str, *, today: date, stale_days: int, cadres: dict,
           tag: str | None = None) -> str:
    """The pin colour of `spot` on `layer` (for the pages drawn without the script)."""
    if layer == "matters":
        return matter_legend()[matter_category(spot)][0]
    if layer == "tags":
        tags = tag_indexes(spot)
        if tag:
            index = TAG_INDEX.get(tag)
            return TAG_COLOURS[index % len(TAG_COLOURS)] if index in tags else GREY
        return TAG_COLOURS[tags[0] % len(TAG_COLOURS)] if tags else GREY
    if layer == "cadre":
        index = cadres.get(spot.household.contact_cadre_id)
        return CADRE_COLOURS[index % len(CADRE_COLOURS)] if index is not None else GREY
    return visit_legend(stale_days)[visit_category(spot, today, stale_days)][0]


def payload(spots: list[Spot], *, today: date, stale_days: int, cadres: dict) -> list[list]:
    """What the page's script needs per household, as compact rows:
    [id, number, head, address, x, y, visit category, matter category, [tag indexes], cadre].
    """
    rows = []
    for s in spots:
        h = s.household
        rows.append([str(h.id), s.number, h.head_name, h.address,
                     None if s.x is None else round(s.x, 4), None if s.y is None else round(s.y, 4),
                     visit_category(s, today, stale_days), matter_category(s), tag_indexes(s),
                     cadres.get(h.contact_cadre_id, -1)])
    return rows
