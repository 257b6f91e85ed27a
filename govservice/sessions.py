"""Sessions end after a spell without requests, and a fixed time after signing in.

Kiosks at the service centres are shared: a citizen who walks away must not leave the next one
signed in. Django's own expiry (SESSION_COOKIE_AGE) is set when the session is saved, so it gives
the absolute lifetime; the idle timeout is this middleware's: it keeps the time of the last
request in the session (rewritten at most once a minute, not on every request) and signs the
user out when the gap is longer than SESSION_IDLE_SECONDS. The WebSocket middleware
(govservice/ws_auth.py) applies the same rule when a socket opens.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

LAST_SEEN = "c9_last_seen"
SIGNED_IN = "c9_signed_in"
# Rewriting the session on every request would cost a write per request: a minute's slack is enough.
_TOUCH_AFTER = 60


def session_is_current(session: Mapping[str, Any], now: float | None = None) -> bool:
    """Is a signed-in session within its idle and absolute limits? (Sessions without the stamps are.)"""
    now = time.time() if now is None else now
    last_seen = session.get(LAST_SEEN)
    signed_in = session.get(SIGNED_IN)
    if isinstance(last_seen, (int, float)) and now - last_seen > settings.SESSION_IDLE_SECONDS:
        return False
    return not (isinstance(signed_in, (int, float)) and now - signed_in > settings.SESSION_COOKIE_AGE)


class SessionTimeoutMiddleware(MiddlewareMixin):
    """After AuthenticationMiddleware: signs out a session idle too long; stamps the others."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.user.is_authenticated:
            return
        session = request.session
        now = time.time()
        if not session_is_current(session, now):
            # Not logout(): its signal would also revoke the user's API tokens, which a walk-away does not call for.
            session.flush()
            request.user = AnonymousUser()
            messages.info(request, _("You were signed out after a time without activity. Please sign in again."))
            return
        session.setdefault(SIGNED_IN, now)
        last_seen = session.get(LAST_SEEN)
        if not isinstance(last_seen, (int, float)) or now - last_seen > _TOUCH_AFTER:
            session[LAST_SEEN] = now
