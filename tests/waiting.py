"""Waiting on real processes (workers, servers) in tests: poll, and fail with what was awaited."""

from __future__ import annotations

import time

import pytest


def wait_for(predicate, seconds: float, what: str):
    """predicate()'s first true value, polled every 0.1 s; the test fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {seconds}s for {what}")
