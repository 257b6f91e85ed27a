"""After-commit fan-outs that many changes share: waiting citizens' queue positions, and the
clerks' callback list (each push is a nudge; every page reads its own view again).

Both are sent through `govservice.events` (directly, or from the queue broadcast task).
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from govservice import events
from helpdesk.conf import conf
from helpdesk.models import ClerkProfile
from helpdesk.realtime import clerk_group

# Changes within this many seconds share one fan-out of queue positions.
QUEUE_BROADCAST_DELAY = 0.25
QUEUE_BROADCAST_PENDING = "helpdesk:queue-broadcast-pending"


def queue_changed_on_commit() -> None:
    """Waiting citizens' positions changed: the worker pushes them, off the request path.

    Each change would otherwise fan out to every waiting citizen (200 sends with 200 waiting,
    twice per click and cancel); a burst of changes shares one fan-out a quarter second later.
    """
    transaction.on_commit(_schedule_queue_broadcast, robust=True)


def _schedule_queue_broadcast() -> None:
    from helpdesk.tasks import assist_queue_broadcast

    # The key expires by itself, so a lost broadcast task delays updates by seconds, not for ever.
    if cache.add(QUEUE_BROADCAST_PENDING, 1, timeout=5):
        assist_queue_broadcast.apply_async(countdown=QUEUE_BROADCAST_DELAY)


def callbacks_changed_on_commit() -> None:
    transaction.on_commit(_push_callbacks_changed, robust=True)


def _push_callbacks_changed() -> None:
    """Every open console fetches its own view of the list again (the message carries no names).

    Open consoles are those with a recent heartbeat, whatever the presence: a clerk who works the
    callback list while not taking video calls still sees it change.
    """
    alive = timezone.now() - dt.timedelta(seconds=conf().heartbeat_timeout)
    clerk_ids = ClerkProfile.objects.filter(last_heartbeat__gte=alive).values_list("clerk_id", flat=True)
    events.send_now(
        [clerk_group(clerk_id) for clerk_id in clerk_ids], {"type": "callbacks"}, handler=events.ASSIST_PUSH
    )
