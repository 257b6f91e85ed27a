from __future__ import annotations

from typing import Any

from celery import shared_task

from govservice import events


@shared_task(name="govservice.push_to_user")
def push_to_user(user_id: int, payload: dict[str, Any]) -> None:
    """Deliver an event to every open socket of a user, from a worker."""
    events.send_now([events.user_group(user_id)], payload)
