"""WebSocket routes of the cases app (collected by govservice/routing.py)."""

from __future__ import annotations

websocket_urlpatterns: list = []
