"""Group names of the helpdesk sockets and after-commit senders.

Each party has its own group, so a message is delivered to the one it is meant for:
a ring to one clerk, a queue update to one citizen, a signalling message to the other
member of a call (never back to the sender).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def clerk_group(user_id: int) -> str:
    return f"assist.clerk.{user_id}"


def request_group(request_id: int) -> str:
    return f"assist.request.{request_id}"


def call_group(session_id: int, role: str) -> str:
    return f"assist.call.{session_id}.{role}"


RECORDER_CHANNEL_GROUP = "assist.recorders"


def send_now(group: str, payload: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().group_send)(group, {"type": "assist.push", "payload": payload})


def send_on_commit(group: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(group, payload))


def send_many_now(groups: list[str], payload: dict[str, Any]) -> None:
    """The same message to many groups with one event loop and one Redis pool (not one per group)."""

    async def send_all() -> None:
        layer = get_channel_layer()
        for group in groups:
            await layer.group_send(group, {"type": "assist.push", "payload": payload})

    if groups:
        async_to_sync(send_all)()
