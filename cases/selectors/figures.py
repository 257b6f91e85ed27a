"""Figures: cases by state, time to complete against the promise, overdue, trips saved, ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from accounts.models import User
from cases import life_cycle
from cases.models import Case, FollowUp
from cases.selectors.visibility import cases_visible_to, districts_visible_to
from standards.models import District


class _Block:
    """The figures of one district (or of the alliance), added up group by group."""

    def __init__(self) -> None:
        self.by_state = dict.fromkeys(life_cycle.STATES, 0)
        self.completed = 0
        self.days_to_complete = 0.0
        self.promised_days = 0
        self.overdue_open = 0
        self.completed_late = 0
        self.trips_saved = 0
        self.ratings = 0
        self.score_total = 0
        self.bad_ratings = 0
        self.follow_ups_open = 0

    def result(self) -> dict[str, Any]:
        completed, ratings = self.completed, self.ratings
        return {
            "total": sum(self.by_state.values()),
            "by_state": self.by_state,
            "completed": completed,
            "average_days_to_complete": round(self.days_to_complete / completed, 2) if completed else None,
            "average_promised_days": round(self.promised_days / completed, 2) if completed else None,
            "overdue_open": self.overdue_open,
            "completed_late": self.completed_late,
            "trips_saved": self.trips_saved,
            "ratings": {
                "count": ratings,
                "average": round(self.score_total / ratings, 2) if ratings else None,
                "bad": self.bad_ratings,
                "follow_ups_open": self.follow_ups_open,
            },
        }


def _figures_by_district(cases: QuerySet[Case], district_ids: list[int]) -> tuple[dict[int, _Block], _Block]:
    """Each district's figures (the cases it accepted or approves, once each) and the alliance's, in one
    statement over all the cases rather than a round of queries per district."""
    today = timezone.localdate()
    zone = timezone.get_current_timezone()  # once, not per row: thousands of finished cases
    blocks = {pk: _Block() for pk in district_ids}
    alliance = _Block()

    def targets(accepting: int, approving: int | None) -> list[_Block]:
        return [alliance, *(blocks[pk] for pk in {accepting, approving} if pk in blocks)]

    # One grouped statement, by pair of districts and state: the cases by state, the overdue ones, the finished
    # ones' times, and their ratings and the ratings' open follow-ups (one each at most: LEFT JOINs that add no
    # rows). A few hundred rows, not thousands of cases.
    pair = ("accepting_district_id", "approving_district_id")
    finished = Q(state__in=life_cycle.FINISHED_STATES, accepted_at__isnull=False, delivered_at__isnull=False)
    delivered_on = TruncDate("delivered_at", tzinfo=zone)
    for accepting, approving, state, n, overdue, completed, took, promised, late, trips, rated, score, bad, open_ in (
        cases.order_by()
        .values(*pair, "state")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(state__in=life_cycle.OPEN_STATES, promised_due__lt=today)),
            completed=Count("id", filter=finished),
            took=Sum(
                ExpressionWrapper(F("delivered_at") - F("accepted_at"), output_field=DurationField()), filter=finished
            ),
            promised=Sum("item_version__promised_limit", filter=finished),
            late=Count("id", filter=finished & Q(promised_due__isnull=False, promised_due__lt=delivered_on)),
            trips=Sum(Greatest(F("item_version__onsite_visits") - F("onsite_visits_made"), Value(0)), filter=finished),
            rated=Count("rating"),
            score=Sum("rating__score"),
            bad=Count("rating", filter=Q(rating__score__lte=2)),
            open_follow_ups=Count("rating__follow_up", filter=Q(rating__follow_up__status=FollowUp.Status.OPEN)),
        )
        .values_list(
            *pair,
            "state",
            "n",
            "overdue",
            "completed",
            "took",
            "promised",
            "late",
            "trips",
            "rated",
            "score",
            "bad",
            "open_follow_ups",
        )
    ):
        for block in targets(accepting, approving):
            block.by_state[state] = block.by_state.get(state, 0) + n
            block.overdue_open += overdue
            block.completed += completed
            block.days_to_complete += took.total_seconds() / 86400 if took else 0.0
            block.promised_days += promised or 0
            block.completed_late += late
            block.trips_saved += trips or 0
            block.ratings += rated
            block.score_total += score or 0
            block.bad_ratings += bad
            block.follow_ups_open += open_
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
