"""The routing pass, offers (rings) and their timers.

The choices are pure functions in `helpdesk.router`; this module reads their inputs
(`helpdesk.router_inputs`) and applies the plan: each reservation is one short transaction
with compare-and-set on the clerk (`available → ringing`) and on the request
(`waiting → offered`), backed by partial unique indexes, so any number of processes may run
passes at once. Ring deadlines are rows, so they survive any restart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict
from helpdesk import router, selectors
from helpdesk.conf import AssistConf, conf
from helpdesk.models import AssistRequest, CallMember, CallSession, ClerkProfile, Offer
from helpdesk.realtime import RECORDER_CHANNEL_GROUP, clerk_group, request_group
from helpdesk.router_inputs import clerk_views, request_views
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current
from helpdesk.services.fanout import queue_changed_on_commit
from helpdesk.services.members import call_member_add

Status = ClerkProfile.Status
State = AssistRequest.State


@dataclass
class RoutePass:
    offers: list[Offer]
    expired: int
    lost_races: int


def assist_route(*, now: dt.datetime | None = None, cfg: AssistConf | None = None) -> RoutePass:
    """One routing pass: expire overdue rings, then offer waiting requests to available clerks.

    Safe to run in any number of processes at once: each reservation is its own short
    transaction with compare-and-set on both the clerk and the request, backed by the
    partial unique indexes; a pass that loses a race simply skips that pair.
    """
    now = current(now)
    cfg = cfg or conf()
    expired = assist_offers_expire(now=now)
    views = request_views(AssistRequest.objects.filter(state=State.WAITING), now)
    if not views:
        return RoutePass([], expired, 0)
    clerks = clerk_views(firms=any(v.firm_id for v in views), items=any(v.item_id for v in views))
    offers, lost = [], 0
    for request_view, clerk_view, stage in router.plan_offers(views, clerks, cfg, now):
        request = AssistRequest.objects.select_related("citizen", "firm", "item", "item_version", "district").get(
            pk=request_view.id
        )
        offer = _offer_create(
            request=request,
            clerk_id=clerk_view.user_id,
            profile_id=clerk_view.profile_id,
            stage=stage,
            now=now,
            cfg=cfg,
        )
        if offer is None:
            lost += 1
        else:
            offers.append(offer)
    offered_ids = {o.request_id for o in offers}
    for request_view in views:
        if request_view.id in offered_ids or request_view.callback_offered:
            continue
        if router.callback_due(request_view, clerks, cfg, now):
            _callback_offer(request_id=request_view.id, now=now)
    return RoutePass(offers, expired, lost)


class _LostRace(Exception):
    pass


def _offer_create(
    *, request: AssistRequest, clerk_id: int, profile_id: int, stage: str, now: dt.datetime, cfg: AssistConf
) -> Offer | None:
    try:
        with transaction.atomic():
            # Compare-and-set on both rows: whoever changes the row first wins; the other
            # process's UPDATE re-reads the committed row (PostgreSQL) and matches nothing.
            if not ClerkProfile.objects.filter(pk=profile_id, status=Status.AVAILABLE).update(
                status=Status.RINGING, status_since=now
            ):
                raise _LostRace
            if not AssistRequest.objects.filter(pk=request.pk, state=State.WAITING).update(state=State.OFFERED):
                raise _LostRace
            deadline = now + dt.timedelta(seconds=cfg.ring_timeout)
            offer = Offer.objects.create(
                request=request, clerk_id=clerk_id, stage=stage, created_at=now, ring_deadline=deadline
            )
            assist_audit(
                kind=Kind.OFFER_RINGING, at=now, request_id=request.pk, actor_id=clerk_id, offer=offer.pk, stage=stage
            )
            events.send_on_commit(
                [clerk_group(clerk_id)],
                handler=events.ASSIST_PUSH,
                payload={
                    "type": "ring",
                    "offer": offer.pk,
                    "request": request.pk,
                    "stage": stage,
                    "deadline": deadline.isoformat(),
                    "ring_seconds": cfg.ring_timeout,
                    "context": request_context(request),
                },
            )
            events.send_on_commit(
                [request_group(request.pk)],
                handler=events.ASSIST_PUSH,
                payload={"type": "state", "state": State.OFFERED},
            )
            # The consoles' waiting lists show the request ringing (a quarter-second batched push).
            queue_changed_on_commit()
    except (_LostRace, IntegrityError):
        return None
    return offer


def request_context(request: AssistRequest) -> dict[str, Any]:
    """What the ringing clerk sees before answering (no ID number)."""
    return {
        **selectors.caller_summary(request),
        **selectors.caller_history(citizen_id=request.citizen_id, before=request.created_at),
        **selectors.district_names(request.district),
        "item_code": request.item.code if request.item is not None else None,
        "waiting_since": request.created_at.isoformat(),
    }


def _callback_offer(*, request_id: int, now: dt.datetime) -> None:
    with transaction.atomic():
        if AssistRequest.objects.filter(pk=request_id, callback_offered_at__isnull=True).update(
            callback_offered_at=now
        ):
            assist_audit(kind=Kind.REQUEST_CALLBACK_OFFERED, at=now, request_id=request_id)
            events.send_on_commit(
                [request_group(request_id)], handler=events.ASSIST_PUSH, payload={"type": "callback.offer"}
            )


def assist_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Ring timers live in the database: every pass (and beat) ends the overdue ones."""
    now = current(now)
    count = 0
    for offer in Offer.objects.filter(outcome=Offer.Outcome.RINGING, ring_deadline__lte=now):
        with transaction.atomic():
            if not Offer.objects.filter(pk=offer.pk, outcome=Offer.Outcome.RINGING).update(
                outcome=Offer.Outcome.TIMED_OUT, answered_at=now
            ):
                continue  # accepted or declined meanwhile
            _offer_release(offer=offer, now=now, kind=Kind.OFFER_TIMED_OUT)
            count += 1
    return count


