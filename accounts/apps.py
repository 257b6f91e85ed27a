from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _revoke_tokens_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from accounts import services

    if user is not None:
        services.api_tokens_revoke(user=user)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        # Signing out (the page, the admin, the API's logout) ends the user's API tokens too.
        user_logged_out.connect(_revoke_tokens_on_logout, dispatch_uid="accounts.revoke_tokens_on_logout")
