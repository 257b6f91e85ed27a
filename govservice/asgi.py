"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")
django_asgi_app = get_asgi_application()

from govservice.sqlite_wal import start_wal_checkpointer  # noqa: E402

start_wal_checkpointer()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from govservice.body_limit import BodySizeLimit  # noqa: E402
from govservice.routing import websocket_urlpatterns  # noqa: E402
from govservice.ws_auth import SessionUserMiddleware  # noqa: E402
from govservice.ws_guard import OriginCheck  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (uploads apart) are refused before Django reads them.
        "http": BodySizeLimit(django_asgi_app),
        # Browsers send cookies with cross-site WebSocket handshakes: check the Origin (host and port).
        # (Channels' stubs type its routes as its own pattern class; Django's path() builds them at run time.)
        "websocket": OriginCheck(SessionUserMiddleware(URLRouter(websocket_urlpatterns))),  # type: ignore[arg-type]
    }
)

from govservice.warm import warm_and_freeze  # noqa: E402

warm_and_freeze()  # the segmenter's dictionary now, not in the first search (docs/pitfalls.md); then gc.freeze()
