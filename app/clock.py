"""The one clock: "now" for the machine and "today" for a township (DESIGN §4).

Every "today", "this month" and "now" in `app/` and `workers/` comes from here. The database keeps
UTC; people live in their township's time zone (Asia/Shanghai unless the township says otherwise),
so a receipt printed at 07:30 in a hall carries that day's date whatever zone the server runs in.
Tests move this clock with time-machine; nothing else reads the system clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    """The present moment, timezone-aware UTC."""
    return datetime.now(UTC)


def zone_of(township=None) -> ZoneInfo:
    """The township's time zone; the default zone when there is no township (platform pages)."""
    return ZoneInfo(getattr(township, "timezone", None) or DEFAULT_ZONE)


def township_now(township=None, now: datetime | None = None) -> datetime:
    """The present moment on the township's wall clock (aware)."""
    return (now or utcnow()).astimezone(zone_of(township))


def township_today(township=None, now: datetime | None = None) -> date:
    """Today's date in the township."""
    return township_now(township, now).date()


def township_month(township=None, now: datetime | None = None) -> date:
    """The first day of the township's current month."""
    return township_today(township, now).replace(day=1)
