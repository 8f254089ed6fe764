"""Where generated documents live: one small interface, a local directory by default.

    class Storage:
        def put(self, key: str, data: bytes) -> None
        def get(self, key: str) -> bytes          # raises FileNotFoundError
        def delete(self, key: str) -> None

Keys look like "<township_id>/<document_id>.pdf". DOCUMENTS_DIR names the local directory.
With DOCUMENTS_STORAGE="s3" documents go to an S3-compatible bucket (DOCUMENTS_BUCKET; the
endpoint in DOCUMENTS_S3_ENDPOINT for MinIO and the like; credentials the usual AWS_* variables),
so several web and worker machines share them.
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


def _content_type(key: str) -> str:
    """Documents are PDFs; map sheets and evidence photos keep their own type."""
    import mimetypes

    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class S3Storage:
    """Documents in an S3-compatible bucket, under the same keys."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, client=None):
        self.bucket = bucket
        if client is None:
            try:
                import boto3
            except ImportError as exc:
                raise RuntimeError(
                    "MINQING_DOCUMENTS_STORAGE=s3 needs the S3 client: pip install -e '.[s3]' "
                    "(boto3)") from exc
            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.client = client

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                               ContentType=_content_type(key))

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def storage():
    kind = current_app.config.get("DOCUMENTS_STORAGE", "local")
    if kind == "s3":
        return S3Storage(current_app.config["DOCUMENTS_BUCKET"],
                         current_app.config.get("DOCUMENTS_S3_ENDPOINT"))
    if kind != "local":
        raise RuntimeError(f"unknown document storage {kind!r} (local or s3)")
    return LocalStorage(current_app.config["DOCUMENTS_DIR"])


def pdf_download(key: str | None, name: str):
    """The stored PDF under `key` as a download named `name` (in the browser with ?inline=1);
    a 404 when nothing is stored there."""
    import io

    from flask import abort, request, send_file

    if not key:
        abort(404)
    try:
        data = storage().get(key)
    except FileNotFoundError:
        abort(404)
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name,
                     as_attachment=request.args.get("inline") != "1")
