"""WebSocket routes of the standards app (collected by govservice/routing.py)."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
