"""Reads of the helpdesk: queue positions, estimates, figures."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk import router
from helpdesk.conf import conf
from helpdesk.models import AssistRequest, Callback, CallInvite, CallSession, ClerkProfile, Offer
from helpdesk.router_inputs import clerk_view_of, clerk_views, request_view_of, request_views
from standards.models import District

DEFAULT_HANDLING_SECONDS = 240.0
DEFAULT_ANSWER_SECONDS = 10.0


def recent_averages(*, now: dt.datetime, hours: int = 2) -> tuple[float, float]:
    """(average ring-to-accept seconds, average talk seconds) over recent calls, with defaults."""
    since = now - dt.timedelta(hours=hours)
    accepted = list(
        Offer.objects.filter(outcome=Offer.Outcome.ACCEPTED, answered_at__gte=since).values_list(
            "created_at", "answered_at"
        )[:500]
    )
    # answered_at__gte excludes NULL: every pair has both times.
    answer = (
        sum((b - a).total_seconds() for a, b in accepted if a is not None and b is not None) / len(accepted)
        if accepted
        else DEFAULT_ANSWER_SECONDS
    )
    talk = CallSession.objects.filter(ended_at__gte=since, talk_seconds__isnull=False).aggregate(t=Avg("talk_seconds"))[
        "t"
    ]
    return answer, (talk or DEFAULT_HANDLING_SECONDS)


def _status(
    *,
    request: AssistRequest,
    view: router.RequestView,
    position: int,
    total: int,
    clerks: Sequence[router.ClerkView],
    averages: tuple[float, float],
    now: dt.datetime,
) -> dict[str, Any]:
    answer, handling = averages
    eligible = [
        c
        for c in clerks
        if c.status not in ("offline", "away")
        and (router.in_stage("alliance", c, view) or router.in_stage("specialist", c, view))
    ]
    free = sum(1 for c in eligible if c.available)
    if not eligible:
        estimate = None
    elif position <= free:
        estimate = answer
    else:
        estimate = answer + math.ceil((position - free) / len(eligible)) * handling
    return {
        "state": request.state,
        "position": position,
        "waiting_total": total,
        "eligible_clerks": len(eligible),
        "estimate_seconds": None if estimate is None else round(estimate),
        "estimate_is_estimate": True,
        "waited_seconds": round((now - request.created_at).total_seconds()),
        "callback_offered": request.callback_offered_at is not None,
    }


def queue_statuses(*, now: dt.datetime | None = None) -> dict[int, dict[str, Any]]:
    """For every open request: position in the queue and an estimated wait (an estimate, not a promise)."""
    now = now or timezone.now()
    open_requests = list(
        AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES)
        .select_related("district")
        .order_by("-priority", "created_at", "id")
        .only(
            "pk",
            "state",
            "created_at",
            "priority",
            "firm_id",
            "district__city",
            "item_id",
            "sector",
            "language",
            "callback_offered_at",
        )
    )
    if not open_requests:
        return {}
    clerks = clerk_views()
    averages = recent_averages(now=now)
    views = request_views(open_requests, now)
    return {
        request.pk: _status(
            request=request,
            view=view,
            position=position,
            total=len(open_requests),
            clerks=clerks,
            averages=averages,
            now=now,
        )
        for position, (request, view) in enumerate(zip(open_requests, views, strict=True), start=1)
    }


def queue_status(*, request: AssistRequest, now: dt.datetime | None = None) -> dict[str, Any]:
    """One request's position and estimate by counting (a socket connect must not scan the whole queue)."""
    if request.state not in AssistRequest.OPEN_STATES:
        return {"state": request.state, "position": None, "estimate_seconds": None, "estimate_is_estimate": True}
    now = now or timezone.now()
    open_requests = AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES)
    ahead = open_requests.filter(
        Q(priority__gt=request.priority)
        | Q(priority=request.priority, created_at__lt=request.created_at)
        | Q(priority=request.priority, created_at=request.created_at, id__lt=request.pk)
    ).count()
    view = request_views([request], now)[0]
    return _status(
        request=request,
        view=view,
        position=ahead + 1,
        total=open_requests.count(),
        clerks=clerk_views(),
        averages=recent_averages(now=now),
        now=now,
    )


