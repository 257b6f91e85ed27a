"""The clerk's workbench and the district queues."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from accounts.models import User
from cases import life_cycle
from cases.life_cycle import Queue, queue_states
from cases.models import Case
from cases.selectors.visibility import cases_visible_to, districts_visible_to
from govservice.queues import district_queue

# With the approving district, past recognition: its load without the cases still waiting to be recognised.
_IN_REVIEW_STATES = tuple(sorted(set(life_cycle.LOAD_STATES) - {life_cycle.ROUTED}))


def workbench_for(clerk: User) -> dict[str, QuerySet[Case]]:
    """A clerk's district queue: to accept, to approve (routed here, or held for want of a clerk), to deliver."""
    district_id = clerk.district_id
    visible = cases_visible_to(clerk)
    return {
        "to_accept": visible.filter(
            accepting_district_id=district_id, state__in=queue_states(Queue.TO_ACCEPT)
        ).order_by("submitted_at"),
        "to_approve": visible.filter(
            approving_district_id=district_id, state__in=queue_states(Queue.TO_APPROVE)
        ).order_by("routed_at"),
        "to_deliver": visible.filter(
            accepting_district_id=district_id, state__in=queue_states(Queue.TO_DELIVER)
        ).order_by("decided_at"),
        "waiting": visible.filter(accepting_district_id=district_id, state__in=queue_states(Queue.WAITING)),
    }


def routing_stopped_cases() -> QuerySet[Case]:
    """Accepted cases whose routing stopped after its attempts (poison): a supervisor must look at them."""
    return Case.objects.filter(state=life_cycle.AWAITING_ROUTING, routing_poisoned=True)


def district_queues(*, user: User) -> list[dict[str, Any]]:
    """Every district queue for a supervisor; the clerk's own for a clerk."""
    districts = districts_visible_to(user)
    if not districts:
        return []
    rows = []
    active_clerks = dict(
        User.objects.filter(role=User.Role.CLERK, is_active=True)
        .values("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    for district in districts:
        # Routed here and waiting to be recognised (the routing step's target).
        transferred = Case.objects.filter(approving_district=district, state=life_cycle.ROUTED)
        rows.append(
            {
                "division_code": district.division_code,
                "district": str(district),
                "queue": district_queue(district.division_code),
                "active_clerks": active_clerks.get(district.pk, 0),
                "waiting": transferred.count(),
                "held_without_clerk": transferred.filter(approving_clerk__isnull=True).count(),
                "in_review": Case.objects.filter(approving_district=district, state__in=_IN_REVIEW_STATES).count(),
                "routing_stopped": routing_stopped_cases().filter(approving_district=district).count(),
                "cases": list(transferred.order_by("routed_at").values_list("reference", flat=True)[:50]),
            }
        )
    return rows
