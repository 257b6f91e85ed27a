"""The tamper-evident event chain of a case: appending and verifying."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cases.models import Case, CaseEvent


def chain_head_attach(case: Case) -> Case:
    """Read the chain's last seq and hash for a case whose row the caller has just locked; event_append trusts
    these values and keeps them current.

    A statement of its own, after the lock: on PostgreSQL (READ COMMITTED) a subquery in the locking SELECT
    reads the snapshot taken before the lock was granted, so a step that waited behind another writer (the
    worker issuing a document, a second clerk) would take the head from before that writer's event and fork
    the chain at its seq (refused by the (case, seq) constraint: a 500). Read after the wait, it sees it.
    """
    head = CaseEvent.objects.filter(case_id=case.pk).order_by("-seq").values_list("seq", "hash").first()
    case.chain_head_seq, case.chain_head_hash = head if head is not None else (None, None)
    return case


def event_append(
    *,
    case: Case,
    action: str,
    actor: Any | None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    request_id: str = "",
    district_code: str | None = None,
    window_code: str | None = None,
) -> CaseEvent:
    """Append one event. The caller holds the case's row lock (or SQLite's write lock) in a transaction."""
    last: Mapping[str, Any] | None
    if hasattr(case, "chain_head_seq"):
        last = {"seq": case.chain_head_seq, "hash": case.chain_head_hash} if case.chain_head_seq else None
    else:
        last = CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
    if actor is not None and getattr(actor, "role", "") == "clerk":
        district_code = district_code if district_code is not None else actor.district.division_code
        window_code = window_code if window_code is not None else actor.window.code
    event = CaseEvent(
        case=case,
        seq=(last["seq"] + 1) if last else 1,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_role=getattr(actor, "role", "system") if actor is not None else "system",
        district_code=district_code or "",
        window_code=window_code or "",
        reason=reason,
        data=data or {},
        request_id=request_id or "",
        created_at=timezone.now(),
        prev_hash=last["hash"] if last else CaseEvent.GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    if hasattr(case, "chain_head_seq"):
        case.chain_head_seq, case.chain_head_hash = event.seq, event.hash
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    broken_at: int | None = None
    problem: str = ""


def chain_verify(*, case: Case, upto_seq: int | None = None) -> ChainReport:
    """Recompute every hash from the first event: any edit, deletion or reordering shows."""
    events = CaseEvent.objects.filter(case=case).select_related("case").order_by("seq")
    if upto_seq is not None:
        events = events.filter(seq__lte=upto_seq)
    previous = CaseEvent.GENESIS
    count = 0
    for expected_seq, event in enumerate(events, start=1):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, event.seq, f"event {expected_seq} is missing")
        if event.prev_hash != previous:
            return ChainReport(False, count, event.seq, "does not point at the previous event")
        if event.compute_hash() != event.hash:
            return ChainReport(False, count, event.seq, "content does not match its hash")
        previous = event.hash
    if count == 0:
        return ChainReport(False, 0, None, "the case has no events")
    return ChainReport(True, count)