def open_request_of(citizen: User) -> AssistRequest | None:
    """The citizen's request still in the queue (there is at most one)."""
    return AssistRequest.objects.filter(citizen=citizen, state__in=AssistRequest.OPEN_STATES).first()


def figures_live(*, now: dt.datetime | None = None, district: District | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    waiting = AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES)
    if district is not None:
        waiting = waiting.filter(district=district)
    queue = waiting.aggregate(n=Count("id"), oldest=Min("created_at"))
    oldest = queue["oldest"]
    # One statement for the clerks signed in (by status, and the available ones by district), one for the open
    # callbacks by district.
    presence: dict[str, int] = {}
    per_district: dict[str | None, int] = {}
    for status, code, n in (
        ClerkProfile.objects.exclude(status=ClerkProfile.Status.OFFLINE)
        .values_list("status", "clerk__district__division_code")
        .annotate(n=Count("id"))
        .values_list("status", "clerk__district__division_code", "n")
    ):
        presence[status] = presence.get(status, 0) + n
        if status == ClerkProfile.Status.AVAILABLE:
            per_district[code] = per_district.get(code, 0) + n
    districts = District.objects.all() if district is None else [district]
    callbacks_per_district = dict(
        Callback.objects.filter(status__in=Callback.OPEN_STATUSES)
        .values_list("request__district__division_code")
        .annotate(n=Count("id"))
        .values_list("request__district__division_code", "n")
    )
    open_callbacks = (
        sum(callbacks_per_district.values())
        if district is None
        else callbacks_per_district.get(district.division_code, 0)
    )
    return {
        "at": now,
        "district": district.division_code if district else None,
        "waiting_now": queue["n"],
        "longest_wait_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "clerks_by_status": presence,
        "available_clerks_by_district": {d.division_code: per_district.get(d.division_code, 0) for d in districts},
        "open_callbacks": open_callbacks,
        "open_callbacks_by_district": {
            d.division_code: callbacks_per_district.get(d.division_code, 0) for d in districts
        },
    }


