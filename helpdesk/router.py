"""The task router: which clerk a waiting request is offered to, and when the pool widens.

Modelled on a contact-centre task router (a queue, a workflow of widening steps,
reservations with a timeout):

* The queue is ordered by priority (elderly, disabled, appointment first), then by
  arrival: the citizen keeps their place while the pool widens.
* Stages, narrowest first: the firm's own specialist (专员) → clerks of the citizen's
  district with the skill → clerks of the same city → any alliance clerk with the skill
  → a callback offer. A stage stays the widest one for its window (seconds); a stage
  with nobody signed in adds no wait.
* Among the clerks of the narrowest open stage who are available, the longest idle
  is chosen.

The functions here are pure: they take plain snapshots of requests and clerks, so the
rules are tested with a controllable clock and no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from helpdesk.conf import AssistConf

STAGES = ("specialist", "district", "city", "alliance")
CALLBACK = "callback"


@dataclass(frozen=True)
class ClerkView:
    user_id: int
    profile_id: int
    district_id: int | None
    city: str
    status: str
    idle_since: dt.datetime | None
    sectors: frozenset[str] = frozenset()
    item_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset({"zh"})
    specialist_firm_ids: frozenset[int] = frozenset()

    @property
    def signed_in(self) -> bool:
        return self.status != "offline"

    @property
    def available(self) -> bool:
        return self.status == "available"

    def has_skill(self, request: RequestView) -> bool:
        if request.language not in self.languages:
            return False
        if not self.sectors and not self.item_ids:
            return True  # a generalist
        if request.item_id is None:
            return True  # a general question from the home page
        return request.item_id in self.item_ids or request.sector in self.sectors


# firm, district, city, item, sector, language, excluded clerks
RoutingKey = tuple[int | None, int | None, str, int | None, str, str, frozenset[int]]


@dataclass(frozen=True)
class RequestView:
    id: int
    created_at: dt.datetime
    priority: int = 0
    firm_id: int | None = None
    district_id: int | None = None
    city: str = ""
    item_id: int | None = None
    sector: str = ""
    language: str = "zh"
    # Clerks who recently let this request ring out or declined it: not asked again at once.
    excluded_clerk_ids: frozenset[int] = field(default_factory=frozenset)
    callback_offered: bool = False

    @property
    def routing_key(self) -> RoutingKey:
        """Requests with the same key have the same pools (only their waiting time differs)."""
        return (
            self.firm_id,
            self.district_id,
            self.city,
            self.item_id,
            self.sector,
            self.language,
            self.excluded_clerk_ids,
        )


def in_stage(stage: str, clerk: ClerkView, request: RequestView) -> bool:
    if stage == "specialist":
        return request.firm_id is not None and request.firm_id in clerk.specialist_firm_ids
    if not clerk.has_skill(request):
        return False
    if stage == "district":
        return request.district_id is not None and clerk.district_id == request.district_id
    if stage == "city":
        return bool(request.city) and clerk.city == request.city
    return stage == "alliance"


def stage_schedule(request: RequestView, clerks: Sequence[ClerkView], conf: AssistConf) -> list[tuple[str, float]]:
    """(stage, seconds of waiting after which it opens), ending with the callback offer."""
    windows = {
        "specialist": conf.specialist_window,
        "district": conf.district_window,
        "city": conf.city_window,
        "alliance": conf.alliance_window,
    }
    schedule = []
    opens_at = 0.0
    for stage in STAGES:
        schedule.append((stage, opens_at))
        # Waiting for a pool with nobody signed in would only delay the citizen.
        if any(clerk.signed_in and in_stage(stage, clerk, request) for clerk in clerks):
            opens_at += windows[stage]
    schedule.append((CALLBACK, opens_at))
    return schedule


def open_stages(request: RequestView, clerks: Sequence[ClerkView], conf: AssistConf, now: dt.datetime) -> list[str]:
    waited = (now - request.created_at).total_seconds()
    return [stage for stage, opens_at in stage_schedule(request, clerks, conf) if opens_at <= waited]


def pick_clerk(
    request: RequestView, clerks: Sequence[ClerkView], conf: AssistConf, now: dt.datetime, taken: set[int]
) -> tuple[ClerkView, str] | None:
    """The longest-idle available clerk of the narrowest open stage, or None (a firm's specialist in the
    request's district before its other specialists)."""
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    for stage in open_stages(request, clerks, conf, now):
        if stage == CALLBACK:
            return None
        candidates = [
            clerk
            for clerk in clerks
            if clerk.available
            and clerk.user_id not in taken
            and clerk.user_id not in request.excluded_clerk_ids
            and in_stage(stage, clerk, request)
        ]
        if candidates:
            # Among a firm's specialists, the one of the district the call is about first (the firm's page
            # calls its specialist there); otherwise, and among equals, the longest idle.
            return min(
                candidates,
                key=lambda c: (
                    stage == "specialist" and c.district_id != request.district_id,
                    c.idle_since or far_past,
                    c.user_id,
                ),
            ), stage
    return None


def queue_order(requests: Iterable[RequestView]) -> list[RequestView]:
    """Priority beats waiting time; among equals the longest waiting goes first."""
    return sorted(requests, key=lambda r: (-r.priority, r.created_at, r.id))


def plan_offers(
    requests: Iterable[RequestView], clerks: Sequence[ClerkView], conf: AssistConf, now: dt.datetime
) -> list[tuple[RequestView, ClerkView, str]]:
    """Which request rings which clerk in this pass (each clerk at most once)."""
    taken: set[int] = set()
    plan = []
    # Requests that no free clerk could ever take (in any stage) are skipped by their routing key:
    # a long queue of, say, sign-language callers costs one check per pass, not one per caller.
    hopeless: set[RoutingKey] = set()
    free = [clerk for clerk in clerks if clerk.available]
    for request in queue_order(requests):
        if len(taken) >= len(free):
            break
        key = request.routing_key
        if key in hopeless:
            continue
        chosen = pick_clerk(request, clerks, conf, now, taken)
        if chosen is not None:
            clerk, stage = chosen
            taken.add(clerk.user_id)
            plan.append((request, clerk, stage))
        elif not any(
            clerk.user_id not in taken
            and clerk.user_id not in request.excluded_clerk_ids
            and any(in_stage(stage, clerk, request) for stage in STAGES)
            for clerk in free
        ):
            hopeless.add(key)
    return plan


def callback_due(request: RequestView, clerks: Sequence[ClerkView], conf: AssistConf, now: dt.datetime) -> bool:
    return CALLBACK in open_stages(request, clerks, conf, now)


def pick_stage(
    request: RequestView, clerk: ClerkView, clerks: Sequence[ClerkView], conf: AssistConf
) -> tuple[str, float] | None:
    """Where a request stands for one clerk of the console's waiting list: the narrowest stage that puts
    the clerk in reach of it, and after how many seconds of waiting that stage opens (the clerk may pick
    the request from then on, as a ring would have reached them). None: not in this clerk's queues."""
    return reach_in(stage_schedule(request, clerks, conf), clerk, request)


def reach_in(schedule: Sequence[tuple[str, float]], clerk: ClerkView, request: RequestView) -> tuple[str, float] | None:
    """`pick_stage` with the request's schedule computed once (it is the same for every clerk)."""
    for stage, opens_at in schedule:
        if stage != CALLBACK and in_stage(stage, clerk, request):
            return stage, opens_at
    return None
