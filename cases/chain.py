"""The tamper-evident event chain of a case: appending and verifying."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from cases.models import Case, CaseEvent


def with_chain_head(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Read the chain's last seq and hash with the case row: one round trip less per transition.

    Only for the locked row of a transition: event_append trusts these values and keeps them
    current; the (case, seq) unique constraint still refuses a fork if they were stale.
    """
    last = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-seq")
    # Case declares the two names (for the instances that carry them), which django-stubs' plugin
    # takes for a redefinition here.
    return cases.annotate(  # type: ignore[no-redef]
        chain_head_seq=Subquery(last.values("seq")[:1]),
        chain_head_hash=Subquery(last.values("hash")[:1]),
    )


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
