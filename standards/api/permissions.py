from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import User


def is_standards_admin(user: User | AnonymousUser | None) -> bool:
    """A signed-in standards administrator (the role is accounts.User.is_standards_admin)."""
    return bool(user and isinstance(user, User) and user.is_standards_admin)


class IsStandardsAdminOrReadOnly(BasePermission):
    """Anyone may read the catalogue; only standards administrators write to it."""

    message = "Only standards administrators may change the catalogue."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_standards_admin(request.user)


class IsStandardsAdmin(BasePermission):
    message = "Only standards administrators may see this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return is_standards_admin(user) or (isinstance(user, User) and user.is_supervisor)
