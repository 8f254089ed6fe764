"""A short-lived cache of the rendered response board, per township: one for every worker.

With REDIS_URL set the entries live in Redis, so every web process and machine shares them; each
township has a version number there, and a change to its matters, replies, ratings or villages
(a SQLAlchemy hook: at flush and again after the commit, in whichever process or job made it)
bumps the version, so every worker's next request renders afresh. Without Redis (the embedded
demo, tests without it) the entries stay in this process, dropped by the same hook. Entries
expire after BOARD_CACHE_SECONDS either way. Redis unreachable: the board is rendered uncached.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

BOARD_CACHE_SECONDS = 60
MAX_ENTRIES_PER_TOWNSHIP = 200
PREFIX = "minqing:board:"
_TOUCHED = "board_townships_touched"


def _redis():
    """The Redis of this app (REDIS_URL), or None for the in-process cache."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    url = current_app.config.get("REDIS_URL")
    if not url or current_app.config.get("BOARD_CACHE") == "process":
        return None
    clients = current_app.extensions.setdefault("minqing_board_redis", {})
    if url not in clients:
        from redis import Redis

        clients[url] = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return clients[url]


def _off() -> bool:
    """BOARD_CACHE = "off": never cached (bench/bench_server.py measures the board rendered
    on every request with it)."""
    from flask import current_app, has_app_context

    return has_app_context() and current_app.config.get("BOARD_CACHE") == "off"


class BoardCache:
    def __init__(self, seconds: float = BOARD_CACHE_SECONDS):
        self.seconds = seconds
        self._entries: dict[uuid.UUID, dict[tuple, tuple[float, str]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(township_id, version, key: tuple) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return f"{PREFIX}{township_id}:{version}:{digest}"

    def get(self, township_id: uuid.UUID, key: tuple) -> str | None:
        if _off():
            return None
        redis = _redis()
        if redis is not None:
            try:
                version = int(redis.get(f"{PREFIX}v:{township_id}") or 0)
                value = redis.get(self._key(township_id, version, key))
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
                return None
            return value.decode() if value is not None else None
        entry = self._entries.get(township_id, {}).get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, township_id: uuid.UUID, key: tuple, html: str) -> None:
        if _off():
            return
        redis = _redis()
        if redis is not None:
            try:
                version = int(redis.get(f"{PREFIX}v:{township_id}") or 0)
                redis.set(self._key(township_id, version, key), html.encode(),
                          ex=max(1, int(self.seconds)))
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
            return
        with self._lock:
            entries = self._entries.setdefault(township_id, {})
            if len(entries) >= MAX_ENTRIES_PER_TOWNSHIP:
                entries.clear()
            entries[key] = (time.monotonic() + self.seconds, html)

    def drop(self, township_id) -> None:
        redis = _redis()
        if redis is not None:
            try:
                # Old entries are never read again (another version) and expire on their own.
                redis.incr(f"{PREFIX}v:{township_id}")
                redis.expire(f"{PREFIX}v:{township_id}", 7 * 86400)
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
        with self._lock:
            self._entries.pop(township_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
        redis = _redis()
        if redis is not None:
            try:
                for name in redis.scan_iter(f"{PREFIX}v:*"):
                    redis.incr(name)
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)


board_cache = BoardCache()
WATCHED = ("Matter", "Reply", "Evaluation", "Village", "MatterEvent")


@event.listens_for(Session, "after_flush")
def _drop_changed_townships(session, _context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if type(obj).__name__ in WATCHED:
            township_id = getattr(obj, "township_id", None)
            if township_id is not None:
                board_cache.drop(township_id)
                session.info.setdefault(_TOUCHED, set()).add(township_id)


@event.listens_for(Session, "after_commit")
def _drop_after_commit(session) -> None:
    # Again once the change is visible: another worker may have rendered (and cached) the board
    # between this flush and the commit, from the rows as they were.
    for township_id in session.info.pop(_TOUCHED, ()):
        board_cache.drop(township_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_touched(session, previous_transaction) -> None:
    session.info.pop(_TOUCHED, None)
