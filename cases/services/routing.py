"""Routing between district queues (runs in a Celery worker on the approving district's queue), and the sweep.

`case_accept` queues `route_case` after its commit (`_enqueue_route`); `case_route` takes the declared
"transfer" step exactly once per acceptance; `case_routing_sweep` (beat, every minute) queues again what
never arrived. Which clerk and window: cases.routing_rules.choose_target, a pure function.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases import life_cycle, routing_queries
from cases.chain import event_append
from cases.models import Case
from cases.routing_rules import choose_target
from cases.services.case_notices import staff_notice
from cases.services.guards import supervisor_ids
from cases.services.transitions import _move
from govservice import events
from govservice.queues import district_queue
from standards.models import ServiceWindow

logger = logging.getLogger(__name__)

MAX_ROUTING_ATTEMPTS = int(getattr(settings, "CASES_MAX_ROUTING_ATTEMPTS", 3))


@dataclass(frozen=True)
class RoutingOutcome:
    status: str  # "routed", "held", "already", "poisoned", "gone"
    clerk_id: int | None = None


def _routing_target(case: Case) -> tuple[ServiceWindow | None, int | None]:
    """Read the candidates and the time, and let the pure rule choose (cases.routing_rules)."""
    district = case.approving_district
    window = routing_queries.item_window(item_id=case.item_version.item_id, district_id=district.pk)
    clerks = routing_queries.candidates(
        district_id=district.pk, sector=case.item_version.sector, load_states=life_cycle.LOAD_STATES
    )
    return choose_target(candidates=clerks, window=window, now=timezone.localtime())


def case_route(*, case_id: int, transfer_number: int) -> RoutingOutcome:
    """Move an accepted case into the approving district's queue, exactly once per acceptance."""
    # 1. Count the attempt first, committed on its own (one compare-and-set UPDATE), so that a
    #    worker killed mid-routing and redelivered by reject_on_worker_lost leaves a trace, and
    #    a poison message stops after MAX_ROUTING_ATTEMPTS instead of looping for ever.
    counted = routing_queries.count_attempt(
        case_id=case_id, transfer_number=transfer_number, max_attempts=MAX_ROUTING_ATTEMPTS
    )
    if not counted:
        return _route_not_counted(case_id=case_id, transfer_number=transfer_number)

    # 2. The move itself, guarded again under the lock: a duplicate that raced us finds it done.
    with transaction.atomic():
        case = routing_queries.lock_case(case_id)
        if case is None:
            return RoutingOutcome("gone")
        if not life_cycle.ROUTING.leaves(case.state) or case.routed_transfer_number >= transfer_number:
            return RoutingOutcome("already")
        window, clerk_id = _routing_target(case)
        _move(
            case,
            step=life_cycle.ROUTING,
            actor=None,
            data={
                "transfer": transfer_number,
                "attempt": case.routing_attempts,
                "window": window.code if window else "",
                "clerk": clerk_id,
                "held": clerk_id is None,
            },
            district_code=case.approving_district.division_code,
            fields={
                "routed_transfer_number": transfer_number,
                "routed_at": timezone.now(),
                "approving_window": window,
                "approving_clerk_id": clerk_id,
            },
        )
        if clerk_id is None:
            # Routing reads a partial row (routing_queries): the notice reads the names it shows.
            staff_notice(
                Case.objects.select_related("item_version", "approving_district").get(pk=case.pk),
                kind="case.held",
                condition=f"held:{transfer_number}",
                district=case.approving_district,
                clerk_id=None,
            )
    return RoutingOutcome("routed" if clerk_id else "held", clerk_id)


