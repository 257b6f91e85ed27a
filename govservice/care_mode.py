"""The elder-friendly mode (长辈版 / 关怀模式): whether a request sees it, and remembering the choice.

One rule: the mode is on when the person asked for it (`User.care_mode`, which follows them to every device) or
the device did (its cookie, so a kiosk or a grandparent's phone keeps large text before and after signing in).
The switch sets both, and switching it off clears both.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.services import user_care_mode_set

COOKIE = "c9_care"
# A year: a device that asked for large text keeps it.
COOKIE_MAX_AGE = 365 * 24 * 3600


def care_mode_of(request: HttpRequest) -> bool:
    """Whether the page is shown in the elder-friendly mode."""
    if request.COOKIES.get(COOKIE) == "1":
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and getattr(user, "care_mode", False))


def care_mode_remember(request: HttpRequest, response: HttpResponse, *, on: bool) -> None:
    """Remember the choice for the person (when signed in) and for the device (the cookie)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        user_care_mode_set(user=user, on=on)
    if on:
        response.set_cookie(
            COOKIE, "1", max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure(), httponly=True
        )
    else:
        response.delete_cookie(COOKIE, samesite="Lax")


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: `care_mode` for the base template."""
    return {"care_mode": care_mode_of(request)}
