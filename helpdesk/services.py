"""Writes of the helpdesk: every state change is one function, one transaction, a guard on the
current state (compare-and-set), an audit row, and channel-layer events after commit.

Every function takes `now` so that tests drive the clock; production passes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import FirmSpecialist, User
from govservice import events
from helpdesk import router
from helpdesk.conf import AssistConf, conf
from helpdesk.models import (
    PRIORITY_OF_REASON,
    AssistEvent,
    AssistRequest,
    Callback,
    CallSession,
    ClerkProfile,
    Language,
    Offer,
    PriorityReason,
    Snapshot,
)
from helpdesk.realtime import RECORDER_CHANNEL_GROUP, call_group, clerk_group, request_group

log = logging.getLogger(__name__)

Status = ClerkProfile.Status
State = AssistRequest.State


class AssistError(Exception):
    """A request the current state does not allow; `code` is stable for clients."""

    def __init__(self, message: str, *, code: str = "invalid_state"):
        super().__init__(message)
        self.code = code


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def audit(
    *,
    kind: str,
    at: dt.datetime,
    actor: User | None = None,
    request: AssistRequest | None = None,
    session: CallSession | None = None,
    **data: Any,
) -> None:
    AssistEvent.objects.create(kind=kind, at=at, actor=actor, request=request, session=session, data=data)


# Changes within this many seconds share one fan-out of queue positions.
QUEUE_BROADCAST_DELAY = 0.25
QUEUE_BROADCAST_PENDING = "helpdesk:queue-broadcast-pending"


def _queue_changed_on_commit() -> None:
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


# --- Requests ------------------------------------------------------------------------------


def assist_request_create(
    *,
    citizen: User,
    item_version=None,
    case_ref: int | None = None,
    language: str = Language.MANDARIN,
    priority_reason: str = PriorityReason.NONE,
    now: dt.datetime | None = None,
    route: bool = True,
) -> AssistRequest:
    """One click: join the queue with the context of the page. A second click returns the open request."""
    now = _now(now)
    cfg = conf()
    if citizen.role not in (User.Role.CITIZEN, User.Role.FIRM):
        raise AssistError(_("Only citizens and firms call for assistance."), code="not_a_citizen")
    open_requests = AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES)
    try:
        with transaction.atomic():
            # One query for both checks: the citizen's own open request, and a full queue.
            counts = open_requests.aggregate(total=Count("pk"), mine=Count("pk", filter=Q(citizen=citizen)))
            if counts["mine"]:
                return open_requests.get(citizen=citizen)
            if counts["total"] >= cfg.queue_limit:
                raise AssistError(
                    _("The queue is full. Please try again later or leave a callback number."), code="queue_full"
                )
            request = AssistRequest.objects.create(
                citizen=citizen,
                firm_id=citizen.firm_id if citizen.role == User.Role.FIRM else None,
                item=item_version.item if item_version else None,
                item_version=item_version,
                sector=item_version.sector if item_version else "",
                case_ref=case_ref,
                district_id=citizen.district_id,
                language=language,
                priority_reason=priority_reason,
                priority=PRIORITY_OF_REASON[PriorityReason(priority_reason)],
                created_at=now,
            )
            audit(
                kind="request.created",
                at=now,
                actor=citizen,
                request=request,
                item=request.item_id,
                case=case_ref,
                priority=priority_reason,
                language=language,
            )
    except IntegrityError:  # a double click raced us (one open request per citizen): the other click's is the one
        return open_requests.get(citizen=citizen)
    if route and any(offer.request_id == request.pk for offer in assist_route(now=now).offers):
        request.state = State.OFFERED  # already ringing (the queue socket hears of any later change)
    # Positions of everyone waiting changed: pushed by the worker, after the ring has gone out.
    _queue_changed_on_commit()
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
    now = _now(now)
    new_state = State.ABANDONED if abandoned else State.CANCELLED
    with transaction.atomic():
        if not AssistRequest.objects.filter(pk=request.pk, state__in=AssistRequest.OPEN_STATES).update(
            state=new_state, closed_at=now
        ):
            raise AssistError(_("This request is no longer waiting."))
        withdrawn = _withdraw_ringing_offer(request, now)
        audit(kind=f"request.{new_state}", at=now, actor=actor, request=request)
        events.send_on_commit(
            [request_group(request.pk)], handler=events.ASSIST_PUSH, payload={"type": "state", "state": new_state}
        )
        _queue_changed_on_commit()
    if withdrawn and route:
        # The clerk who was ringing is available again: the next waiting citizen need not wait for the beat.
        assist_route(now=now)
    request.refresh_from_db()
    return request


def assist_request_callback(
    *, request: AssistRequest, actor: User, phone: str = "", now: dt.datetime | None = None, route: bool = True
) -> AssistRequest:
    """The citizen leaves the queue and asks to be called back (the request keeps its context).

    The callback joins the clerks' list (`Callback`), and every signed-in console is told so.
    """
    now = _now(now)
    phone = (phone or actor.phone or "").strip()
    if not phone:
        raise AssistError(_("Give a phone number for the callback."), code="phone_required")
    with transaction.atomic():
        if not AssistRequest.objects.filter(pk=request.pk, state__in=AssistRequest.OPEN_STATES).update(
            state=State.CALLBACK, callback_phone=phone[:20], closed_at=now
        ):
            raise AssistError(_("This request is no longer waiting."))
        withdrawn = _withdraw_ringing_offer(request, now)
        callback = Callback.objects.create(request=request, created_at=now)
        audit(kind="request.callback", at=now, actor=actor, request=request, callback=callback.pk)
        events.send_on_commit(
            [request_group(request.pk)], handler=events.ASSIST_PUSH, payload={"type": "state", "state": State.CALLBACK}
        )
        _queue_changed_on_commit()
        _callbacks_changed_on_commit()
    if withdrawn and route:
        assist_route(now=now)
    request.refresh_from_db()
    return request


def assist_request_left(*, request_id: int, now: dt.datetime | None = None) -> None:
    """The citizen's queue socket closed: the sweep abandons the request if they do not return."""
    AssistRequest.objects.filter(pk=request_id, state__in=AssistRequest.OPEN_STATES).update(citizen_left_at=_now(now))


