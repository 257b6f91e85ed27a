"""What the pages and the API read from a request: the signed-in user and the request id."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, signed in: every view of this app requires it (login_required on the pages,
    DRF's IsAuthenticated default on the API), so an anonymous user is refused here as there."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def request_id(request: HttpRequest) -> str:
    """The id govservice.request_id.RequestIdMiddleware gave the request, for the audit records."""
    return getattr(request, "request_id", "")
