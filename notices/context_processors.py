"""The header's unread count, for every page of a signed-in person (one COUNT, only when a template asks)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from notices.selectors import unread_count

    return {"notices_unread": SimpleLazyObject(lambda: unread_count(user))}
