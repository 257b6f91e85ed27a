"""Working days from the holiday calendar: deadlines count working days, stopped clocks push them back.

The calendar is published year by year (国务院办公厅's notice on the next year's holidays, usually in
November or December). A count that runs into a year the calendar does not hold yet treats every weekday
of it as a working day; `calendar_years_missing` names such years so the deadline can be marked
provisional (cases.services.deadlines) instead of going silently wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cases.models import Holiday

# A case is due soon when its promised deadline is at most this many working days away (the deadline
# scan's notice, the workbench's filter).
DUE_SOON_WORKING_DAYS = 2


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]

    @classmethod
    def load(cls, *, start: dt.date, end: dt.date) -> WorkingCalendar:
        rows = Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind")
        return cls(
            holidays=frozenset(day for day, kind in rows if kind == Holiday.Kind.HOLIDAY),
            makeup_workdays=frozenset(day for day, kind in rows if kind == Holiday.Kind.MAKEUP_WORKDAY),
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() <= 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (the day of acceptance itself does not count)."""
        day = start
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how far a clock stopped on `start` and restarted on `end` stood still."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def calendar_around(start: dt.date, days: int) -> WorkingCalendar:
    # Long holidays (Spring Festival, National Day) add at most a couple of weeks per month covered.
    return WorkingCalendar.load(start=start - dt.timedelta(days=1), end=start + dt.timedelta(days=days * 2 + 60))


def due_date(*, start: dt.date, limit: int, unit: str) -> dt.date:
    if unit == "calendar_days":
        return start + dt.timedelta(days=limit)
    return calendar_around(start, limit).add_working_days(start, limit)


def shift_due(*, due: dt.date, stopped_from: dt.date, resumed_on: dt.date, unit: str) -> tuple[dt.date, int]:
    """Push a deadline back by the days a clock stood still; returns (new due, days added)."""
    if resumed_on <= stopped_from:
        return due, 0
    if unit == "calendar_days":
        days = (resumed_on - stopped_from).days
        return due + dt.timedelta(days=days), days
    span = (resumed_on - stopped_from).days
    calendar = WorkingCalendar.load(start=stopped_from, end=max(resumed_on, due) + dt.timedelta(days=span * 2 + 60))
    days = calendar.working_days_between(stopped_from, resumed_on)
    return calendar.add_working_days(due, days) if days else due, days


def calendar_years_missing(start: dt.date, end: dt.date) -> frozenset[int]:
    """The years from `start` to `end` (inclusive) that the holiday calendar holds no day of.

    A published year always has holidays, so a year without a single row has not been imported yet.
    """
    if end < start:
        start, end = end, start
    covered = {
        day.year
        for day in Holiday.objects.filter(
            date__gte=dt.date(start.year, 1, 1), date__lte=dt.date(end.year, 12, 31)
        ).dates("date", "year")
    }
    return frozenset(set(range(start.year, end.year + 1)) - covered)


def working_days_left(*, today: dt.date, due: dt.date) -> int:
    """Working days from today to the deadline (negative when overdue)."""
    if due >= today:
        return WorkingCalendar.load(start=today, end=due).working_days_between(today, due)
    return -WorkingCalendar.load(start=due, end=today).working_days_between(due, today)
