"""Celery tasks of the helpdesk: thin, they call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="helpdesk.assist_sweep", ignore_result=True)
def assist_sweep() -> dict:
    """Beat: expire ring timers kept in the database, drop stale presence, route what waits."""
    from helpdesk import services

    return services.assist_sweep()


@shared_task(name="helpdesk.assist_route", ignore_result=True)
def assist_route() -> int:
    from helpdesk import services

    return len(services.assist_route().offers)


@shared_task(name="helpdesk.assist_queue_broadcast", ignore_result=True)
def assist_queue_broadcast() -> int:
    """Push each waiting citizen their live position and estimated wait (fan-out off the request path)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.core.cache import cache

    from helpdesk import selectors
    from helpdesk.realtime import request_group
    from helpdesk.services import QUEUE_BROADCAST_PENDING

    # Changes from now on schedule the next fan-out; this one reads the queue after the delete.
    cache.delete(QUEUE_BROADCAST_PENDING)
    statuses = selectors.queue_statuses()

    async def send_all():
        # One event loop and one Redis pool for the whole fan-out: async_to_sync per message
        # would build both again for each waiting citizen (~3 ms each).
        layer = get_channel_layer()
        for request_id, status in statuses.items():
            await layer.group_send(request_group(request_id), {"type": "assist.push",
                                                               "payload": {"type": "queue", **status}})

    async_to_sync(send_all)()
    return len(statuses)
