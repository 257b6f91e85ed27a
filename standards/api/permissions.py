from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import User


def is_standards_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == User.Role.STANDARDS_ADMIN)


class IsStandardsAdminOrReadOnly(BasePermission):
    """Anyone may read the catalogue; only standards administrators write to it."""

    message = "Only standards administrators may change the catalogue."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_standards_admin(request.user)


class IsStandardsAdmin(BasePermission):
    message = "Only standards administrators may see this."

    def has_permission(self, request, view) -> bool:
        return is_standards_admin(request.user) or bool(
            request.user and request.user.is_authenticated and request.user.role == User.Role.SUPERVISOR
        )
