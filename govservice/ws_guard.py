"""What every WebSocket of the system must respect: the page's own Origin, frame size, message rate,
well-formed JSON objects.

`OriginCheck` (around the whole WebSocket router) refuses a handshake whose Origin is not the site's
own, host and port (`origin_allowed`).

A socket is one client; nothing it sends may crash its consumer or cost the others. Each
consumer of the system derives from `GuardedJsonConsumer`:

* a frame larger than `WS_MAX_FRAME_BYTES` (64 KiB) closes the socket with 1009 (message too
  big); uvicorn is started with the same `--ws-max-size`, so it refuses such a frame before
  reading it all;
* more messages than a token bucket allows (`WS_RATE_BURST` at once, `WS_RATE_PER_SECOND` after)
  closes it with 1008 (policy violation);
* a frame that is binary, empty, not JSON or not a JSON object is answered with
  `{"type": "error", "code": "bad_message"}` and the socket stays open.

Close codes of the system's sockets are listed in README.md ("Signalling protocol").
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import Any, cast
from urllib.parse import urlsplit

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host

log = logging.getLogger(__name__)

CLOSE_POLICY_VIOLATION = 1008  # RFC 6455: too many messages
CLOSE_MESSAGE_TOO_BIG = 1009  # RFC 6455: a frame over the size limit
CLOSE_INTERNAL_ERROR = 1011  # RFC 6455: the server failed (here: the channel layer's Redis went away)
CLOSE_ABNORMAL = 1006  # RFC 6455: the connection was lost without a close frame (a tab closed, a network gone)

DEFAULT_MAX_FRAME_BYTES = 64 * 1024


class TokenBucket:
    """`burst` messages at once, then `rate` per second."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class BadMessage(ValueError):
    """A frame that is not a JSON object (or a field of the wrong type): answered, not fatal."""


class ClientGone(Exception):
    """The server refused to send: the client's connection is already closed."""


class GuardedJsonConsumer(AsyncJsonWebsocketConsumer):
    """A JSON consumer that bounds what a client may send (see the module's docstring)."""

    _bucket: TokenBucket | None = None
    _closing = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the consumer; if it dies (the channel layer's Redis went away, say), still run `disconnect()` and
        close with 1011, so that what a closed socket means (a citizen who left, a clerk gone) is recorded and
        the client sees a close frame and reconnects, instead of a socket that vanishes without either.

        A client that left while a message was on its way (a tab closed) is no failure: ASGI servers raise an
        OSError from `send` then (uvicorn's ClientDisconnected). `disconnect()` runs, with 1006, and the log
        says so at DEBUG."""

        async def send_to_client(message: Any) -> None:
            try:
                await send(message)
            except OSError as exc:
                raise ClientGone from exc

        try:
            await super().__call__(scope, receive, send_to_client)
        except ClientGone:
            log.debug("%s: the client left while a message was sent to it", type(self).__name__)
            self._closing = True
            with contextlib.suppress(Exception):
                await self.disconnect(CLOSE_ABNORMAL)
        except Exception:
            log.exception("%s failed: closing with %s", type(self).__name__, CLOSE_INTERNAL_ERROR)
            if not self._closing:
                self._closing = True
                with contextlib.suppress(Exception):
                    await send({"type": "websocket.close", "code": CLOSE_INTERNAL_ERROR})
            with contextlib.suppress(Exception):
                await self.disconnect(CLOSE_INTERNAL_ERROR)

    def _take_token(self) -> bool:
        if self._bucket is None:
            self._bucket = TokenBucket(rate=settings.WS_RATE_PER_SECOND, burst=settings.WS_RATE_BURST)
        return self._bucket.take()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self._closing:
            return  # frames already in flight after we closed
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.WS_MAX_FRAME_BYTES:
            await self._close_for(CLOSE_MESSAGE_TOO_BIG, f"frame of {size} bytes")
            return
        if not self._take_token():
            await self._close_for(CLOSE_POLICY_VIOLATION, "message rate")
            return
        if not text_data:  # binary or empty
            await self.bad_message()
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.bad_message()
            return
        if not isinstance(content, dict):
            await self.bad_message()
            return
        try:
            await self.receive_json(content, **kwargs)
        except BadMessage:
            await self.bad_message()

    async def send(  # type: ignore[override]  # the stubs' own override of AsyncConsumer.send
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if self._closing:
            return  # a group message that arrives after the close has nowhere to go
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self._closing:
            return
        self._closing = True
        await super().close(code=code, reason=reason)

    async def bad_message(self) -> None:
        await self.send_json({"type": "error", "code": "bad_message", "message": "bad message"})

    async def _close_for(self, code: int, why: str) -> None:
        log.warning("closing %s socket with %s: %s", type(self).__name__, code, why)
        await self.close(code=code)


def int_field(content: dict[str, Any], name: str) -> int:
    """An integer field of a message (a JSON number or digits), else BadMessage."""
    value = content.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadMessage(name)
    try:
        return int(value)
    except ValueError as exc:
        raise BadMessage(name) from exc


def _host_and_port(netloc: str, default_port: int) -> tuple[str, int] | None:
    parsed = urlsplit(f"//{netloc}")
    try:
        port = parsed.port or default_port
    except ValueError:
        return None
    return ((parsed.hostname or "").lower(), port)


def origin_allowed(origin: str | None, host_header: str | None) -> bool:
    """Same origin as the socket's Host (host and port), on an allowed host, or a configured trusted origin.

    Channels' AllowedHostsOriginValidator compares the host name only: a page served by any other port
    of the same host (another application, a developer's server) could open sockets with the user's
    cookies. Here the port counts too (a missing port is the scheme's default).
    """
    if not origin or origin == "null":
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parsed = urlsplit(origin)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or not host_header:
        return False
    default_port = 443 if parsed.scheme == "https" else 80
    mine = _host_and_port(parsed.netloc, default_port)
    theirs = _host_and_port(host_header, default_port)
    if mine is None or theirs is None or mine != theirs:
        return False
    return validate_host(mine[0], settings.ALLOWED_HOSTS)


class OriginCheck:
    """Refuses a WebSocket handshake (HTTP 403) whose Origin is not this site's (see `origin_allowed`)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceiveCallable, send: ASGISendCallable) -> Any:
        headers = dict(scope.get("headers", ()))
        origin = headers.get(b"origin", b"").decode("latin-1") or None
        host = headers.get(b"host", b"").decode("latin-1") or None
        if origin_allowed(origin, host):
            return await self.inner(scope, receive, send)
        return await WebsocketDenier()(cast(Any, scope), receive, send)
