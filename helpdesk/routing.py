"""WebSocket routes of the helpdesk app (collected by govservice/routing.py)."""

from __future__ import annotations

from django.urls import path

from helpdesk.consumers import CallSignallingConsumer, CitizenQueueConsumer, ClerkConsoleConsumer

websocket_urlpatterns: list = [
    path("ws/assist/queue/<int:request_id>/", CitizenQueueConsumer.as_asgi()),
    path("ws/assist/console/", ClerkConsoleConsumer.as_asgi()),
    path("ws/assist/call/<int:session_id>/", CallSignallingConsumer.as_asgi()),
]
