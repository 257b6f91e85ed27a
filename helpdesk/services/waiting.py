"""The console's waiting list: a clerk picks a waiting request instead of waiting for it to ring.

The pick follows the router's rules (`helpdesk.router.pick_stage`): a clerk may pick a request once the
stage that puts them in reach of it is open (their district's clerks first, then the city's, then the
alliance's), as a ring would have reached them. Compare-and-set on the request (`waiting → connected`)
and on the clerk (`available or away → in call`), in one transaction: of two clerks picking the same
request one wins, the other is told that someone else has taken it. A request ringing a clerk is theirs
until the ring ends.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, NotAllowed, NotFound
from helpdesk import router
from helpdesk.conf import conf
from helpdesk.models import AssistRequest, CallSession, ClerkProfile, Offer
from helpdesk.router_inputs import clerk_view_of, clerk_views, request_views
from helpdesk.services.clock import current
from helpdesk.services.routing import call_start

Status = ClerkProfile.Status
State = AssistRequest.State

# The presence from which a clerk may pick: not while ringing, in a call or writing a wrap-up.
PICK_FROM = (Status.AVAILABLE, Status.AWAY)
PICKED_STAGE = "picked"


def assist_request_pick(*, clerk: User, request_id: int, now: dt.datetime | None = None) -> CallSession:
    """The clerk answers a request from their waiting list: the call starts as if they had accepted its ring."""
    now = current(now)
    cfg = conf()
    if not clerk.is_clerk:
        raise NotAllowed(_("Only clerks answer calls."), code="not_a_clerk")
    request = AssistRequest.objects.select_related("citizen", "district", "item_version").filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("No such request."), code="not_found")
    view = request_views([request], now)[0]
    reach = router.pick_stage(view, clerk_view_of(clerk), clerk_views(), cfg)
    if reach is None:
        raise NotAllowed(_("This request is not in your queues."), code="not_in_your_queues")
    if (now - request.created_at).total_seconds() < reach[1]:
        raise Conflict(
            _("This request is still for the clerks of the caller's own district; it opens to you shortly."),
            code="not_open_to_you_yet",
        )
    with transaction.atomic():
        if not AssistRequest.objects.filter(pk=request.pk, state=State.WAITING).update(state=State.CONNECTED):
            state = AssistRequest.objects.filter(pk=request.pk).values_list("state", flat=True).first()
            if state == State.OFFERED:
                raise Conflict(_("This call is ringing for another clerk."), code="ringing_elsewhere")
            if state == State.CONNECTED:
                raise Conflict(_("Another clerk has just taken this call."), code="already_taken")
            raise Conflict(_("The caller is no longer waiting."), code="request_gone")
        # After the request's row: a losing picker waits on that row, then fails there, never holding the clerk's.
        if not ClerkProfile.objects.filter(clerk=clerk, status__in=PICK_FROM).update(
            status=Status.IN_CALL, status_since=now, idle_since=None
        ):
            raise Conflict(_("Finish the ringing call, the call or the wrap-up you have first."), code="clerk_busy")
        Offer.objects.create(
            request=request,
            clerk=clerk,
            stage=PICKED_STAGE,
            created_at=now,
            ring_deadline=now,
            outcome=Offer.Outcome.ACCEPTED,
            answered_at=now,
        )
        request.state = State.CONNECTED
        return call_start(request=request, clerk=clerk, now=now, cfg=cfg, picked=True, stage=reach[0])