def assist_request_returned(*, request_id: int) -> None:
    AssistRequest.objects.filter(pk=request_id, state__in=AssistRequest.OPEN_STATES).update(citizen_left_at=None)


# --- Clerk presence ----------------------------------------------------------------------------


def clerk_profile_for(clerk: User) -> ClerkProfile:
    if clerk.role != User.Role.CLERK:
        raise AssistError(_("Only clerks answer calls."), code="not_a_clerk")
    profile, _created = ClerkProfile.objects.get_or_create(clerk=clerk)
    return profile


def clerk_presence_set(*, clerk: User, status: str, now: dt.datetime | None = None, route: bool = True) -> ClerkProfile:
    """The clerk's own toggle: available or away (a clerk in a call or ringing finishes that first)."""
    now = _now(now)
    if status not in (Status.AVAILABLE, Status.AWAY, Status.OFFLINE):
        raise AssistError(_("A clerk can only make themselves available, away or offline."))
    profile = clerk_profile_for(clerk)
    allowed_from = [Status.OFFLINE, Status.AVAILABLE, Status.AWAY, Status.WRAP_UP]
    with transaction.atomic():
        fields: dict[str, Any] = {"status": status, "status_since": now, "last_heartbeat": now}
        if status == Status.AVAILABLE:
            # Idle time counts from now unless the clerk was already available.
            updated = ClerkProfile.objects.filter(pk=profile.pk, status=Status.AVAILABLE).update(last_heartbeat=now)
            if not updated:
                fields["idle_since"] = now
                updated = ClerkProfile.objects.filter(pk=profile.pk, status__in=allowed_from).update(**fields)
        else:
            updated = ClerkProfile.objects.filter(pk=profile.pk, status__in=allowed_from).update(**fields)
        if not updated:
            profile.refresh_from_db()
            raise AssistError(
                _("Finish the current call first (status: %(status)s).") % {"status": profile.get_status_display()}
            )
        audit(kind=f"clerk.{status}", at=now, actor=clerk)
        events.send_on_commit(
            [clerk_group(clerk.pk)], handler=events.ASSIST_PUSH, payload={"type": "presence", "status": status}
        )
    if route and status == Status.AVAILABLE:
        assist_route(now=now)
    profile.refresh_from_db()
    return profile


