"""Token authentication whose tokens expire (API_TOKEN_HOURS after they were issued)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts import services


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused (401, code token_expired) once the token is older than its lifetime."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if services.api_token_expired(token):
            token.delete()
            raise AuthenticationFailed(_("The token has expired: ask for a new one."), code="token_expired")
        return user, token
