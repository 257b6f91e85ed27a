"""Every change to a user's credentials (API tokens issued, expired and revoked), to their display preferences,
and recorded corrections of a person's identifiers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
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


# What the admin log records when an ID number or phone is corrected (kept in English: it is data; masked values).
CORRECTION_MESSAGE = "Corrected {what} in the admin: {changes}. Reason: {reason}"
_PHONE = re.compile(r"\+?[0-9][0-9-]{4,19}", re.ASCII)


def user_identifiers_correct(*, user: User, actor: User, reason: str, id_number: str = "", phone: str = "") -> str:
    """Correct a person's ID number and/or phone, recorded in the user's admin history (who, when, why, the old and
    new values masked). An empty value leaves that field as it is. Returns the recorded message.

    Invalid (400) without a reason, with a malformed value, or when nothing changes."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.core.exceptions import ValidationError

    from accounts.identifiers import mask_id_number, mask_phone, normalize_id_number, validate_id_number
    from govservice.errors import Invalid

    reason = reason.strip()
    if not reason:
        raise Invalid(_("Give the reason for the correction."), fields={"reason": [_("This field is required.")]})
    changes: list[str] = []
    what: list[str] = []
    new_id = normalize_id_number(id_number.strip()) if id_number.strip() else ""
    new_phone = phone.strip()
    if new_id:
        try:
            validate_id_number(new_id)
        except ValidationError as exc:
            raise Invalid(exc.messages[0], fields={"id_number": exc.messages}) from exc
    if new_phone and not _PHONE.fullmatch(new_phone):
        message = _("Enter a phone number: digits, optionally a leading + and hyphens.")
        raise Invalid(message, fields={"phone": [message]})
    with transaction.atomic():
        locked = type(user).objects.select_for_update().get(pk=user.pk)
        if new_id and new_id != locked.id_number:
            changes.append(f"ID number {mask_id_number(locked.id_number) or '-'} -> {mask_id_number(new_id)}")
            what.append("the ID number")
            locked.id_number = new_id
        if new_phone and new_phone != locked.phone:
            changes.append(f"phone {mask_phone(locked.phone) or '-'} -> {mask_phone(new_phone)}")
            what.append("the phone")
            locked.phone = new_phone
        if not changes:
            raise Invalid(_("Nothing to correct: the values given are the ones already recorded."), code="unchanged")
        locked.save(update_fields=["id_number", "phone"])
        message = CORRECTION_MESSAGE.format(what=" and ".join(what), changes="; ".join(changes), reason=reason[:200])
        LogEntry.objects.log_actions(
            user_id=int(actor.pk or 0),
            queryset=[locked],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )
    user.refresh_from_db(fields=["id_number", "phone"])
    return message
