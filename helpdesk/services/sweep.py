"""The beat's sweep (every 2 s): what no event tells the system.

Clerks without a heartbeat go offline, calls whose member did not come back end, citizens
who left the queue page are abandoned, forgotten callback claims go back to the list, and a
routing pass ends overdue rings and offers what waits.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from govservice.errors import DomainError
from helpdesk.conf import conf
from helpdesk.models import AssistRequest, CallSession, ClerkProfile
from helpdesk.services import callbacks, calls, members, requests, routing
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current

Status = ClerkProfile.Status


def assist_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Stale presence goes offline; calls whose member did not return end; gone citizens are abandoned."""
    now = current(now)
    cfg = conf()
    stale = now - dt.timedelta(seconds=cfg.heartbeat_timeout)
    offline = 0
    for profile in ClerkProfile.objects.filter(
        Q(last_heartbeat__lt=stale) | Q(last_heartbeat__isnull=True),
        status__in=[Status.AVAILABLE, Status.AWAY, Status.RINGING],
    ):
        with transaction.atomic():
            if ClerkProfile.objects.filter(pk=profile.pk, status=profile.status).update(
                status=Status.OFFLINE, status_since=now
            ):
                assist_audit(kind=Kind.CLERK_OFFLINE, at=now, actor_id=profile.clerk_id, reason="no_heartbeat")
                offline += 1
    grace = now - dt.timedelta(seconds=cfg.rejoin_grace)
    dropped = 0
    for session in CallSession.objects.filter(ended_at__isnull=True).filter(
        Q(citizen_left_at__lt=grace) | Q(clerk_left_at__lt=grace)
    ):
        calls.call_session_end(session=session, actor=None, now=now, dropped=True)
        dropped += 1
    abandoned = 0
    for request in AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES, citizen_left_at__lt=grace):
        try:
            # The pass below routes for all of them at once.
            requests.assist_request_cancel(request=request, actor=request.citizen, now=now, abandoned=True, route=False)
            abandoned += 1
        except DomainError:
            pass  # the citizen cancelled or was connected meanwhile
    released = callbacks.callback_claims_expire(now=now, cfg=cfg)
    invites_expired = members.call_invites_expire(now=now)
    result = routing.assist_route(now=now)
    return {
        "offline": offline,
        "dropped": dropped,
        "abandoned": abandoned,
        "expired": result.expired,
        "offered": len(result.offers),
        "callbacks_released": released,
        "invites_expired": invites_expired,
    }