def _offer_release(*, offer: Offer, now: dt.datetime, kind: Kind) -> None:
    """A ring that ended unanswered: the clerk goes away, the request is waiting again in its place.

    A ring that timed out while the citizen had no queue socket open (they never opened the page, or
    left it) is not the clerk's fault: the clerk stays available; the sweep abandons the request."""
    citizen_absent = (
        kind == Kind.OFFER_TIMED_OUT
        and AssistRequest.objects.filter(pk=offer.request_id, citizen_left_at__isnull=False).exists()
    )
    status = Status.AVAILABLE if citizen_absent else Status.AWAY
    ClerkProfile.objects.filter(clerk_id=offer.clerk_id, status=Status.RINGING).update(status=status, status_since=now)
    AssistRequest.objects.filter(pk=offer.request_id, state=State.OFFERED).update(state=State.WAITING)
    assist_audit(
        kind=kind,
        at=now,
        request_id=offer.request_id,
        actor_id=offer.clerk_id,
        offer=offer.pk,
        **({"citizen_absent": True} if citizen_absent else {}),
    )
    events.send_on_commit(
        [clerk_group(offer.clerk_id)], handler=events.ASSIST_PUSH, payload={"type": "ring.cancelled", "offer": offer.pk}
    )
    events.send_on_commit(
        [clerk_group(offer.clerk_id)], handler=events.ASSIST_PUSH, payload={"type": "presence", "status": status}
    )
    events.send_on_commit(
        [request_group(offer.request_id)], handler=events.ASSIST_PUSH, payload={"type": "state", "state": State.WAITING}
    )
    queue_changed_on_commit()


# Why a ring ended before anyone answered it, as its audit kind.
DECLINE_KINDS = {"declined": Kind.OFFER_DECLINED, "console_closed": Kind.OFFER_CONSOLE_CLOSED}


def assist_offer_decline(
    *, offer_id: int, clerk: User, now: dt.datetime | None = None, route: bool = True, reason: str = "declined"
) -> None:
    now = current(now)
    kind = DECLINE_KINDS[reason]
    with transaction.atomic():
        offer = Offer.objects.filter(pk=offer_id, clerk=clerk).first()
        if offer is None or not Offer.objects.filter(pk=offer_id, outcome=Offer.Outcome.RINGING).update(
            outcome=Offer.Outcome.DECLINED, answered_at=now
        ):
            raise Conflict(_("This call is no longer ringing for you."), code="not_ringing")
        _offer_release(offer=offer, now=now, kind=kind)
    if route:
        assist_route(now=now)


def assist_offer_accept(*, offer_id: int, clerk: User, now: dt.datetime | None = None) -> CallSession:
    """The clerk answers the ring: the call session starts and both members are told to join it."""
    now = current(now)
    cfg = conf()
    with transaction.atomic():
        if not Offer.objects.filter(
            pk=offer_id, clerk=clerk, outcome=Offer.Outcome.RINGING, ring_deadline__gt=now
        ).update(outcome=Offer.Outcome.ACCEPTED, answered_at=now):
            raise Conflict(_("This call is no longer ringing for you."), code="not_ringing")
        offer = Offer.objects.select_related("request__citizen").get(pk=offer_id)
        request = offer.request
        if not AssistRequest.objects.filter(pk=request.pk, state=State.OFFERED).update(state=State.CONNECTED):
            raise Conflict(_("The citizen has left the queue."), code="request_gone")
        ClerkProfile.objects.filter(clerk=clerk).update(status=Status.IN_CALL, status_since=now, idle_since=None)
        return call_start(request=request, clerk=clerk, now=now, cfg=cfg)


def call_start(*, request: AssistRequest, clerk: User, now: dt.datetime, cfg: AssistConf, **audit: Any) -> CallSession:
    """The call session of a request now connected to a clerk (a ring answered, or a request picked from the
    console's waiting list): its members, and both sides told to join it. Runs inside the caller's transaction,
    after its compare-and-set on the request and the clerk."""
    session = CallSession.objects.create(
        request=request,
        citizen=request.citizen,
        clerk=clerk,
        district=clerk.district,
        started_at=now,
        wait_seconds=(now - request.created_at).total_seconds(),
        recording_required=cfg.record_calls,
    )
    assist_audit(
        kind=Kind.CALL_STARTED, at=now, actor_id=clerk.pk, request_id=request.pk, session_id=session.pk, **audit
    )
    call_member_add(session=session, user=request.citizen, role=CallMember.Role.CITIZEN, now=now)
    call_member_add(session=session, user=clerk, role=CallMember.Role.CLERK, now=now)
    for group, peer in ((request_group(request.pk), clerk), (clerk_group(clerk.pk), request.citizen)):
        events.send_on_commit(
            [group],
            handler=events.ASSIST_PUSH,
            payload={
                "type": "call.start",
                "session": session.pk,
                "peer": peer.display_name or peer.username,
                "recording": session.recording_required,
            },
        )
    if session.recording_required:
        events.send_on_commit(
            [RECORDER_CHANNEL_GROUP],
            handler=events.ASSIST_PUSH,
            payload={"type": "record.start", "session": session.pk},
        )
    queue_changed_on_commit()
    return session
