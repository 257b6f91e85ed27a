"""WebSocket routes of the helpdesk app (collected by govservice/routing.py)."""

from __future__ import annotations

websocket_urlpatterns: list = []
