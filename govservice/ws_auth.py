"""Who is on a WebSocket (the session cookie, resolved once when the socket opens), and from which page.

Channels' AuthMiddlewareStack keeps the cookies, the loaded session and a copy of the scope
in each of its three layers for the life of the socket. Sockets here stay open for a long
time and by the thousand (citizens waiting in the queue), and no consumer reads the session
after connecting, so this one middleware resolves the user and keeps nothing else.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, cast
from urllib.parse import urlsplit

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
from channels.auth import get_user
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host


def _session_key(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header means no session
                return None
            morsel = cookie.get(settings.SESSION_COOKIE_NAME)
            return morsel.value if morsel else None
    return None


class SessionUserMiddleware:
    """Puts `user` (or AnonymousUser) in the scope; the session is read once and not kept."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceiveCallable, send: ASGISendCallable) -> Any:
        session = self.session_store(_session_key(scope))
        # get_user reads only scope["session"].
        user = await get_user(cast(Any, {"session": session}))
        return await self.inner({**scope, "user": user}, receive, send)


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
