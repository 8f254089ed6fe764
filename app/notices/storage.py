"""Where generated documents live: one small interface, a local directory by default.

    class Storage:
        def put(self, key: str, data: bytes) -> None
        def get(self, key: str) -> bytes          # raises FileNotFoundError
        def delete(self, key: str) -> None

Keys look like "<township_id>/<document_id>.pdf". DOCUMENTS_DIR names the local directory.
S3-compatible storage (DOCUMENTS_STORAGE="s3") is the documented extension point: implement the
three methods with boto3 (put_object/get_object/delete_object on DOCUMENTS_BUCKET) and return it
from `storage()`; it is not built yet because nothing here can test it against a local S3.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("storage key outside the documents directory")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a reader never sees half a file

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage():
    kind = current_app.config.get("DOCUMENTS_STORAGE", "local")
    if kind != "local":
        raise RuntimeError(f"document storage {kind!r} is not available (app/notices/storage.py)")
    return LocalStorage(current_app.config["DOCUMENTS_DIR"])
