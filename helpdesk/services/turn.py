"""ICE servers for a call: STUN as configured, TURN with short-lived credentials (the TURN REST scheme).

The shared secret never leaves the server; coturn checks the credential with `use-auth-secret`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings

from accounts.models import User


def ice_servers_for(user: User) -> list[dict[str, Any]]:
    """STUN as configured; TURN with a credential that expires after TURN_CREDENTIAL_TTL, never the secret."""
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        expires = int(time.time()) + settings.TURN_CREDENTIAL_TTL
        username = f"{expires}:{user.pk}"
        digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append(
            {"urls": list(settings.TURN_URLS), "username": username, "credential": base64.b64encode(digest).decode()}
        )
    return servers
