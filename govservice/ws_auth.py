"""Who is on a WebSocket: the session cookie, resolved once when the socket opens.

Channels' AuthMiddlewareStack keeps the cookies, the loaded session and a copy of the scope
in each of its three layers for the life of the socket. Sockets here stay open for a long
time and by the thousand (citizens waiting in the queue), and no consumer reads the session
after connecting, so this one middleware resolves the user and keeps nothing else.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, cast

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
from channels.auth import get_user
from django.conf import settings


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
