"""The holiday calendar: importing a year's table, all or nothing, and putting provisional deadlines right.

A table has one row per day that differs from the plain week: `date, kind, name`, where kind is a public
holiday (`holiday`, 休, 假) or a weekend day worked instead (`makeup_workday`, 班, 调休上班). A header row
is allowed. The years a table holds replace what the calendar held for them; every row is checked
before anything is written, and one bad row refuses the whole table with its line number.

After an import, every open case whose deadlines were provisional is counted again from its acceptance
(the working days its clock stood still included), the change is written to its event chain, and the
years imported close their gap (cases.models.CalendarGap).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.deadlines import calendar_around, calendar_years_missing
from cases.models import CalendarGap, Case, Holiday
from govservice.errors import Invalid

KIND_WORDS = {
    "holiday": Holiday.Kind.HOLIDAY,
    "休": Holiday.Kind.HOLIDAY,
    "假": Holiday.Kind.HOLIDAY,
    "节假日": Holiday.Kind.HOLIDAY,
    "makeup_workday": Holiday.Kind.MAKEUP_WORKDAY,
    "班": Holiday.Kind.MAKEUP_WORKDAY,
    "调休上班": Holiday.Kind.MAKEUP_WORKDAY,
}

HEADER = ("date", "kind", "name")


@dataclass
class CalendarImportReport:
    years: list[int] = field(default_factory=list)
    holidays: int = 0
    makeup_workdays: int = 0
    cases_recomputed: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    date: dt.date
    kind: str
    name: str


def _read(text: str) -> list[_Row]:
    errors: list[str] = []
    rows: list[_Row] = []
    seen: dict[dt.date, int] = {}
    for line, cells in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if line == 1 and tuple(cell.lower() for cell in cells[:3]) == HEADER:
            continue
        if len(cells) != 3:
            errors.append(_("Line %(line)d: expected three columns (date, kind, name).") % {"line": line})
            continue
        raw_date, raw_kind, name = cells
        try:
            day = dt.date.fromisoformat(raw_date)
        except ValueError:
            errors.append(
                _("Line %(line)d: “%(value)s” is not a date (YYYY-MM-DD).") % {"line": line, "value": raw_date}
            )
            continue
        kind = KIND_WORDS.get(raw_kind.lower())
        if kind is None:
            errors.append(
                _("Line %(line)d: “%(value)s” is neither a holiday nor a make-up working day.")
                % {"line": line, "value": raw_kind}
            )
            continue
        if not name:
            errors.append(_("Line %(line)d: the day has no name.") % {"line": line})
            continue
        if kind == Holiday.Kind.MAKEUP_WORKDAY and day.isoweekday() < 6:
            errors.append(
                _("Line %(line)d: %(date)s is a weekday; only a weekend day can be a make-up working day.")
                % {"line": line, "date": day.isoformat()}
            )
            continue
        if day in seen:
            errors.append(
                _("Line %(line)d: %(date)s is already on line %(first)d.")
                % {"line": line, "date": day.isoformat(), "first": seen[day]}
            )
            continue
        seen[day] = line
        rows.append(_Row(line, day, kind, name[:100]))
    if errors:
        raise Invalid(
            ngettext(
                "%(count)d row of the table is wrong: nothing was imported.",
                "%(count)d rows of the table are wrong: nothing was imported.",
                len(errors),
            )
            % {"count": len(errors)},
            code="calendar_invalid",
            fields={"rows": errors},
        )
    if not rows:
        raise Invalid(_("The table holds no day."), code="calendar_empty")
    for year in sorted({row.date.year for row in rows}):
        if not any(row.date.year == year and row.kind == Holiday.Kind.HOLIDAY for row in rows):
            raise Invalid(
                _("The table holds no public holiday in %(year)d: a year's calendar always has some.") % {"year": year},
                code="calendar_invalid",
            )
    return rows


def holiday_calendar_import(*, text: str, actor: User | None) -> CalendarImportReport:
    """Replace the years the table holds, then count provisional deadlines again. All or nothing."""
    rows = _read(text)
    years = sorted({row.date.year for row in rows})
    report = CalendarImportReport(years=years)
    with transaction.atomic():
        Holiday.objects.filter(date__year__in=years).delete()
        Holiday.objects.bulk_create(Holiday(date=row.date, kind=row.kind, name=row.name) for row in rows)
        report.holidays = sum(1 for row in rows if row.kind == Holiday.Kind.HOLIDAY)
        report.makeup_workdays = len(rows) - report.holidays
        CalendarGap.objects.filter(year__in=years, closed_at__isnull=True).update(closed_at=timezone.now())
        report.cases_recomputed = provisional_deadlines_recount(actor=actor)
    return report


def provisional_deadlines_recount(*, actor: User | None) -> int:
    """Count the deadlines of open cases marked provisional again with the calendar as it is now."""
    count = 0
    provisional = Case.objects.filter(
        deadline_provisional=True, state__in=life_cycle.OPEN_STATES, accepted_at__isnull=False
    ).select_related("item_version")
    for case in provisional.select_for_update():
        version = case.item_version
        if version.limit_unit != version.LimitUnit.WORKING_DAYS:  # calendar days know no holidays
            Case.objects.filter(pk=case.pk).update(deadline_provisional=False)
            continue
        accepted = timezone.localdate(case.accepted_at)
        # Adding working days composes: the first count plus every shift of a stopped clock is one count of
        # the limit plus the working days the clock stood still.
        promised_days = version.promised_limit + case.stopped_days
        statutory_days = version.statutory_limit + case.stopped_days
        calendar = calendar_around(accepted, max(promised_days, statutory_days))
        promised = calendar.add_working_days(accepted, promised_days)
        statutory = calendar.add_working_days(accepted, statutory_days)
        still = bool(calendar_years_missing(accepted, max(promised, statutory)))
        Case.objects.filter(pk=case.pk).update(
            promised_due=promised, statutory_due=statutory, deadline_provisional=still
        )
        event_append(
            case=case,
            action=life_cycle.DEADLINES_RECOMPUTED,
            actor=actor,
            reason=_("The holiday calendar was imported."),
            data={
                "promised_due": [_iso(case.promised_due), promised.isoformat()],
                "statutory_due": [_iso(case.statutory_due), statutory.isoformat()],
                "provisional": still,
            },
        )
        count += 1
    return count


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
