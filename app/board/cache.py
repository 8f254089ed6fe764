"""A short-lived cache of the rendered response board, per township: one for every worker.

With REDIS_URL set the entries live in Redis, so every web process and machine shares them; each
township has a version number there, and a change to its matters, replies, ratings or villages
(a SQLAlchemy hook: noted at flush, after the commit, in whichever process or job made it)
bumps the version, so every worker's next request renders afresh. An entry is kept under the
version read before the rows it was rendered from. Without Redis (the embedded demo, tests
without it) the entries and versions stay in this process, moved by the same hook. Entries
expire after BOARD_CACHE_SECONDS either way. Redis unreachable: the board is rendered uncached.
Anonymous visitors get the whole kept response from app.board.fast.
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
_TOWNSHIPS = "board_townships_changed"
GENERATION = f"{PREFIX}townships"


def _config(app=None):
    from flask import current_app, has_app_context

    if app is not None:
        return app
    return current_app if has_app_context() else None


def _redis(app=None):
    """The Redis of this app (REDIS_URL), or None for the in-process cache."""
    app = _config(app)
    if app is None:
        return None
    url = app.config.get("REDIS_URL")
    if not url or app.config.get("BOARD_CACHE") == "process":
        return None
    clients = app.extensions.setdefault("minqing_board_redis", {})
    if url not in clients:
        from redis import Redis

        clients[url] = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return clients[url]


def _off(app=None) -> bool:
    """BOARD_CACHE = "off": never cached (bench/bench_server.py measures the board rendered
    on every request with it)."""
    app = _config(app)
    return app is not None and app.config.get("BOARD_CACHE") == "off"


def _digest(key) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]


class BoardCache:
    """Entries are kept under the township's version as it was read BEFORE the board was
    rendered from the rows: a change committed after that read bumps the version, so an entry
    rendered from the rows as they were is never answered after the change's commit.

    Two kinds of entry: the board's content (`get`/`put`, rendered into every page showing it)
    and an anonymous visitor's whole response (`get_page`/`put_page`, answered by
    app.board.fast before the request reaches Flask)."""

    def __init__(self, seconds: float = BOARD_CACHE_SECONDS):
        self.seconds = seconds
        self._entries: dict[uuid.UUID, dict[tuple, tuple[float, int, object]]] = {}
        self._versions: dict[uuid.UUID, int] = {}
        self._generation = 0
        self._lock = threading.Lock()

    @staticmethod
    def _key(township_id, version, key: tuple) -> str:
        return f"{PREFIX}{township_id}:{version}:{_digest(key)}"

    @staticmethod
    def _version_key(township_id) -> str:
        return f"{PREFIX}v:{township_id}"

    def version(self, township_id: uuid.UUID, app=None) -> int | None:
        """The township's version now (None: not cached at all, Redis unreachable or off)."""
        if _off(app):
            return None
        redis = _redis(app)
        if redis is None:
            return self._versions.get(township_id, 0)
        try:
            return int(redis.get(self._version_key(township_id)) or 0)
        except Exception as exc:
            log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
            return None

    def get(self, township_id: uuid.UUID, key: tuple, version: int | None = ...) -> str | None:
        if version is ...:
            version = self.version(township_id)
        if version is None:
            return None
        redis = _redis()
        if redis is not None:
            try:
                value = redis.get(self._key(township_id, version, key))
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
                return None
            return value.decode() if value is not None else None
        entry = self._local(township_id, ("content", key), version)
        return entry

    def put(self, township_id: uuid.UUID, key: tuple, html: str,
            version: int | None = ...) -> None:
        if version is ...:
            version = self.version(township_id)
        if version is None:
            return
        redis = _redis()
        if redis is not None:
            try:
                redis.set(self._key(township_id, version, key), html.encode(),
                          ex=max(1, int(self.seconds)))
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
            return
        self._keep(township_id, ("content", key), version, html)

    # ------------------------------------------------------------ whole anonymous responses

    def get_page(self, township_id: uuid.UUID, key: tuple, app=None
                 ) -> tuple[tuple[int, int] | None, bytes | None]:
        """((the townships' generation, the township's version), the response kept for `key`
        at them or None), in one round trip to Redis: MGET of both counters and the entry,
        which names the counters it was rendered at. The generation moves whenever a township
        is created, renamed or removed, so a slug that came to name another township never
        answers the old one's page."""
        if _off(app):
            return None, None
        redis = _redis(app)
        if redis is None:
            token = (self._generation, self._versions.get(township_id, 0))
            entry = self._local(township_id, ("page", key), token[1])
            return token, (entry[1] if entry is not None and entry[0] == token else None)
        try:
            generation, current, entry = redis.mget(
                GENERATION, self._version_key(township_id),
                f"{PREFIX}page:{township_id}:{_digest(key)}")
        except Exception as exc:
            log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
            return None, None
        token = (int(generation or 0), int(current or 0))
        if entry is None:
            return token, None
        kept, _, payload = entry.partition(b"\n")
        return token, (payload if kept == f"{token[0]}.{token[1]}".encode() else None)

    def put_page(self, township_id: uuid.UUID, key: tuple, token: tuple[int, int] | None,
                 payload: bytes, app=None) -> None:
        if token is None or _off(app):
            return
        redis = _redis(app)
        if redis is None:
            if token[0] == self._generation:
                self._keep(township_id, ("page", key), token[1], (token, payload))
            return
        try:
            redis.set(f"{PREFIX}page:{township_id}:{_digest(key)}",
                      f"{token[0]}.{token[1]}".encode() + b"\n" + payload,
                      ex=max(1, int(self.seconds)))
        except Exception as exc:
            log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)

    def townships_changed(self) -> None:
        """A township created, changed or removed: every kept page is answered afresh."""
        redis = _redis()
        if redis is not None:
            try:
                redis.incr(GENERATION)
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
        with self._lock:
            self._generation += 1

    # ------------------------------------------------------------ this process's entries

    def _local(self, township_id, key, version):
        entry = self._entries.get(township_id, {}).get(key)
        if entry is None or entry[0] < time.monotonic() or entry[1] != version:
            return None
        return entry[2]

    def _keep(self, township_id, key, version, value) -> None:
        with self._lock:
            if self._versions.get(township_id, 0) != version:
                return  # rendered from rows changed since: never kept
            entries = self._entries.setdefault(township_id, {})
            if len(entries) >= MAX_ENTRIES_PER_TOWNSHIP:
                entries.clear()
            entries[key] = (time.monotonic() + self.seconds, version, value)

    def drop(self, township_id) -> None:
        redis = _redis()
        if redis is not None:
            try:
                # Old entries are never read again (another version) and expire on their own.
                with redis.pipeline(transaction=False) as pipe:
                    pipe.incr(self._version_key(township_id))
                    pipe.expire(self._version_key(township_id), 7 * 86400)
                    pipe.execute()
            except Exception as exc:
                log.warning("board cache: Redis unreachable (%s)", type(exc).__name__)
        with self._lock:
            self._versions[township_id] = self._versions.get(township_id, 0) + 1
            self._entries.pop(township_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1
            for township_id in self._versions:
                self._versions[township_id] += 1
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
    touched = session.info.setdefault(_TOUCHED, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        name = type(obj).__name__
        if name == "Township":
            session.info[_TOWNSHIPS] = True
        if name in WATCHED or name == "Township":
            # The township's own row: its name and slug are on the whole page kept.
            township_id = obj.id if name == "Township" else getattr(obj, "township_id", None)
            if township_id is not None:
                # Dropped after the commit, below: before it no other worker sees the change,
                # and an entry is kept under the version read before its rows, so one
                # rendered from the rows as they were is never read after the commit's drop.
                touched.add(township_id)


@event.listens_for(Session, "after_commit")
def _drop_after_commit(session) -> None:
    # Again once the change is visible: another worker may have rendered (and cached) the board
    # between this flush and the commit, from the rows as they were.
    for township_id in session.info.pop(_TOUCHED, ()):
        board_cache.drop(township_id)
    if session.info.pop(_TOWNSHIPS, None):
        board_cache.townships_changed()


@event.listens_for(Session, "after_soft_rollback")
def _forget_touched(session, previous_transaction) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_TOWNSHIPS, None)
