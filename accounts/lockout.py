"""What a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE).

The login page and the admin's login show a page in the visitor's language; the API's token
endpoint answers the API's error body with code `locked_out` and Retry-After (its own view raises
that: DRF's request object keeps axes' flag to itself, see accounts/api/views.py).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext


def cool_off_minutes() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_out_message() -> str:
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed sign-in attempts. To protect the account, signing in to it or from this device is"
        " paused for %(minutes)d minute. Please try again later, or ask a supervisor to unlock it.",
        "Too many failed sign-in attempts. To protect the account, signing in to it or from this device is"
        " paused for %(minutes)d minutes. Please try again later, or ask a supervisor to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, *args: Any) -> HttpResponse:
    """axes calls this with (request, response, credentials) or (request, credentials): only the request is read."""
    retry_after = str(cool_off_seconds())
    if request.path.startswith("/api/"):
        body = {"code": "locked_out", "detail": locked_out_message(), "fields": {}}
        return JsonResponse(body, status=429, headers={"Retry-After": retry_after})
    response = render(request, "accounts/locked_out.html", {"message": locked_out_message()}, status=429)
    response["Retry-After"] = retry_after
    return response
