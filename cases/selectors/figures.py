"""Figures: cases by state, time to complete against the promise, overdue, trips saved, ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cases import life_cycle
from cases.models import Case, FollowUp, Rating
from cases.selectors.visibility import cases_visible_to, districts_visible_to
from standards.models import District


def _figures_for(cases: QuerySet[Case]) -> dict[str, Any]:
    today = timezone.localdate()
    by_state = dict.fromkeys(life_cycle.STATES, 0)
    for row in cases.values("state").annotate(n=Count("id")):
        by_state[row["state"]] = row["n"]
    finished = cases.filter(state__in=life_cycle.FINISHED_STATES, accepted_at__isnull=False, delivered_at__isnull=False)
    durations = [
        ((delivered_at - accepted_at).total_seconds() / 86400, promised)
        for accepted_at, delivered_at, promised in finished.values_list(
            "accepted_at", "delivered_at", "item_version__promised_limit"
        )
        # Never None here (the filter above): narrowed for the type checker.
        if accepted_at is not None and delivered_at is not None
    ]
    overdue_open = cases.filter(state__in=life_cycle.OPEN_STATES, promised_due__lt=today).count()
    overdue_late = sum(
        1
        for delivered_at, due in finished.values_list("delivered_at", "promised_due")
        if due and timezone.localdate(delivered_at) > due
    )
    trips_saved = sum(
        max(0, needed - made)
        for needed, made in finished.values_list("item_version__onsite_visits", "onsite_visits_made")
    )
    ratings = Rating.objects.filter(case__in=cases)
    rating_figures = ratings.aggregate(count=Count("id"), average=Avg("score"), bad=Count("id", filter=Q(score__lte=2)))
    return {
        "total": sum(by_state.values()),
        "by_state": by_state,
        "completed": len(durations),
        "average_days_to_complete": round(sum(d for d, _ in durations) / len(durations), 2) if durations else None,
        "average_promised_days": round(sum(p for _, p in durations) / len(durations), 2) if durations else None,
        "overdue_open": overdue_open,
        "completed_late": overdue_late,
        "trips_saved": trips_saved,
        "ratings": {
            "count": rating_figures["count"],
            "average": round(rating_figures["average"], 2) if rating_figures["average"] is not None else None,
            "bad": rating_figures["bad"],
            "follow_ups_open": FollowUp.objects.filter(rating__in=ratings, status=FollowUp.Status.OPEN).count(),
        },
    }


def figures(
    *,
    user: User,
    submitted_from: dt.datetime | None = None,
    submitted_before: dt.datetime | None = None,
    district: District | None = None,
) -> dict[str, Any]:
    """Per district (cases it accepted or approves) and alliance-wide; a clerk gets their district only.

    With a period, only the cases submitted in it; with `district`, that district's row alone (and the
    alliance block counts that district's cases).
    """
    visible = cases_visible_to(user).exclude(state__in=life_cycle.UNSUBMITTED_STATES)
    if submitted_from is not None:
        visible = visible.filter(submitted_at__gte=submitted_from)
    if submitted_before is not None:
        visible = visible.filter(submitted_at__lt=submitted_before)
    districts = districts_visible_to(user)
    if district is not None:
        districts = districts.filter(pk=district.pk)
        visible = visible.filter(Q(accepting_district=district) | Q(approving_district=district))
    result: dict[str, Any] = {
        "districts": [
            {
                "division_code": d.division_code,
                "district": str(d),
                **_figures_for(visible.filter(Q(accepting_district=d) | Q(approving_district=d))),
            }
            for d in districts
        ],
    }
    if user.role == User.Role.SUPERVISOR:
        result["alliance"] = _figures_for(visible)
    return result
