"""A request id per HTTP request, kept for audit records and echoed to the client."""

from __future__ import annotations

import re
import uuid

from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

# What a proxy's id looks like (nginx's $request_id: 32 hex digits; UUIDs): letters, digits and hyphens.
# Anything else a client sends is replaced, never stored: ids go into the audit chain.
_VALID = re.compile(r"[A-Za-z0-9-]{8,64}", re.ASCII)


class RequestIdMiddleware(MiddlewareMixin):
    """Accepts a well-formed X-Request-ID (from a proxy, or a client correlating its calls), or makes one."""

    def process_request(self, request: HttpRequest) -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # An attribute of our own on the request, read by the audit code (getattr with a default).
        request.request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        request_id = getattr(request, "request_id", None)
        if request_id:
            response["X-Request-ID"] = request_id
        return response
