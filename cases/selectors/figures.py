"""Figures: cases by state, time to complete against the promise, overdue, trips saved, ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cases import life_cycle
from cases.models import Case, FollowUp, Rating
from cases.selectors.visibility import cases_visible_to, districts_visible_to
from standards.models import District


class _Block:
    """The figures of one district (or of the alliance), added up row by row."""

    def __init__(self) -> None:
        self.by_state = dict.fromkeys(life_cycle.STATES, 0)
        self.durations: list[tuple[float, int]] = []
        self.overdue_open = 0
        self.completed_late = 0
        self.trips_saved = 0
        self.scores: list[int] = []
        self.follow_ups_open = 0

    def result(self) -> dict[str, Any]:
        durations, scores = self.durations, self.scores
        return {
            "total": sum(self.by_state.values()),
            "by_state": self.by_state,
            "completed": len(durations),
            "average_days_to_complete": round(sum(d for d, _ in durations) / len(durations), 2) if durations else None,
            "average_promised_days": round(sum(p for _, p in durations) / len(durations), 2) if durations else None,
            "overdue_open": self.overdue_open,
            "completed_late": self.completed_late,
            "trips_saved": self.trips_saved,
            "ratings": {
                "count": len(scores),
                "average": round(sum(scores) / len(scores), 2) if scores else None,
                "bad": sum(1 for score in scores if score <= 2),
                "follow_ups_open": self.follow_ups_open,
            },
        }


def _figures_by_district(cases: QuerySet[Case], district_ids: list[int]) -> tuple[dict[int, _Block], _Block]:
    """Each district's figures (the cases it accepted or approves, once each) and the alliance's, in a few
    queries over all the cases rather than a round of queries per district."""
    today = timezone.localdate()
    zone = timezone.get_current_timezone()  # once, not per row: thousands of finished cases
    blocks = {pk: _Block() for pk in district_ids}
    alliance = _Block()

    def targets(accepting: int, approving: int | None) -> list[_Block]:
        return [alliance, *(blocks[pk] for pk in {accepting, approving} if pk in blocks)]

    for accepting, approving, state, n in (
        cases.order_by()
        .values("accepting_district_id", "approving_district_id", "state")
        .annotate(n=Count("id"))
        .values_list("accepting_district_id", "approving_district_id", "state", "n")
    ):
        for block in targets(accepting, approving):
            block.by_state[state] = block.by_state.get(state, 0) + n
    for accepting, approving in cases.filter(state__in=life_cycle.OPEN_STATES, promised_due__lt=today).values_list(
        "accepting_district_id", "approving_district_id"
    ):
        for block in targets(accepting, approving):
            block.overdue_open += 1
    finished = cases.filter(state__in=life_cycle.FINISHED_STATES, accepted_at__isnull=False, delivered_at__isnull=False)
    for accepting, approving, accepted_at, delivered_at, promised, due, needed, made in finished.values_list(
        "accepting_district_id",
        "approving_district_id",
        "accepted_at",
        "delivered_at",
        "item_version__promised_limit",
        "promised_due",
        "item_version__onsite_visits",
        "onsite_visits_made",
    ):
        # Never None here (the filter above): narrowed for the type checker.
        if accepted_at is None or delivered_at is None:
            continue
        days = (delivered_at - accepted_at).total_seconds() / 86400
        late = bool(due and delivered_at.astimezone(zone).date() > due)
        for block in targets(accepting, approving):
            block.durations.append((days, promised))
            block.completed_late += late
            block.trips_saved += max(0, needed - made)
    ratings = Rating.objects.filter(case__in=cases)
    for accepting, approving, score in ratings.values_list(
        "case__accepting_district_id", "case__approving_district_id", "score"
    ):
        for block in targets(accepting, approving):
            block.scores.append(score)
    for accepting, approving in FollowUp.objects.filter(rating__in=ratings, status=FollowUp.Status.OPEN).values_list(
        "rating__case__accepting_district_id", "rating__case__approving_district_id"
    ):
        for block in targets(accepting, approving):
            block.follow_ups_open += 1
    return blocks, alliance


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
    shown = districts_visible_to(user)
    if district is not None:
        shown = shown.filter(pk=district.pk)
        visible = visible.filter(Q(accepting_district=district) | Q(approving_district=district))
    districts = list(shown)
    blocks, alliance = _figures_by_district(visible, [d.pk for d in districts])
    result: dict[str, Any] = {
        "districts": [
            {"division_code": d.division_code, "district": str(d), **blocks[d.pk].result()} for d in districts
        ],
    }
    if user.role == User.Role.SUPERVISOR:
        result["alliance"] = alliance.result()
    return result
