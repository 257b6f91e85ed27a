"""Pushing events to browsers: group names and after-commit senders.

Consumers join `user.<id>` for the person and `district.<code>` for a clerk's
district; services call `notify_*_on_commit` so nobody hears of a change that was
rolled back.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def district_group(division_code: str) -> str:
    return f"district.{division_code}"


def send_to_group(group: str, payload: dict[str, Any]) -> None:
    """Send now (from sync code): the consumer forwards `payload` to its socket as JSON."""
    async_to_sync(get_channel_layer().group_send)(group, {"type": "push", "payload": payload})


def notify_user_on_commit(user_id: int, payload: dict[str, Any]) -> None:
    # robust: the change is committed; a Redis hiccup must not turn it into a server error.
    transaction.on_commit(lambda: send_to_group(user_group(user_id), payload), robust=True)


def notify_district_on_commit(division_code: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_to_group(district_group(division_code), payload), robust=True)
