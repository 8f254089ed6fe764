"""The SMS gateway: one interface for every text message Minqing sends (DESIGN §7).

`MINQING_SMS_GATEWAY` (config SMS_GATEWAY) names it:

- ``https://sms.example.gov.cn/send`` (or http://): the production gateway, an HTTP endpoint that
  receives a JSON POST ``{"phone": "...", "text": "..."}`` and answers 2xx when it accepts the
  message; anything else (an error status, no answer within HTTP_TIMEOUT) is a refusal.
  ``MINQING_SMS_TOKEN``, when set, is sent as ``Authorization: Bearer <token>``.
- ``test``: the test gateway, which accepts every message and records it in `OUTBOX` (tests, the
  demo; nothing leaves the machine).
- ``package.module:function``: any function ``function(phone, text) -> None`` (raise to refuse).

`gateway()` returns the callable, or None when none is configured. Senders never log the phone in
full nor the text.
"""

from __future__ import annotations

import importlib
import json
import os
import urllib.request
from functools import partial

from flask import current_app

HTTP_TIMEOUT = 10  # seconds
OUTBOX: list[tuple[str, str]] = []  # what the test gateway accepted: (phone, text)


class GatewayRefused(RuntimeError):
    """The gateway did not accept the message (its status, never the phone or text)."""


def record(phone: str, text: str) -> None:
    """The test gateway: accept and remember."""
    OUTBOX.append((phone, text))


def post(url: str, phone: str, text: str) -> None:
    """The HTTP gateway: POST the message as JSON; a non-2xx answer is a refusal."""
    body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    token = current_app.config.get("SMS_TOKEN") or os.environ.get("MINQING_SMS_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as answer:  # noqa: S310
            status = answer.status
    except urllib.error.HTTPError as exc:
        raise GatewayRefused(f"HTTP {exc.code}") from None
    except OSError as exc:
        raise GatewayRefused(type(exc).__name__) from None
    if not 200 <= status < 300:
        raise GatewayRefused(f"HTTP {status}")


def spec() -> str:
    return (current_app.config.get("SMS_GATEWAY") or os.environ.get("MINQING_SMS_GATEWAY")
            or "").strip()


def resolve(value: str):
    if value == "test":
        return record
    if value.startswith(("http://", "https://")):
        return partial(post, value)
    module, _sep, name = value.partition(":")
    return getattr(importlib.import_module(module), name)


def gateway():
    """The configured gateway's `send(phone, text)`, or None when there is none."""
    value = spec()
    return resolve(value) if value else None
