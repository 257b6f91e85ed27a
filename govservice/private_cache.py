"""`Cache-Control: private, no-store` on every answer to a signed-in user.

Those answers carry personal data (cases, names, masked ID numbers, the user's own pages): no shared
cache (a proxy, a CDN) may keep them, and a shared kiosk's browser must not keep them on disk for the
next visitor's back button. Keyed on authentication — the session's user, or the API token's, which DRF
sets on the request — so public pages (the catalogue, the home page to a visitor) stay cacheable, and
static files never reach this middleware (WhiteNoise answers them first).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # patch_cache_control drops a `public` the view may have set and keeps its other directives.
            patch_cache_control(response, private=True, no_store=True)
            response.headers.pop("Expires", None)
        return response
