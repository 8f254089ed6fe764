"""Fixtures for the hardening tests: a Redis of the test's own, stopped and started at will."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """redis-server on a free port in a temporary directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: these tests stop and start a Redis of "
                        "their own (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        for _ in range(100):
            try:
                Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except Exception:
                time.sleep(0.05)
        pytest.fail("the test's own redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_own_redis(app, own_redis):
    """The session's app, its rate limits and jobs pointed at the test's own Redis."""
    from limits.storage import storage_from_string
    from limits.strategies import STRATEGIES

    from app.extensions import limiter

    saved = {k: app.config[k] for k in ("REDIS_URL", "JOBS_MODE")}
    saved_storage, saved_limiter = limiter._storage, limiter._limiter
    app.config.update(REDIS_URL=own_redis.url, JOBS_MODE="rq")
    limiter._storage = storage_from_string(own_redis.url, socket_connect_timeout=1,
                                           socket_timeout=1)
    limiter._limiter = STRATEGIES["fixed-window"](limiter._storage)
    limiter._storage_dead = False
    yield own_redis
    app.config.update(saved)
    limiter._storage, limiter._limiter = saved_storage, saved_limiter
    limiter._storage_dead = False
