from __future__ import annotations

from django.urls import path

from cases.routing import websocket_urlpatterns as cases_ws
from govservice.consumers import EventsConsumer
from helpdesk.routing import websocket_urlpatterns as helpdesk_ws
from standards.routing import websocket_urlpatterns as standards_ws

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    *standards_ws,
    *cases_ws,
    *helpdesk_ws,
]
