"""The holiday calendar's coverage: which years it holds, and which years deadlines already reach without it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone

from cases import life_cycle
from cases.models import CalendarGap, Case, Holiday


@dataclass(frozen=True)
class CalendarCoverage:
    years: list[int]  # the years the calendar holds
    missing: list[int]  # years deadlines reach (or next year) that it does not hold
    provisional_cases: int  # open cases whose deadlines are provisional


def calendar_coverage() -> CalendarCoverage:
    years = sorted(day.year for day in Holiday.objects.dates("date", "year"))
    open_cases = Case.objects.filter(state__in=life_cycle.OPEN_STATES)
    reach = open_cases.aggregate(
        last=Max("statutory_due"), provisional=Count("pk", filter=Q(deadline_provisional=True))
    )
    this_year = timezone.localdate().year
    last_year = reach["last"].year if reach["last"] else this_year
    # Next year belongs to the calendar from today on: a case accepted tomorrow may count into it.
    wanted = set(range(min([*years, this_year]), max(last_year, this_year + 1) + 1))
    wanted |= set(CalendarGap.objects.filter(closed_at__isnull=True).values_list("year", flat=True))
    return CalendarCoverage(
        years=years, missing=sorted(wanted - set(years)), provisional_cases=reach["provisional"] or 0
    )
