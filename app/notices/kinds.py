"""The registry of document kinds. A feature registers its PDFs once, at import time:

    register("hall_receipt", template="receipt.html", build_context=fn, permission=rule,
             title=lambda township, subject_id: "...")

`build_context(township, subject_id, progress) -> dict` returns the template's context; long
ones call `progress(done, total, note)` as they go. `permission(user, township) -> bool` is the
same rule as the page the document is requested from; the download checks it again.

A kind may add pages after its template's (`appendix(township, subject_id)` returns None or a
PDF's bytes with a dict for the document's `source`, merged after the rendered one), and a batch
kind names its part kind (`part`): requesting it makes one part document per village, each its
own job (app.notices.batches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Appendix = Callable[[Any, str], "tuple[bytes, dict] | None"]


@dataclass(frozen=True)
class Kind:
    name: str
    template: str
    build_context: Callable[..., dict[str, Any]]
    permission: Callable[[Any, Any], bool]
    label: Any = ""
    page_size: str = "A4"
    appendix: Appendix | None = None
    part: str | None = None


_KINDS: dict[str, Kind] = {}


def register(kind: str, *, template: str, build_context: Callable[..., dict[str, Any]],
             permission: Callable[[Any, Any], bool], label: Any = None,
             page_size: str = "A4", appendix: Appendix | None = None,
             part: str | None = None) -> Kind:
    # `label` may be a lazy string: no truth test here, it would need a request's locale.
    entry = Kind(kind, template, build_context, permission,
                 kind if label is None else label, page_size, appendix, part)
    _KINDS[kind] = entry
    return entry


def get(kind: str) -> Kind:
    _load_builtin()
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"unknown document kind {kind!r}") from None


def all_kinds() -> dict[str, Kind]:
    _load_builtin()
    return dict(_KINDS)


def _load_builtin() -> None:
    # The cross-cutting documents live in app.notices.documents; features' kinds register when
    # their modules are imported (create_app imports every feature's views).
    from app.notices import batches, documents  # noqa: F401