def clerk_heartbeat(*, clerk: User, now: dt.datetime | None = None) -> ClerkProfile:
    now = _now(now)
    profile = clerk_profile_for(clerk)
    ClerkProfile.objects.filter(pk=profile.pk).update(last_heartbeat=now)
    profile.refresh_from_db()
    return profile


def clerk_console_closed(*, clerk: User, now: dt.datetime | None = None) -> None:
    """The console socket closed: a ringing offer is declined and an idle clerk goes offline."""
    now = _now(now)
    for offer in Offer.objects.filter(clerk=clerk, outcome=Offer.Outcome.RINGING):
        try:
            assist_offer_decline(offer_id=offer.pk, clerk=clerk, now=now, route=False, reason="console_closed")
        except AssistError:
            pass
    with transaction.atomic():
        if ClerkProfile.objects.filter(clerk=clerk, status__in=[Status.AVAILABLE, Status.AWAY]).update(
            status=Status.OFFLINE, status_since=now
        ):
            audit(kind="clerk.offline", at=now, actor=clerk, reason="console_closed")
    assist_route(now=now)


# --- Routing ----------------------------------------------------------------------------------


def _clerk_views(*, firms: bool = True, items: bool = True) -> list[router.ClerkView]:
    """Plain values, no model instances: this runs on every click and every presence change.

    A pass whose waiting requests name no firm (or no item) skips reading the specialists (or the
    clerks' items): the router only looks at them for such requests.
    """
    rows = list(
        ClerkProfile.objects.exclude(status=Status.OFFLINE).values_list(
            "pk",
            "clerk_id",
            "clerk__district_id",
            "clerk__district__city",
            "status",
            "idle_since",
            "sectors",
            "languages",
        )
    )
    clerk_ids = [row[1] for row in rows]
    specialists: dict[int, set[int]] = {}
    if firms and rows:
        for clerk_id, firm_id in FirmSpecialist.objects.filter(active=True, clerk_id__in=clerk_ids).values_list(
            "clerk_id", "firm_id"
        ):
            specialists.setdefault(clerk_id, set()).add(firm_id)
    item_skills: dict[int, set[int]] = {}
    if items and rows:
        for profile_id, item_id in ClerkProfile.items.through.objects.filter(
            clerkprofile_id__in=[row[0] for row in rows]
        ).values_list("clerkprofile_id", "serviceitem_id"):
            item_skills.setdefault(profile_id, set()).add(item_id)
    return [
        router.ClerkView(
            user_id=clerk_id,
            profile_id=profile_id,
            district_id=district_id,
            city=city or "",
            status=status,
            idle_since=idle_since,
            sectors=frozenset(sectors or []),
            item_ids=frozenset(item_skills.get(profile_id, ())),
            languages=frozenset(languages or [Language.MANDARIN]),
            specialist_firm_ids=frozenset(specialists.get(clerk_id, ())),
        )
        for profile_id, clerk_id, district_id, city, status, idle_since, sectors, languages in rows
    ]


REQUEST_VIEW_FIELDS = (
    "pk",
    "created_at",
    "priority",
    "firm_id",
    "district_id",
    "district__city",
    "item_id",
    "sector",
    "language",
    "callback_offered_at",
)