def figures_period(
    *, start: dt.datetime, end: dt.datetime, district: District | None = None, answered_within: float = 20.0
) -> dict[str, Any]:
    """Service levels over a period, for one district (the citizen's) or alliance-wide."""
    requests = AssistRequest.objects.filter(created_at__gte=start, created_at__lt=end)
    sessions = CallSession.objects.filter(request__created_at__gte=start, request__created_at__lt=end)
    offers = Offer.objects.filter(created_at__gte=start, created_at__lt=end)
    if district is not None:
        requests = requests.filter(district=district)
        sessions = sessions.filter(request__district=district)
        offers = offers.filter(request__district=district)
    # Three statements: the requests by state, the answered calls' figures, the offers by outcome.
    states = dict(requests.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    total = sum(states.values())
    agg = sessions.aggregate(
        answered=Count("id"),
        within=Count("id", filter=Q(wait_seconds__lte=answered_within)),
        avg_wait=Avg("wait_seconds"),
        avg_talk=Avg("talk_seconds"),
        max_wait=Max("wait_seconds"),
        rating=Avg("rating"),  # AVG leaves out the calls without a rating
    )
    answered, within = agg["answered"], agg["within"]
    outcomes = offers.aggregate(
        timed_out=Count("id", filter=Q(outcome=Offer.Outcome.TIMED_OUT)),
        declined=Count("id", filter=Q(outcome=Offer.Outcome.DECLINED)),
    )
    return {
        "start": start,
        "end": end,
        "district": district.division_code if district else None,
        "requests": total,
        "answered": answered,
        "answered_within_20s": within,
        "answered_within_20s_ratio": round(within / total, 3) if total else None,
        "average_wait_seconds": round(agg["avg_wait"], 1) if agg["avg_wait"] is not None else None,
        "longest_wait_seconds": round(agg["max_wait"], 1) if agg["max_wait"] is not None else None,
        "average_handling_seconds": round(agg["avg_talk"], 1) if agg["avg_talk"] is not None else None,
        "abandoned": states.get(AssistRequest.State.ABANDONED, 0),
        "cancelled": states.get(AssistRequest.State.CANCELLED, 0),
        "callbacks": states.get(AssistRequest.State.CALLBACK, 0),
        "offers_timed_out": outcomes["timed_out"],
        "offers_declined": outcomes["declined"],
        "average_rating": agg["rating"],
    }


def sessions_visible_to(user: User) -> QuerySet[CallSession]:
    qs = CallSession.objects.select_related("citizen", "clerk", "district", "request")
    if user.is_supervisor or user.is_superuser:
        return qs
    if user.is_clerk:
        # A clerk of another district brought into the call (or handed it) sees that call's record too.
        return qs.filter(Q(clerk=user) | Q(district_id=user.district_id) | Q(pk__in=_sessions_joined_by(user)))
    return qs.filter(citizen=user)


def _sessions_joined_by(user: User) -> QuerySet[Any]:
    from helpdesk.models import CallMember

    return CallMember.objects.filter(user=user).values("session_id")


# --- Callbacks ---------------------------------------------------------------------------------

# The clerk's own district first, then the same city, then the rest of the alliance (a firm's own
# specialist before all): the order in which a ring would have reached them.
CALLBACK_SCOPES = ("specialist", "district", "city", "alliance")


def _callback_scope(clerk_view: router.ClerkView, request: AssistRequest) -> str | None:
    """The narrowest routing stage that puts the clerk in reach of this citizen, or None (no skill)."""
    view = request_view_of(request)
    return next((scope for scope in CALLBACK_SCOPES if router.in_stage(scope, clerk_view, view)), None)


def callback_may_handle(*, clerk: User, callback: Callback) -> bool:
    """A clerk handles the callbacks a ring could have reached them for (language, sector or item)."""
    if callback.status == Callback.Status.CLAIMED and callback.claimed_by_id == clerk.pk:
        return True
    return _callback_scope(clerk_view_of(clerk), callback.request) is not None


def caller_summary(request: AssistRequest) -> dict[str, Any]:
    """Who calls about what, as a clerk sees it on a ring or in the callback list (never the ID number)."""
    citizen = request.citizen
    return {
        "citizen": citizen.display_name or citizen.username,
        "firm": request.firm.name if request.firm is not None else None,
        "item": request.item_version.name if request.item_version is not None else None,
        "case": request.case_ref or None,
        "language": request.get_language_display(),
        # Only a verified priority (elderly by the ID number) orders anything; a declared one is shown as such.
        "priority": None
        if request.priority_reason == "none"
        else request.get_priority_reason_display()
        if request.priority
        else _("%(reason)s (declared, not verified)") % {"reason": request.get_priority_reason_display()},
    }


def _callback_row(callback: Callback, *, clerk: User, scope: str | None, max_attempts: int) -> dict[str, Any]:
    request = callback.request
    mine = callback.status == Callback.Status.CLAIMED and callback.claimed_by_id == clerk.pk
    return {
        "id": callback.pk,
        "request": request.pk,
        "status": callback.status,
        "scope": scope or "",
        **caller_summary(request),
        "district": request.district.division_code if request.district is not None else None,
        "district_name": str(request.district) if request.district_id else None,
        "requested_at": callback.created_at,
        "attempts": callback.attempts,
        "max_attempts": max_attempts,
        "last_attempt_at": callback.last_attempt_at,
        "last_note": callback.last_note,
        "claimed_by_me": mine,
        "claimed_at": callback.claimed_at if mine else None,
        # The number is for the clerk who has claimed the callback, and for nobody else.
        "phone": request.callback_phone if mine else None,
    }


def _callbacks_with_context() -> QuerySet[Callback]:
    return Callback.objects.select_related(
        "request__citizen", "request__firm", "request__district", "request__item_version"
    )


def callbacks_for_clerk(*, clerk: User, limit: int = 100) -> list[dict[str, Any]]:
    """The callback list of one clerk: the one they have claimed, then the open callbacks they may
    handle — their own district's citizens first, then the same city's, then the alliance's; within
    each, the untried before those who did not answer, then verified priority (elderly), then the
    longest waiting. One row per citizen (their first in that order): however many callbacks one
    person has left, they cannot push another citizen's off the list."""
    clerk_view = clerk_view_of(clerk)
    max_attempts = conf().callback_max_attempts
    rows = []
    for callback in _callbacks_with_context().filter(
        Q(status=Callback.Status.OPEN) | Q(status=Callback.Status.CLAIMED, claimed_by=clerk)
    ):
        scope = _callback_scope(clerk_view, callback.request)
        mine = callback.status == Callback.Status.CLAIMED
        if scope is None and not mine:
            continue
        rank = -1 if mine else CALLBACK_SCOPES.index(scope)
        key = (rank, callback.attempts, -callback.request.priority, callback.created_at, callback.pk)
        row = _callback_row(callback, clerk=clerk, scope=scope, max_attempts=max_attempts)
        rows.append((key, {**row, "_citizen": callback.request.citizen_id}))
    rows.sort(key=lambda row: row[0])
    seen: set[int] = set()
    fair = []
    for _key, row in rows:
        citizen_id = row.pop("_citizen")
        if row["claimed_by_me"] or citizen_id not in seen:
            seen.add(citizen_id)
            fair.append(row)
    return fair[:limit]


def callback_row_for(*, clerk: User, callback: Callback) -> dict[str, Any]:
    callback = _callbacks_with_context().get(pk=callback.pk)
    return _callback_row(
        callback,
        clerk=clerk,
        scope=_callback_scope(clerk_view_of(clerk), callback.request),
        max_attempts=conf().callback_max_attempts,
    )


# --- Calls of more than two ---------------------------------------------------------------------


def call_members(*, session_id: int) -> list[dict[str, Any]]:
    """Who is in the call now, by peer id (what each browser keeps a connection to)."""
    from helpdesk.models import CallMember

    members = CallMember.objects.filter(session_id=session_id, left_at__isnull=True).select_related("user", "district")
    return [
        {
            "peer": member.peer_id,
            "role": member.role,
            "name": member.user.display_name or member.user.username,
            **district_names(member.district),
        }
        for member in members
    ]


def call_peer_ids(*, session: CallSession) -> list[str]:
    """The peer ids of everyone in the call now; a call that predates member rows has its two."""
    from helpdesk.models import CallMember, peer_id

    peers = [m.peer_id for m in CallMember.objects.filter(session=session, left_at__isnull=True)]
    return peers or ["citizen", peer_id(role="clerk", user_id=session.clerk_id)]


def call_approving_districts(*, session: CallSession) -> list[District]:
    """Where the call's application would be approved: the linked case's approving district, or the
    districts that approve the call's item."""
    from cases.selectors import cases_visible_to
    from standards.models import ItemImplementation

    case_ref = session.case_ref or session.request.case_ref
    if case_ref:
        case = cases_visible_to(session.citizen).filter(reference=case_ref).select_related("approving_district").first()
        if case is not None and case.approving_district_id:
            return [case.approving_district]
    if session.request.item_id is None:
        return []
    return [
        implementation.district
        for implementation in ItemImplementation.objects.filter(
            item_id=session.request.item_id, can_approve=True
        ).select_related("district")
    ]


def invite_context(invite: CallInvite) -> dict[str, Any]:
    """What a clerk rung to join a call sees before answering: the call's context, who asks, why."""
    inviter = invite.invited_by
    return {
        "invite": invite.pk,
        "session": invite.session_id,
        "kind": invite.kind,
        "kind_label": invite.get_kind_display(),
        "note": invite.note,
        "from": inviter.display_name or inviter.username,
        **district_names(inviter.district, key="from_district"),
        "deadline": invite.ring_deadline.isoformat(),
        "context": {
            **caller_summary(invite.session.request),
            **district_names(invite.session.request.district),
        },
    }


def call_snapshots(*, session: CallSession) -> list[dict[str, Any]]:
    """The documents captured in the call (stills), for its members (the image through its authorised view)."""
    from django.urls import reverse

    return [
        {"id": snapshot.pk, "url": reverse("helpdesk:api-snapshot-file", args=[snapshot.pk])}
        for snapshot in session.snapshots.order_by("taken_at", "pk")
    ]


def call_side_panel(*, session: CallSession, clerk: User) -> dict[str, Any]:
    """What a clerk in the call sees beside it: the item's standard (the pinned version the call is about)
    with its 帮办要点, the caller's cases this clerk may see anyway, and the call's working notes."""
    from cases.selectors import cases_visible_to

    version = session.request.item_version
    item: dict[str, Any] | None = None
    if version is not None:
        item = {
            "code": version.item.code,
            "name": version.name,
            "version": version.number,
            "assistance_guide": version.assistance_guide or None,
            "approving": [str(d) for d in call_approving_districts(session=session)],
            "materials": [
                {
                    "name": m.display_name,
                    "requirement": m.get_requirement_display(),
                    "formats": m.formats,
                    "max_size_mb": m.max_size_mb,
                    "acceptance_standard": m.acceptance_standard,
                }
                for m in version.materials.order_by("position", "pk")
            ],
        }
    # The caller's cases, only those the clerk's own role already lets them see (no wider view for a call).
    visible = cases_visible_to(clerk).values("pk")
    cases = cases_visible_to(session.citizen).filter(pk__in=visible)[:20]
    return {
        "item": item,
        "cases": [
            {
                "reference": case.reference,
                "item": case.item_version.name,
                "state": case.get_state_display(),
                "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
            }
            for case in cases
        ],
        "notes": session.notes,
        "may_write_notes": session.clerk_id == clerk.pk,
        # Where the caller is from and how often they called before this call.
        "caller": {
            "district": session.request.district.display_full if session.request.district is not None else None,
            **caller_history(citizen_id=session.citizen_id, before=session.started_at),
        },
    }


def call_shared_draft(*, session: CallSession, viewer: Any = None) -> dict[str, Any] | None:
    """The application the caller shared in the call, as every member sees it: each material the pinned
    standard asks for, what was uploaded (and whether a clerk added it, and who), and what is still missing.
    None when nothing is shared."""
    from cases.models import Case
    from cases.services.materials import missing_materials

    if not session.shared_case_ref:
        return None
    case = Case.objects.select_related("item_version").filter(reference=session.shared_case_ref).first()
    if case is None:
        return None
    from helpdesk.models import PreCheck

    current = {m.item_material_id: m for m in case.materials.current_files().select_related("uploaded_by")}
    # The newest pre-check of each current file (a replaced file's marks no longer count).
    marks: dict[int, PreCheck] = {}
    for mark in PreCheck.objects.filter(
        case_ref=case.reference, case_material_id__in=[m.pk for m in current.values()]
    ).select_related("clerk", "district"):
        marks[mark.case_material_id] = mark
    rows = []
    for item_material in case.item_version.materials.order_by("position", "pk"):
        uploaded = current.get(item_material.pk)
        rows.append(
            {
                "id": item_material.pk,
                "name": item_material.display_name,
                "requirement": item_material.get_requirement_display(),
                "formats": item_material.formats,
                "max_size_mb": item_material.max_size_mb,
                "uploaded": {
                    "at": uploaded.uploaded_at.isoformat(),
                    "by_clerk": uploaded.uploaded_by is not None and uploaded.uploaded_by.is_clerk,
                    "by": (uploaded.uploaded_by.display_name or uploaded.uploaded_by.username)
                    if uploaded.uploaded_by is not None
                    else None,
                    "content_type": uploaded.content_type,
                }
                if uploaded is not None
                else None,
                "precheck": _precheck_row(marks.get(uploaded.pk)) if uploaded is not None else None,
            }
        )
    return {
        "case": case.reference,
        "item": case.item_version.name,
        "state": case.get_state_display(),
        **_shared_form(case),
        "may_submit": viewer is not None and may_submit_from_call(session, viewer, case),
        "materials": rows,
        "missing": [m.display_name for m in missing_materials(case)],
        "not_conforming": [row["name"] for row in rows if (row["precheck"] or {}).get("verdict") == "not_conforming"],
        "submitted": case.submitted_at is not None,
    }


def may_submit_from_call(session: CallSession, user: Any, case: Any) -> bool:
    """The caller submits; so does the clerk in the call who filed the case at their counter (窗口收件),
    the applicant being with them (the cases app's counter side)."""
    if session.citizen_id == user.pk:
        return True
    return case.counter_clerk_id == user.pk and session.role_of(user.pk) in ("clerk", "guest")


def _shared_form(case: Any) -> dict[str, Any]:
    """The form as every member of the call sees it (ID numbers masked, as the change events carry them)."""
    from cases.selectors.form import form_rows

    form = form_rows(case, full=False)
    return {"form": form, "form_missing": [row["label"] for row in form if row["required"] and not row["filled"]]}


def call_shared_form(*, session: CallSession) -> dict[str, Any]:
    """The shared application's form alone (`form`, `form_missing`)."""
    from cases.models import Case

    case = Case.objects.select_related("item_version").get(reference=session.shared_case_ref)
    return _shared_form(case)


def _precheck_row(mark: Any) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {
        "verdict": mark.verdict,
        "verdict_label": mark.get_verdict_display(),
        "reason": mark.reason,
        "valid_until": mark.valid_until.isoformat() if mark.valid_until else None,
        "by": mark.clerk.display_name or mark.clerk.username,
        **district_names(mark.district),
    }


# --- The console's waiting list and canned replies ----------------------------------------------


def caller_history(*, citizen_id: int, before: dt.datetime | None = None) -> dict[str, Any]:
    """The caller's earlier calls, as the clerk sees them on a ring or in the waiting list (a count and the
    last one's date; what was said stays in the call records)."""
    calls = CallSession.objects.filter(citizen_id=citizen_id)
    if before is not None:
        calls = calls.filter(started_at__lt=before)
    summary = calls.aggregate(n=Count("pk"), last=Max("started_at"))
    return {
        "earlier_calls": summary["n"],
        "last_call_at": summary["last"].isoformat() if summary["last"] is not None else None,
    }


def district_names(district: District | None, *, key: str = "district") -> dict[str, str | None]:
    """A district's name in Chinese under `key` and in English under `key`_en ("Huangpu, Shanghai"), or None: what
    is pushed goes to consoles and calls in either language, and the page shows the one of its own."""
    chinese, english = district.names() if district is not None else (None, None)
    return {key: chinese, f"{key}_en": english}


def _waiting_row(request: AssistRequest, *, history: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The part of a waiting list's row that is the same for every clerk."""
    from accounts.identifiers import mask_person_name

    citizen = request.citizen
    return {
        "request": request.pk,
        "state": request.state,
        # Masked: the clerk learns who the caller is on answering, not from a list of everyone waiting.
        "citizen": mask_person_name(citizen.display_name or citizen.username),
        "firm": request.firm.name if request.firm is not None else None,
        **district_names(request.district),
        "item": request.item_version.name if request.item_version is not None else None,
        "language": request.get_language_display(),
        "language_code": request.language,
        "priority": caller_summary(request)["priority"],
        "priority_reason": request.priority_reason,
        "priority_verified": bool(request.priority),
        "waiting_since": request.created_at.isoformat(),
        "waited_seconds": round((now - request.created_at).total_seconds()),
        **history,
    }


def waiting_lists(
    *, clerk_ids: Sequence[int] | None = None, now: dt.datetime | None = None, limit: int = 50
) -> dict[int, list[dict[str, Any]]]:
    """For each signed-in clerk (or each of `clerk_ids`, signed in or not): the open requests of the queues they serve —
    in reach of them by the router's stages (skills, language, district, city, alliance) — in queue order.

    Computed once for all consoles (one read of the queue and of the clerks), so the worker's batched
    fan-out pushes every console its own list without a query per console."""
    now = now or timezone.now()
    open_requests = list(
        AssistRequest.objects.filter(state__in=AssistRequest.OPEN_STATES)
        .select_related("citizen", "firm", "district", "item_version")
        .order_by("-priority", "created_at", "id")[:500]
    )
    clerks = clerk_views()
    wanted = [c for c in clerks if clerk_ids is None or c.user_id in clerk_ids]
    # An open console whose clerk is signed out of calls (offline) still shows what waits for them.
    missing = set(clerk_ids or ()) - {c.user_id for c in wanted}
    wanted += [clerk_view_of(user) for user in User.objects.filter(pk__in=missing, role=User.Role.CLERK)]
    lists: dict[int, list[dict[str, Any]]] = {c.user_id: [] for c in wanted}
    if not open_requests or not wanted:
        return lists
    cfg = conf()
    views = request_views(open_requests, now)
    histories: dict[int, tuple[int, dt.datetime | None]] = {
        row["citizen_id"]: (row["n"], row["last"])
        for row in CallSession.objects.filter(citizen_id__in={r.citizen_id for r in open_requests})
        .values("citizen_id")
        .annotate(n=Count("pk"), last=Max("started_at"))
    }
    # Requests with the same routing key have the same stages and windows: one schedule for all of them.
    schedules: dict[router.RoutingKey, list[tuple[str, float]]] = {}
    for request, view in zip(open_requests, views, strict=True):
        schedule = schedules.get(view.routing_key)
        if schedule is None:
            schedule = schedules[view.routing_key] = router.stage_schedule(view, clerks, cfg)
        waited = (now - request.created_at).total_seconds()
        base: dict[str, Any] | None = None
        for clerk in wanted:
            if len(lists[clerk.user_id]) >= limit:
                continue
            reach = router.reach_in(schedule, clerk, view)
            if reach is None:
                continue
            if base is None:
                n, last = histories.get(request.citizen_id, (0, None))
                history = {"earlier_calls": n, "last_call_at": last.isoformat() if last is not None else None}
                base = _waiting_row(request, history=history, now=now)
            stage, opens_at = reach
            lists[clerk.user_id].append(
                {
                    **base,
                    "scope": stage,
                    # Seconds of waiting after which this clerk may pick the request (as a ring would reach them).
                    "opens_at": round(opens_at),
                    "pickable": request.state == AssistRequest.State.WAITING and waited >= opens_at,
                }
            )
    return lists


def open_console_clerk_ids() -> list[int]:
    """Clerks whose console is open (a recent heartbeat), whatever their presence."""
    alive = timezone.now() - dt.timedelta(seconds=conf().heartbeat_timeout)
    return list(ClerkProfile.objects.filter(last_heartbeat__gte=alive).values_list("clerk_id", flat=True))


def waiting_for_clerk(*, clerk: User, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One console's waiting list (see `waiting_lists`)."""
    return waiting_lists(clerk_ids=[clerk.pk], now=now).get(clerk.pk, [])


def canned_replies_for(*, clerk: User) -> list[dict[str, Any]]:
    """常用语 of the clerk's district, then their own."""
    from helpdesk.models import CannedReply

    replies = CannedReply.objects.filter(Q(owner=clerk) | Q(owner__isnull=True, district_id=clerk.district_id))
    rows = [
        {"id": reply.pk, "text": reply.text, "personal": reply.owner_id is not None}
        for reply in replies.order_by("position", "id")
    ]
    return sorted(rows, key=lambda row: row["personal"])
