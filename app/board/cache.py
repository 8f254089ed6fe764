"""A short-lived cache of the rendered response board, per township.

Entries expire after BOARD_CACHE_SECONDS; a change to a township's matters, replies, ratings or
villages flushed in this process drops that township's entries at once (a SQLAlchemy
after_flush hook), so people see their own changes immediately. Other web processes see them
when their entries expire.
"""

from __future__ import annotations

import threading
import time
import uuid
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

BOARD_CACHE_SECONDS = 60
MAX_ENTRIES_PER_TOWNSHIP = 200


class BoardCache:
    def __init__(self, seconds: float = BOARD_CACHE_SECONDS):
        self.seconds = seconds
        self._entries: dict[uuid.UUID, dict[tuple, tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def get(self, township_id: uuid.UUID, key: tuple) -> str | None:
        entry = self._entries.get(township_id, {}).get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, township_id: uuid.UUID, key: tuple, html: str) -> None:
        with self._lock:
            entries = self._entries.setdefault(township_id, {})
            if len(entries) >= MAX_ENTRIES_PER_TOWNSHIP:
                entries.clear()
            entries[key] = (time.monotonic() + self.seconds, html)

    def drop(self, township_id) -> None:
        with self._lock:
            self._entries.pop(township_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


board_cache = BoardCache()
WATCHED = ("Matter", "Reply", "Evaluation", "Village", "MatterEvent")


@event.listens_for(Session, "after_flush")
def _drop_changed_townships(session, _context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if type(obj).__name__ in WATCHED:
            township_id = getattr(obj, "township_id", None)
            if township_id is not None:
                board_cache.drop(township_id)
