"""Every change to a user's credentials (API tokens issued, expired and revoked) and to their display preferences."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

if TYPE_CHECKING:
    from accounts.models import User


def api_token_expires_at(token: Token) -> datetime:
    return token.created + settings.API_TOKEN_TTL


def api_token_expired(token: Token, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= api_token_expires_at(token)


def api_token_issue(*, user: User) -> Token:
    """The user's token, a new one when the old one has expired (one token per user, as DRF keeps them)."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and api_token_expired(token):
            token.delete()
            token = None
        return token or Token.objects.create(user=user)


def api_tokens_revoke(*, user: User) -> int:
    """Logging out and a password change end every API token of the user; returns how many."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


def user_care_mode_set(*, user: User, on: bool) -> None:
    """Remember the elder-friendly mode (长辈版) for the person, on every device they sign in on."""
    if user.care_mode != on:
        user.care_mode = on
        user.save(update_fields=["care_mode"])
