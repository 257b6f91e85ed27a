from __future__ import annotations

from django.urls import path

from cases.routing import websocket_urlpatterns as cases_ws
from govservice.consumers import EventsConsumer
from helpdesk.routing import websocket_urlpatterns as helpdesk_ws
from standards.routing import websocket_urlpatterns as standards_ws

websocket_urlpatterns = [
    # Channels routes with Django's path(); the stubs expect a view there.
    path("ws/events/", EventsConsumer.as_asgi()),  # type: ignore[arg-type]
    *standards_ws,
    *cases_ws,
    *helpdesk_ws,
]
