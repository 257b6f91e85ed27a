"""The citizen's side of the queue: the one click, leaving it, asking for a callback."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict, NotAllowed, Unavailable
from helpdesk.conf import conf
from helpdesk.models import AssistRequest, Callback, ClerkProfile, Language, Offer, PriorityReason
from helpdesk.realtime import clerk_group, request_group
from helpdesk.services import case_links, limits, routing
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current
from helpdesk.services.fanout import callbacks_changed_on_commit, queue_changed_on_commit
from standards.models import District, ItemVersion

Status = ClerkProfile.Status
State = AssistRequest.State


def assist_request_create(
    *,
    citizen: User,
    item_version: ItemVersion | None = None,
    case_ref: str = "",
    language: str = Language.MANDARIN,
    priority_reason: str = PriorityReason.NONE,
    now: dt.datetime | None = None,
    route: bool = True,
    district: District | None = None,
) -> AssistRequest:
    """One click: join the queue with the context of the page (the item, the case by its reference).

    `district`: the district the call is about (a firm calling its specialist there), else the caller's own.

    A second click (or a retry of a POST whose answer was lost) returns the open request. A citizen
    makes at most `ASSIST_REQUESTS_PER_DAY` a day; a declared priority is kept but only a verified one
    orders the queue (`limits.trusted_priority`).
    """
    now = current(now)
    cfg = conf()
    if citizen.role not in (User.Role.CITIZEN, User.Role.FIRM):
        raise NotAllowed(_("Only citizens and firms call for assistance."), code="not_a_citizen")
    case_ref = (case_ref or "").strip()
    case_links.request_context_check(citizen=citizen, item_version=item_version, case_ref=case_ref)
    open_requests = AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES)
    try:
        with transaction.atomic():
            # One query for both checks: the citizen's own open request, and a full queue.
            counts = open_requests.aggregate(total=Count("pk"), mine=Count("pk", filter=Q(citizen=citizen)))
            if counts["mine"]:
                return open_requests.get(citizen=citizen)
            limits.check_request_allowed(citizen=citizen, now=now, cfg=cfg)
            if counts["total"] >= cfg.queue_limit:
                raise Unavailable(
                    _("The queue is full. Please try again later or leave a callback number."), code="queue_full"
                )
            priority_reason, priority = limits.trusted_priority(citizen=citizen, declared=priority_reason, now=now)
            request = AssistRequest.objects.create(
                citizen=citizen,
                firm_id=citizen.firm_id if citizen.role == User.Role.FIRM else None,
                item=item_version.item if item_version else None,
                item_version=item_version,
                sector=item_version.sector if item_version else "",
                case_ref=case_ref,
                # The district the call is about (a firm calling its specialist there), else where the caller is at
                # home (household register, insurance, firm): a 黄浦 caller rings as 本区 in 黄浦, never as 联盟其他区
                # (accounts.models.User.home_district_id).
                district_id=district.pk if district is not None else citizen.home_district_id,
                language=language,
                priority_reason=priority_reason,
                priority=priority,
                created_at=now,
                # No queue socket yet: the page (or a client of the API) opens one at once, and the sweep
                # abandons a request whose citizen never does, or leaves, for ASSIST_REJOIN_GRACE.
                citizen_left_at=now,
            )
            assist_audit(
                kind=Kind.REQUEST_CREATED,
                at=now,
                actor_id=citizen.pk,
                request_id=request.pk,
                item=request.item_id,
                case=case_ref or None,
                priority=priority_reason,
                priority_verified=bool(priority),
                language=language,
            )
    except IntegrityError:  # a double click raced us (one open request per citizen): the other click's is the one
        return open_requests.get(citizen=citizen)
    if route and any(offer.request_id == request.pk for offer in routing.assist_route(now=now).offers):
        request.state = State.OFFERED  # already ringing (the queue socket hears of any later change)
    # Positions of everyone waiting changed: pushed by the worker, after the ring has gone out.
    queue_changed_on_commit()
    return request


def _withdraw_ringing_offer(request: AssistRequest, now: dt.datetime) -> bool:
    """End the ring of a request that leaves the queue; True when a clerk was ringing for it."""
    withdrawn = False
    for offer in Offer.objects.filter(request=request, outcome=Offer.Outcome.RINGING):
        if Offer.objects.filter(pk=offer.pk, outcome=Offer.Outcome.RINGING).update(
            outcome=Offer.Outcome.WITHDRAWN, answered_at=now
        ):
            # The clerk did nothing wrong: back to available, keeping their place in the idle order.
            ClerkProfile.objects.filter(clerk_id=offer.clerk_id, status=Status.RINGING).update(
                status=Status.AVAILABLE, status_since=now
            )
            events.send_on_commit(
                [clerk_group(offer.clerk_id)],
                handler=events.ASSIST_PUSH,
                payload={"type": "ring.cancelled", "offer": offer.pk},
            )
            withdrawn = True
    return withdrawn


def assist_request_cancel(
    *, request: AssistRequest, actor: User, now: dt.datetime | None = None, abandoned: bool = False, route: bool = True
) -> AssistRequest:
    """The citizen leaves the queue (or, `abandoned`, the sweep finds they left the page)."""
    now = current(now)
    new_state = State.ABANDONED if abandoned else State.CANCELLED
    with transaction.atomic():
        if not AssistRequest.objects.filter(pk=request.pk, state__in=AssistRequest.OPEN_STATES).update(
            state=new_state, closed_at=now
        ):
            raise Conflict(_("This request is no longer waiting."), code="invalid_state")
        withdrawn = _withdraw_ringing_offer(request, now)
        assist_audit(
            kind=Kind.REQUEST_ABANDONED if abandoned else Kind.REQUEST_CANCELLED,
            at=now,
            actor_id=actor.pk,
            request_id=request.pk,
        )
        events.send_on_commit(
            [request_group(request.pk)], handler=events.ASSIST_PUSH, payload={"type": "state", "state": new_state}
        )
        queue_changed_on_commit()
    if withdrawn and route:
        # The clerk who was ringing is available again: the next waiting citizen need not wait for the beat.
        routing.assist_route(now=now)
    request.refresh_from_db()
    return request


def assist_request_callback(
    *, request: AssistRequest, actor: User, phone: str = "", now: dt.datetime | None = None, route: bool = True
) -> AssistRequest:
    """The citizen leaves the queue and asks to be called back (the request keeps its context).

    The number called is the account's phone: a number typed in is accepted only if it is that one
    (nothing else is verified). A citizen has one open callback at a time and at most
    `ASSIST_CALLBACKS_PER_DAY` a day. The callback joins the clerks' list (`Callback`), and every
    signed-in console is told so.
    """
    now = current(now)
    account_phone = _digits(request.citizen.phone or "")
    if not account_phone:
        raise Conflict(
            _("Your account has no phone number: add one to your account to be called back."), code="phone_required"
        )
    if phone and _digits(phone) != account_phone:
        raise Conflict(
            _("We can only call the phone number of your account. Change it in your account first."),
            code="phone_not_verified",
        )
    with transaction.atomic():
        limits.check_callback_allowed(citizen=request.citizen, now=now, cfg=conf())
        if not AssistRequest.objects.filter(pk=request.pk, state__in=AssistRequest.OPEN_STATES).update(
            state=State.CALLBACK, callback_phone=account_phone[:20], closed_at=now
        ):
            raise Conflict(_("This request is no longer waiting."), code="invalid_state")
        withdrawn = _withdraw_ringing_offer(request, now)
        callback = Callback.objects.create(request=request, created_at=now)
        assist_audit(kind=Kind.REQUEST_CALLBACK, at=now, actor_id=actor.pk, request_id=request.pk, callback=callback.pk)
        events.send_on_commit(
            [request_group(request.pk)], handler=events.ASSIST_PUSH, payload={"type": "state", "state": State.CALLBACK}
        )
        queue_changed_on_commit()
        callbacks_changed_on_commit()
    if withdrawn and route:
        routing.assist_route(now=now)
    request.refresh_from_db()
    return request


def _digits(phone: str) -> str:
    """A phone number as written (spaces, dashes, a +86 prefix) reduced to its digits."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return digits[2:] if phone.strip().startswith("+86") else digits


def assist_request_left(*, request_id: int, now: dt.datetime | None = None) -> None:
    """The citizen's queue socket closed: the sweep abandons the request if they do not return."""
    AssistRequest.objects.filter(pk=request_id, state__in=AssistRequest.OPEN_STATES).update(
        citizen_left_at=current(now)
    )


def assist_request_returned(*, request_id: int) -> None:
    AssistRequest.objects.filter(pk=request_id, state__in=AssistRequest.OPEN_STATES).update(citizen_left_at=None)
