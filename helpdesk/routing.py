"""WebSocket routes of the helpdesk app (collected by govservice/routing.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from helpdesk.consumers import CallSignallingConsumer, CitizenQueueConsumer, ClerkConsoleConsumer

# django-stubs' path() accepts only views returning HttpResponse; channels' URLRouter takes ASGI apps.
websocket_urlpatterns: list[URLPattern] = [
    path("ws/assist/queue/<int:request_id>/", CitizenQueueConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/assist/console/", ClerkConsoleConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/assist/call/<int:session_id>/", CallSignallingConsumer.as_asgi()),  # type: ignore[arg-type]
]
