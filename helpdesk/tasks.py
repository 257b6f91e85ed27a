"""Celery tasks of the helpdesk: thin, they call services and selectors."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="helpdesk.assist_sweep", ignore_result=True)
def assist_sweep() -> dict[str, int]:
    """Beat: expire ring timers kept in the database, drop stale presence, route what waits."""
    from helpdesk import services

    return services.assist_sweep()


@shared_task(name="helpdesk.assist_recordings_sweep", ignore_result=True)
def assist_recordings_sweep() -> int:
    """Beat: delete the recordings past their retention period (audited; the hash stays)."""
    from helpdesk import services

    return services.call_recordings_sweep()


@shared_task(name="helpdesk.assist_queue_broadcast", ignore_result=True)
def assist_queue_broadcast() -> int:
    """Push each waiting citizen their live position and estimated wait, and each open console its waiting
    list (fan-out off the request path)."""
    from django.core.cache import cache

    from govservice import events
    from helpdesk import selectors
    from helpdesk.realtime import clerk_group, request_group
    from helpdesk.services.fanout import QUEUE_BROADCAST_PENDING

    # Changes from now on schedule the next fan-out; this one reads the queue after the delete.
    cache.delete(QUEUE_BROADCAST_PENDING)
    statuses = selectors.queue_statuses()
    # One batch: one event loop and one Redis pool for the whole fan-out.
    events.dispatch(
        [(request_group(request_id), {"type": "queue", **status}) for request_id, status in statuses.items()],
        handler=events.ASSIST_PUSH,
    )
    # The same change, on every open console: its own waiting list (one read of the queue for all).
    events.dispatch(
        [
            (clerk_group(clerk_id), {"type": "waiting", "rows": rows})
            for clerk_id, rows in selectors.waiting_lists(clerk_ids=selectors.open_console_clerk_ids()).items()
        ],
        handler=events.ASSIST_PUSH,
    )
    return len(statuses)
