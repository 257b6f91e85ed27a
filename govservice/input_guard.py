"""Refusals at the door: inputs no view can handle answer 400 with the API's error body, never 500.

- A NUL character in the path or the query string: PostgreSQL cannot compare or store it in a text
  column (DataError), so `/cases/C9%00/` was a 500 there and a 404 on SQLite. Refused before any view.
- The safety net for what still reaches the database malformed (a NUL in a form field, a number out of
  the column's range): `django.db.DataError` and `OverflowError` are the input's fault, not the server's,
  so they answer 400 `invalid` (logged as a warning with the path) instead of 500.
- The database going away under a request (PostgreSQL restarted, the connection terminated mid-step):
  `OperationalError`/`InterfaceError` answer 503 `database_unavailable` with `Retry-After: 1`. The step's
  transaction was rolled back by the database, so nothing of it was stored and the client may repeat it;
  the next request opens a new connection (connections are health-checked before reuse).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _bad_request(code: str, detail: str) -> JsonResponse:
    response = JsonResponse({"code": code, "detail": detail, "fields": {}}, status=400)
    response["Cache-Control"] = "no-store"
    return response


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", "") or _nul_in_query(request):
            return _bad_request("invalid_characters", _("The address contains a NUL character."))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DataError | OverflowError):
            logger.warning(
                "refused input the database cannot take: %s %s (%s)", request.method, request.path, exception
            )
            return _bad_request("invalid", _("A value in the request cannot be stored or searched for."))
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("the database failed under %s %s: %s", request.method, request.path, exception)
            response = JsonResponse(
                {
                    "code": "database_unavailable",
                    "detail": _("The service is briefly unavailable; nothing was saved. Please try again."),
                    "fields": {},
                },
                status=503,
            )
            response["Retry-After"] = "1"
            response["Cache-Control"] = "no-store"
            return response
        return None


def _nul_in_query(request: HttpRequest) -> bool:
    # %00 is decoded only in request.GET (QUERY_STRING keeps it percent-encoded).
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
