"""A limit on request bodies, applied by the ASGI server before Django reads them.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards `request.body` and form parsing only; DRF's parsers read
the request as a stream and never consult it, and Django's ASGI handler first spools the whole body
(to memory, then to a temporary file) whatever its size. So a 60 MB JSON body was read and parsed.
This middleware answers 413 with the API's error body as soon as a body is known to be larger than
DATA_UPLOAD_MAX_MEMORY_SIZE — from its Content-Length, or while it streams in (chunked) — without
reading the rest. Multipart bodies (uploads) are left to their own per-material and per-file limits
(cases.services.materials, the helpdesk's snapshots, the catalogue import); Django still caps their
non-file fields with the same setting.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return b""


def body_limit_for(scope: Scope) -> int | None:
    """The largest body accepted for this request; None when another limit applies (multipart uploads)."""
    if _header(scope, b"content-type").lower().startswith(b"multipart/form-data"):
        return None
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def too_large_body(limit: int) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        detail = _("The request body is larger than %(mb)s MB.") % {"mb": round(limit / (1024 * 1024), 1)}
    return json.dumps(
        {"code": "request_too_large", "detail": detail, "fields": {}}, ensure_ascii=False, separators=(",", ":")
    ).encode()


class BodySizeLimit:
    """ASGI middleware around the HTTP application: 413 `request_too_large` for an oversized body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit_for(scope) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    # A chunked body that grew past the limit: answer now, and tell Django the client has
                    # gone, so that it stops reading and sends nothing itself (RequestAborted).
                    refused = True
                    await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counting_receive, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
