"""The one clock: "now" for the machine and "today" for a township (DESIGN §4).

Every "today", "this month" and "now" in `app/` and `workers/` comes from here. The database keeps
UTC; people live in their township's time zone (Asia/Shanghai unless the township says otherwise),
so a receipt printed at 07:30 in a hall carries that day's date whatever zone the server runs in.
Tests move this clock with time-machine; nothing else reads the system clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    """The present moment, timezone-aware UTC."""
    return datetime.now(UTC)


def zone_of(township=None) -> ZoneInfo:
    """The township's time zone; the default zone when there is no township (platform pages).
    Takes a township (anything with `.timezone`) or a zone name."""
    if isinstance(township, str):
        return ZoneInfo(township or DEFAULT_ZONE)
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


def local_date(moment: datetime, township=None) -> date:
    """The township's date of an instant (a stored UTC timestamp, say)."""
    return moment.astimezone(zone_of(township)).date()


def at_local(township, day: date, at: time = time.min) -> datetime:
    """The instant (aware, in the township's zone) of a wall-clock time on a township's day."""
    return datetime.combine(day, at, tzinfo=zone_of(township))


def utc_bounds(township, start: date, end: date) -> tuple[datetime, datetime]:
    """The days [start, end) as UTC instants, from local midnight to local midnight."""
    return (at_local(township, start).astimezone(UTC), at_local(township, end).astimezone(UTC))