def _route_not_counted(*, case_id: int, transfer_number: int) -> RoutingOutcome:
    """Why the attempt was not counted: gone, already moved, already stopped, or out of attempts."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("approving_district").filter(pk=case_id).first()
        )
        if case is None:
            return RoutingOutcome("gone")
        if (
            not life_cycle.ROUTING.leaves(case.state)
            or case.transfer_number != transfer_number
            or case.routed_transfer_number >= transfer_number
        ):
            return RoutingOutcome("already")
        if case.routing_poisoned:
            return RoutingOutcome("poisoned")
        Case.objects.filter(pk=case.pk).update(
            routing_poisoned=True, routing_error=f"stopped after {MAX_ROUTING_ATTEMPTS} attempts"
        )
        event_append(
            case=case,
            action=life_cycle.ROUTING_STOPPED,
            actor=None,
            reason=f"routing failed {MAX_ROUTING_ATTEMPTS} times",
            data={"transfer": transfer_number},
            district_code=case.approving_district.division_code,
        )
        events.send_on_commit(
            events.recipients(user_ids=set(supervisor_ids()), division_codes={case.approving_district.division_code}),
            {"type": "case.routing_stopped", "reference": case.reference},
        )
        staff_notice(
            case,
            kind="case.routing_stopped",
            condition=f"routing_stopped:{transfer_number}",
            district=case.approving_district,
            clerk_id=None,
        )
    logger.error("routing of case %s stopped after %s attempts", case_id, MAX_ROUTING_ATTEMPTS)
    return RoutingOutcome("poisoned")


def _enqueue_route(case_id: int, transfer_number: int, queue: str) -> bool:
    """Queue the routing task; False (and an error in the log) when the broker cannot take it."""
    from cases.tasks import route_case

    try:
        route_case.apply_async(args=(case_id, transfer_number), queue=queue)
    except Exception:
        logger.exception(
            "route_case for case %s (transfer %s) could not be queued on %s; the routing sweep will retry",
            case_id,
            transfer_number,
            queue,
        )
        return False
    return True


# An accepted case whose routing message went missing (the broker was down when the acceptance
# committed, or the message was lost) is queued again after this long in `accepted`. Routing is
# idempotent per transfer number, so a duplicate of a message that was merely slow does nothing.
ROUTING_SWEEP_AFTER_SECONDS = int(getattr(settings, "CASES_ROUTING_SWEEP_AFTER", 60))
# ...and then at most once per this long: while a district's worker is down its queue would
# otherwise gain one duplicate per stuck case every minute.
ROUTING_SWEEP_REPEAT_SECONDS = int(getattr(settings, "CASES_ROUTING_SWEEP_REPEAT", 300))
ROUTING_SWEEP_BATCH = 500


def _sweep_claim(key: str) -> bool:
    """Claim a re-send for ROUTING_SWEEP_REPEAT_SECONDS (cache.add is atomic in Redis)."""
    try:
        return cache.add(key, 1, ROUTING_SWEEP_REPEAT_SECONDS)
    except Exception:  # noqa: BLE001 - without the cache, send anyway: duplicates are harmless
        logger.warning("routing sweep: cache unavailable, re-sending without throttle")
        return True


def _sweep_release(key: str) -> None:
    # Without the cache the claim cannot be released: it then simply expires.
    with contextlib.suppress(Exception):
        cache.delete(key)


def case_routing_sweep(*, now: dt.datetime | None = None, older_than_seconds: int | None = None) -> dict[str, int]:
    """Queue `route_case` again for accepted cases that never reached the approving district.

    Candidates: state `accepted`, this transfer not routed yet, not stopped as poison, and in that
    state for more than ROUTING_SWEEP_AFTER_SECONDS. Run by beat every minute (cases/schedule.py).
    A case is queued again at most once per ROUTING_SWEEP_REPEAT_SECONDS; one whose routing keeps
    failing still stops after MAX_ROUTING_ATTEMPTS counted attempts and is flagged to supervisors.
    """
    now = now or timezone.now()
    age = ROUTING_SWEEP_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    stale = (
        Case.objects.filter(
            state=life_cycle.AWAITING_ROUTING,
            routing_poisoned=False,
            routed_transfer_number__lt=F("transfer_number"),
            state_changed_at__lte=now - timedelta(seconds=age),
        )
        .order_by("state_changed_at")
        .values_list("pk", "reference", "transfer_number", "approving_district__division_code")[:ROUTING_SWEEP_BATCH]
    )
    counts = {"queued": 0, "failed": 0, "recently_queued": 0}
    for case_id, reference, transfer_number, division_code in stale:
        # By reference, not id: ids can come back on SQLite, references never do.
        key = f"cases:route-resent:{reference}:{transfer_number}"
        if not _sweep_claim(key):
            counts["recently_queued"] += 1
            continue
        if _enqueue_route(case_id, transfer_number, district_queue(division_code)):
            counts["queued"] += 1
        else:
            # Not sent: the next run tries again rather than waiting out the claim.
            _sweep_release(key)
            counts["failed"] += 1
    if counts["queued"] or counts["failed"]:
        logger.warning("routing sweep: %(queued)s accepted cases queued again, %(failed)s failed", counts)
    return counts
