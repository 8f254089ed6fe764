"""Job functions the hardening tests enqueue (`fn(township, *args)`, run by app.jobs.execute)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def note(township, path: str) -> None:
    """Append one line to `path`: how many times the job finished."""
    with open(path, "a") as f:
        f.write(f"{township.slug}\n")


def wait_for_flag(township, directory: str) -> None:
    """Mid-way until `directory/go` exists: write the pid of the running process, wait, then
    record one finish in `directory/done`."""
    folder = Path(directory)
    with open(folder / "pids", "a") as f:
        f.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 60
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never let the job go on")
        time.sleep(0.05)
    with open(folder / "done", "a") as f:
        f.write(f"{township.slug}\n")