def _request_views(requests, now: dt.datetime) -> list[router.RequestView]:
    """Snapshots of requests (model instances or a queryset, read as plain values)."""
    if isinstance(requests, list):
        rows = [
            (
                r.pk,
                r.created_at,
                r.priority,
                r.firm_id,
                r.district_id,
                r.district.city if r.district_id else "",
                r.item_id,
                r.sector,
                r.language,
                r.callback_offered_at,
            )
            for r in requests
        ]
    else:
        rows = list(requests.values_list(*REQUEST_VIEW_FIELDS))
    recent = now - dt.timedelta(seconds=60)
    excluded: dict[int, set[int]] = {}
    # Recently declined or timed-out offers: few rows, whatever the length of the queue.
    for request_id, clerk_id in Offer.objects.filter(
        outcome__in=[Offer.Outcome.DECLINED, Offer.Outcome.TIMED_OUT], created_at__gte=recent
    ).values_list("request_id", "clerk_id"):
        excluded.setdefault(request_id, set()).add(clerk_id)
    return [
        router.RequestView(
            id=pk,
            created_at=created_at,
            priority=priority,
            firm_id=firm_id,
            district_id=district_id,
            city=city or "",
            item_id=item_id,
            sector=sector,
            language=language,
            excluded_clerk_ids=frozenset(excluded.get(pk, ())),
            callback_offered=callback_offered_at is not None,
        )
        for pk, created_at, priority, firm_id, district_id, city, item_id, sector, language, callback_offered_at in rows
    ]


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
    now = _now(now)
    cfg = cfg or conf()
    expired = assist_offers_expire(now=now)
    views = _request_views(AssistRequest.objects.filter(state=State.WAITING), now)
    if not views:
        return RoutePass([], expired, 0)
    clerks = _clerk_views(firms=any(v.firm_id for v in views), items=any(v.item_id for v in views))
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
            AssistEvent.objects.create(
                kind="offer.ringing",
                at=now,
                request=request,
                actor_id=clerk_id,
                data={"offer": offer.pk, "stage": stage},
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
    except (_LostRace, IntegrityError):
        return None
    return offer


class _LostRace(Exception):
    pass


def request_context(request: AssistRequest) -> dict[str, Any]:
    """What the ringing clerk sees before answering (no ID number)."""
    citizen = request.citizen
    version = request.item_version
    return {
        "citizen": citizen.display_name or citizen.username,
        "firm": request.firm.name if request.firm_id else None,
        "district": str(request.district) if request.district_id else None,
        "item": version.name if version else None,
        "item_code": request.item.code if request.item_id else None,
        "case": request.case_ref,
        "language": request.get_language_display(),
        "priority": request.get_priority_reason_display() if request.priority else None,
        "waiting_since": request.created_at.isoformat(),
    }


def _callback_offer(*, request_id: int, now: dt.datetime) -> None:
    with transaction.atomic():
        if AssistRequest.objects.filter(pk=request_id, callback_offered_at__isnull=True).update(
            callback_offered_at=now
        ):
            AssistEvent.objects.create(kind="request.callback_offered", at=now, request_id=request_id)
            events.send_on_commit(
                [request_group(request_id)], handler=events.ASSIST_PUSH, payload={"type": "callback.offer"}
            )


def assist_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Ring timers live in the database: every pass (and beat) ends the overdue ones."""
    now = _now(now)
    count = 0
    for offer in Offer.objects.filter(outcome=Offer.Outcome.RINGING, ring_deadline__lte=now):
        with transaction.atomic():
            if not Offer.objects.filter(pk=offer.pk, outcome=Offer.Outcome.RINGING).update(
                outcome=Offer.Outcome.TIMED_OUT, answered_at=now
            ):
                continue  # accepted or declined meanwhile
            _offer_release(offer=offer, now=now, kind="offer.timed_out")
            count += 1
    return count


def _offer_release(*, offer: Offer, now: dt.datetime, kind: str) -> None:
    """A ring that ended unanswered: the clerk goes away, the request is waiting again in its place."""
    ClerkProfile.objects.filter(clerk_id=offer.clerk_id, status=Status.RINGING).update(
        status=Status.AWAY, status_since=now
    )
    AssistRequest.objects.filter(pk=offer.request_id, state=State.OFFERED).update(state=State.WAITING)
    AssistEvent.objects.create(
        kind=kind, at=now, request_id=offer.request_id, actor_id=offer.clerk_id, data={"offer": offer.pk}
    )
    events.send_on_commit(
        [clerk_group(offer.clerk_id)], handler=events.ASSIST_PUSH, payload={"type": "ring.cancelled", "offer": offer.pk}
    )
    events.send_on_commit(
        [clerk_group(offer.clerk_id)], handler=events.ASSIST_PUSH, payload={"type": "presence", "status": Status.AWAY}
    )
    events.send_on_commit(
        [request_group(offer.request_id)], handler=events.ASSIST_PUSH, payload={"type": "state", "state": State.WAITING}
    )


def assist_offer_decline(
    *, offer_id: int, clerk: User, now: dt.datetime | None = None, route: bool = True, reason: str = "declined"
) -> None:
    now = _now(now)
    with transaction.atomic():
        offer = Offer.objects.filter(pk=offer_id, clerk=clerk).first()
        if offer is None or not Offer.objects.filter(pk=offer_id, outcome=Offer.Outcome.RINGING).update(
            outcome=Offer.Outcome.DECLINED, answered_at=now
        ):
            raise AssistError(_("This call is no longer ringing for you."), code="not_ringing")
        _offer_release(offer=offer, now=now, kind=f"offer.{reason}")
    if route:
        assist_route(now=now)


def ice_servers_for(user: User) -> list[dict[str, Any]]:
    """STUN as configured; TURN with short-lived credentials (the TURN REST scheme), never the secret."""
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        expires = int(time.time()) + settings.TURN_CREDENTIAL_TTL
        username = f"{expires}:{user.pk}"
        digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append(
            {"urls": list(settings.TURN_URLS), "username": username, "credential": base64.b64encode(digest).decode()}
        )
    return servers


def assist_offer_accept(*, offer_id: int, clerk: User, now: dt.datetime | None = None) -> CallSession:
    now = _now(now)
    cfg = conf()
    with transaction.atomic():
        if not Offer.objects.filter(
            pk=offer_id, clerk=clerk, outcome=Offer.Outcome.RINGING, ring_deadline__gt=now
        ).update(outcome=Offer.Outcome.ACCEPTED, answered_at=now):
            raise AssistError(_("This call is no longer ringing for you."), code="not_ringing")
        offer = Offer.objects.select_related("request__citizen").get(pk=offer_id)
        request = offer.request
        if not AssistRequest.objects.filter(pk=request.pk, state=State.OFFERED).update(state=State.CONNECTED):
            raise AssistError(_("The citizen has left the queue."), code="request_gone")
        ClerkProfile.objects.filter(clerk=clerk).update(status=Status.IN_CALL, status_since=now, idle_since=None)
        session = CallSession.objects.create(
            request=request,
            citizen=request.citizen,
            clerk=clerk,
            district=clerk.district,
            started_at=now,
            wait_seconds=(now - request.created_at).total_seconds(),
            recording_required=cfg.record_calls,
        )
        audit(kind="call.started", at=now, actor=clerk, request=request, session=session)
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
        _queue_changed_on_commit()
    return session


# --- The call ---------------------------------------------------------------------------------


def call_session_end(
    *, session: CallSession, actor: User | None, now: dt.datetime | None = None, dropped: bool = False
) -> CallSession:
    now = _now(now)
    with transaction.atomic():
        fields: dict[str, Any] = {"ended_at": now, "talk_seconds": (now - session.started_at).total_seconds()}
        if dropped:
            fields["outcome"] = CallSession.Outcome.DROPPED
        if not CallSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(**fields):
            session.refresh_from_db()
            return session  # the other party hung up first
        AssistRequest.objects.filter(pk=session.request_id, state=State.CONNECTED).update(
            state=State.DONE, closed_at=now
        )
        ClerkProfile.objects.filter(clerk_id=session.clerk_id, status=Status.IN_CALL).update(
            status=Status.WRAP_UP, status_since=now
        )
        audit(kind="call.dropped" if dropped else "call.ended", at=now, actor=actor, session=session)
        by = session.role_of(actor.pk) if actor else None
        for role in ("citizen", "clerk", "recorder"):
            events.send_on_commit(
                [call_group(session.pk, role)], handler=events.ASSIST_PUSH, payload={"type": "hangup", "by": by}
            )
        events.send_on_commit(
            [clerk_group(session.clerk_id)],
            handler=events.ASSIST_PUSH,
            payload={"type": "presence", "status": Status.WRAP_UP},
        )
    session.refresh_from_db()
    return session


def call_member_left(*, session_id: int, role: str, now: dt.datetime | None = None) -> None:
    field = f"{role}_left_at"
    CallSession.objects.filter(pk=session_id, ended_at__isnull=True).update(**{field: _now(now)})


def call_member_returned(*, session_id: int, role: str) -> None:
    CallSession.objects.filter(pk=session_id, ended_at__isnull=True).update(**{f"{role}_left_at": None})


def call_session_wrap_up(
    *,
    session: CallSession,
    clerk: User,
    notes: str,
    outcome: str,
    case_ref: int | None = None,
    new_draft_case: bool = False,
    then_available: bool = True,
    now: dt.datetime | None = None,
) -> CallSession:
    now = _now(now)
    if session.clerk_id != clerk.pk:
        raise AssistError(_("Only the clerk of the call writes its wrap-up."), code="forbidden")
    if outcome not in CallSession.Outcome.values or outcome == CallSession.Outcome.ONGOING:
        raise AssistError(_("Choose an outcome."), code="outcome_required")
    if case_ref is not None:
        call_case_for(session=session, case_id=case_ref)
    elif new_draft_case:
        case_ref = call_case_draft_create(session=session, clerk=clerk)
    if session.ended_at is None:
        session = call_session_end(session=session, actor=clerk, now=now)
    with transaction.atomic():
        if not CallSession.objects.filter(pk=session.pk, wrapped_up_at__isnull=True).update(
            notes=notes, outcome=outcome, case_ref=case_ref, wrapped_up_at=now
        ):
            raise AssistError(_("The wrap-up is already written."), code="already_wrapped_up")
        audit(kind="call.wrapped_up", at=now, actor=clerk, session=session, outcome=outcome, case=case_ref)
    # Back to the queue (the longest-idle order counts from now).
    if then_available:
        clerk_presence_set(clerk=clerk, status=Status.AVAILABLE, now=now)
    else:
        clerk_presence_set(clerk=clerk, status=Status.AWAY, now=now)
    session.refresh_from_db()
    return session


def call_session_rate(
    *, session: CallSession, citizen: User, rating: int, comment: str = "", now: dt.datetime | None = None
) -> CallSession:
    now = _now(now)
    if session.citizen_id != citizen.pk:
        raise AssistError(_("Only the caller rates the call."), code="forbidden")
    if not 1 <= int(rating) <= 5:
        raise AssistError(_("A rating is from 1 to 5."), code="bad_rating")
    with transaction.atomic():
        if not CallSession.objects.filter(pk=session.pk, rating__isnull=True, ended_at__isnull=False).update(
            rating=rating, rating_comment=comment[:300]
        ):
            raise AssistError(_("This call is already rated or still running."), code="cannot_rate")
        audit(kind="call.rated", at=now, actor=citizen, session=session, rating=rating)
    session.refresh_from_db()
    return session


ALLOWED_SNAPSHOT_TYPES = {"image/jpeg", "image/png", "image/webp"}


def call_snapshot_add(*, session: CallSession, clerk: User, uploaded_file, now: dt.datetime | None = None) -> Snapshot:
    """A still of the citizen's video, checked by its content like any upload."""
    import filetype

    now = _now(now)
    if session.clerk_id != clerk.pk:
        raise AssistError(_("Only the clerk of the call takes snapshots."), code="forbidden")
    head = uploaded_file.read(262)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_SNAPSHOT_TYPES:
        raise AssistError(_("A snapshot must be a JPEG, PNG or WebP image."), code="bad_file")
    if uploaded_file.size > 5 * 1024 * 1024:
        raise AssistError(_("A snapshot is at most 5 MB."), code="too_large")
    with transaction.atomic():
        snapshot = Snapshot(session=session, taken_by=clerk)
        snapshot.image.save(f"call{session.pk}-{int(now.timestamp())}.{kind.extension}", uploaded_file, save=False)
        snapshot.save()
        audit(kind="call.snapshot", at=now, actor=clerk, session=session, snapshot=snapshot.pk)
    return snapshot


def call_recording_attach(*, session_id: int, path: str, now: dt.datetime | None = None) -> None:
    """The recorder wrote the call's media to `path` (relative to MEDIA_ROOT)."""
    now = _now(now)
    with transaction.atomic():
        CallSession.objects.filter(pk=session_id).update(recording=path)
        AssistEvent.objects.create(kind="call.recorded", at=now, session_id=session_id, data={"file": path})


# --- The sweep (beat and every pass) ------------------------------------------------------------


def assist_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Stale presence goes offline; calls whose member did not return end; gone citizens are abandoned."""
    now = _now(now)
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
                AssistEvent.objects.create(
                    kind="clerk.offline", at=now, actor_id=profile.clerk_id, data={"reason": "no_heartbeat"}
                )
                offline += 1
    grace = now - dt.timedelta(seconds=cfg.rejoin_grace)
    dropped = 0
    for session in CallSession.objects.filter(ended_at__isnull=True).filter(
        Q(citizen_left_at__lt=grace) | Q(clerk_left_at__lt=grace)
    ):
        call_session_end(session=session, actor=None, now=now, dropped=True)
        dropped += 1
    abandoned = 0
    for request in AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES, citizen_left_at__lt=grace):
        try:
            # The pass below routes for all of them at once.
            assist_request_cancel(request=request, actor=request.citizen, now=now, abandoned=True, route=False)
            abandoned += 1
        except AssistError:
            pass
    released = callback_claims_expire(now=now, cfg=cfg)
    result = assist_route(now=now)
    return {
        "offline": offline,
        "dropped": dropped,
        "abandoned": abandoned,
        "expired": result.expired,
        "offered": len(result.offers),
        "callbacks_released": released,
    }


# --- Callbacks: the clerks' list of citizens to phone back ---------------------------------------


def _callbacks_changed_on_commit() -> None:
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


def _callback_for(*, callback_id: int, clerk: User) -> Callback:
    """The callback if the clerk may handle it (the skills of a ring: language, sector or item)."""
    from helpdesk import selectors

    clerk_profile_for(clerk)
    callback = Callback.objects.select_related("request").filter(pk=callback_id).first()
    if callback is None or not selectors.callback_may_handle(clerk=clerk, callback=callback):
        raise AssistError(_("No such callback in your list."), code="not_found")
    return callback


def callback_claim(*, callback_id: int, clerk: User, now: dt.datetime | None = None) -> Callback:
    """The clerk takes the callback: only they see the number until they record the outcome or give it back."""
    now = _now(now)
    callback = _callback_for(callback_id=callback_id, clerk=clerk)
    try:
        with transaction.atomic():
            # Compare-and-set: of two clerks claiming at once, the second UPDATE re-reads the
            # committed row (PostgreSQL) or waits for the first writer (SQLite) and matches nothing.
            if not Callback.objects.filter(pk=callback.pk, status=Callback.Status.OPEN).update(
                status=Callback.Status.CLAIMED, claimed_by=clerk, claimed_at=now
            ):
                raise AssistError(_("Another clerk has already claimed this callback."), code="already_claimed")
            audit(kind="callback.claimed", at=now, actor=clerk, request=callback.request, callback=callback.pk)
            _callbacks_changed_on_commit()
    except IntegrityError as exc:  # one claimed callback per clerk
        raise AssistError(_("Finish the callback you have claimed first."), code="callback_in_hand") from exc
    callback.refresh_from_db()
    return callback


def callback_release(*, callback_id: int, clerk: User, now: dt.datetime | None = None) -> Callback:
    """The clerk gives a claimed callback back to the list, untried."""
    now = _now(now)
    callback = _callback_for(callback_id=callback_id, clerk=clerk)
    with transaction.atomic():
        if not Callback.objects.filter(pk=callback.pk, status=Callback.Status.CLAIMED, claimed_by=clerk).update(
            status=Callback.Status.OPEN, claimed_by=None, claimed_at=None
        ):
            raise AssistError(_("You have not claimed this callback."), code="not_claimed")
        audit(kind="callback.released", at=now, actor=clerk, request=callback.request, callback=callback.pk)
        _callbacks_changed_on_commit()
    callback.refresh_from_db()
    return callback


def callback_done(
    *, callback_id: int, clerk: User, outcome: str, note: str = "", now: dt.datetime | None = None
) -> Callback:
    """The clerk phoned: reached closes it; no answer puts it back on the list, or closes it as
    unreachable after the last allowed attempt (`ASSIST_CALLBACK_MAX_ATTEMPTS`)."""
    now = _now(now)
    cfg = conf()
    if outcome not in Callback.Outcome.values:
        raise AssistError(_("Choose an outcome."), code="outcome_required")
    callback = _callback_for(callback_id=callback_id, clerk=clerk)
    note = note.strip()[:500]
    attempts = callback.attempts + 1
    fields: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "last_note": note}
    if outcome == Callback.Outcome.REACHED:
        fields.update(status=Callback.Status.REACHED, closed_at=now)
    elif attempts >= cfg.callback_max_attempts:
        fields.update(status=Callback.Status.UNREACHABLE, closed_at=now)
    else:
        fields.update(status=Callback.Status.OPEN, claimed_by=None, claimed_at=None)
    with transaction.atomic():
        # Compare-and-set on the attempt count too: a double submit counts one attempt.
        if not Callback.objects.filter(
            pk=callback.pk, status=Callback.Status.CLAIMED, claimed_by=clerk, attempts=callback.attempts
        ).update(**fields):
            raise AssistError(_("You have not claimed this callback."), code="not_claimed")
        audit(
            kind=f"callback.{outcome}",
            at=now,
            actor=clerk,
            request=callback.request,
            callback=callback.pk,
            attempt=attempts,
            note=note,
        )
        if fields["status"] == Callback.Status.UNREACHABLE:
            audit(
                kind="callback.unreachable",
                at=now,
                actor=clerk,
                request=callback.request,
                callback=callback.pk,
                attempts=attempts,
            )
        _callbacks_changed_on_commit()
    callback.refresh_from_db()
    return callback


def callback_claims_expire(*, now: dt.datetime | None = None, cfg: AssistConf | None = None) -> int:
    """A claim nobody closed (the clerk left, say) goes back to the list after `ASSIST_CALLBACK_CLAIM_TIMEOUT`."""
    now = _now(now)
    cfg = cfg or conf()
    cutoff = now - dt.timedelta(seconds=cfg.callback_claim_timeout)
    released = 0
    for pk, request_id, clerk_id in Callback.objects.filter(
        status=Callback.Status.CLAIMED, claimed_at__lt=cutoff
    ).values_list("pk", "request_id", "claimed_by_id"):
        with transaction.atomic():
            if Callback.objects.filter(
                pk=pk, status=Callback.Status.CLAIMED, claimed_by_id=clerk_id, claimed_at__lt=cutoff
            ).update(status=Callback.Status.OPEN, claimed_by=None, claimed_at=None):
                AssistEvent.objects.create(
                    kind="callback.claim_expired",
                    at=now,
                    request_id=request_id,
                    actor_id=clerk_id,
                    data={"callback": pk},
                )
                released += 1
    if released:
        _callbacks_changed_on_commit()
    return released


# --- Links to the cases app --------------------------------------------------------------------


def _case_error(exc: Exception) -> AssistError:
    messages = getattr(exc, "messages", None) or [str(exc)]
    return AssistError(" ".join(str(m) for m in messages), code="case_refused")


def call_case_for(*, session: CallSession, case_id: int):
    """A case the caller may see (their own, as applicant, agent or principal): never another person's."""
    from cases.selectors import cases_visible_to

    case = cases_visible_to(session.citizen).filter(pk=case_id).first()
    if case is None:
        raise AssistError(_("This case does not belong to the caller."), code="case_not_found")
    return case


def call_snapshot_file_to_case(
    *, snapshot: Snapshot, clerk: User, case_id: int, item_material_id: int, now: dt.datetime | None = None
) -> None:
    """File a snapshot as a material of the caller's case (checked like any upload by the cases app)."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.core.files import File

    from cases.services import case_material_add
    from govservice.errors import DomainError
    from standards.models import ItemMaterial

    now = _now(now)
    session = snapshot.session
    case = call_case_for(session=session, case_id=case_id)
    item_material = ItemMaterial.objects.filter(pk=item_material_id, version_id=case.item_version_id).first()
    if item_material is None:
        raise AssistError(_("This material is not asked for by the case's item."), code="bad_material")
    try:
        with snapshot.image.open("rb") as handle:
            case_material_add(
                case=case, item_material=item_material, uploaded_file=File(handle, name=handle.name), actor=clerk
            )
    except (ValidationError, PermissionDenied, DomainError) as exc:
        raise _case_error(exc) from exc
    with transaction.atomic():
        Snapshot.objects.filter(pk=snapshot.pk).update(filed_as_case_material=True)
        if session.case_ref is None:
            CallSession.objects.filter(pk=session.pk, case_ref__isnull=True).update(case_ref=case.pk)
        audit(
            kind="call.snapshot_filed",
            at=now,
            actor=clerk,
            session=session,
            snapshot=snapshot.pk,
            case=case.pk,
            material=item_material.pk,
        )


def call_case_draft_create(*, session: CallSession, clerk: User) -> int:
    """A new draft case for the item the citizen called about, started by the clerk for them."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from cases.services import case_draft_create
    from govservice.errors import DomainError

    request = session.request
    if request.item_version_id is None:
        raise AssistError(_("The call is not about an item: no draft case can be started."), code="no_item")
    try:
        case = case_draft_create(
            applicant=session.citizen,
            item_version=request.item_version,
            actor=clerk,
            firm=request.firm if request.firm_id else None,
        )
    except (ValidationError, PermissionDenied, DomainError) as exc:
        raise _case_error(exc) from exc
    return case.pk
