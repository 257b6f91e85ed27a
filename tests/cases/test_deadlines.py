"""Working-day deadlines from the holiday calendar; stopped clocks; the beat scan."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from accounts.models import User
from cases import services
from cases.deadlines import due_date, shift_due, working_days_left
from cases.models import Case, CaseState, Holiday
from cases.schedule import BEAT_SCHEDULE
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db

D = dt.date


CALENDAR_MIGRATION = importlib.import_module("cases.migrations.0004_holidays_2025_2026")


@pytest.fixture
def official_calendar(db: None) -> None:
    """The 2025-2026 calendar the data migration preloads (loaded again, idempotently, in case a
    transactional test emptied the tables before this one)."""
    CALENDAR_MIGRATION.load(Holiday)


def test_the_official_2025_and_2026_calendar_is_preloaded_and_loading_it_again_changes_nothing() -> None:
    assert Holiday.objects.filter(date__year=2025, kind=Holiday.Kind.HOLIDAY).count() == 28
    assert Holiday.objects.filter(date__year=2025, kind=Holiday.Kind.MAKEUP_WORKDAY).count() == 5
    assert Holiday.objects.filter(date__year=2026, kind=Holiday.Kind.HOLIDAY).count() == 33
    assert Holiday.objects.filter(date__year=2026, kind=Holiday.Kind.MAKEUP_WORKDAY).count() == 6
    assert Holiday.objects.get(date=D(2025, 1, 28)).name == "春节"
    assert Holiday.objects.get(date=D(2025, 10, 8)).name == "国庆节、中秋节"
    assert Holiday.objects.get(date=D(2026, 1, 4)).kind == Holiday.Kind.MAKEUP_WORKDAY
    # Every make-up working day is a weekend day, every holiday period is in the right year.
    assert all(
        d.isoweekday() >= 6 for d in Holiday.objects.filter(kind="makeup_workday").values_list("date", flat=True)
    )
    # A day mislabelled in the admin is put right, nothing is added.
    Holiday.objects.filter(date=D(2026, 2, 14)).update(kind=Holiday.Kind.HOLIDAY, name="wrong")
    CALENDAR_MIGRATION.load(Holiday)
    CALENDAR_MIGRATION.load(Holiday)
    assert Holiday.objects.filter(date__year__in=[2025, 2026]).count() == 72
    assert Holiday.objects.get(date=D(2026, 2, 14)).kind == Holiday.Kind.MAKEUP_WORKDAY


def test_a_deadline_across_the_2026_spring_festival_skips_it_and_counts_the_make_up_saturdays(
    official_calendar: None,
) -> None:
    # 春节 2026: 15-23 February off; Saturdays 14 and 28 February worked. Accepted Friday 13 February.
    assert due_date(start=D(2026, 2, 13), limit=1, unit="working_days") == D(2026, 2, 14)
    assert due_date(start=D(2026, 2, 13), limit=2, unit="working_days") == D(2026, 2, 24)
    assert due_date(start=D(2026, 2, 13), limit=5, unit="working_days") == D(2026, 2, 27)
    assert due_date(start=D(2026, 2, 13), limit=6, unit="working_days") == D(2026, 2, 28)
    assert due_date(start=D(2026, 2, 13), limit=7, unit="working_days") == D(2026, 3, 2)
    assert working_days_left(today=D(2026, 2, 13), due=D(2026, 3, 2)) == 7
    # A clock stopped on 13 February and restarted on the 25th lost the 14th, 24th and 25th only.
    assert shift_due(
        due=D(2026, 3, 2), stopped_from=D(2026, 2, 13), resumed_on=D(2026, 2, 25), unit="working_days"
    ) == (D(2026, 3, 5), 3)


def test_the_2025_spring_festival_make_up_sunday_counts_and_the_holiday_does_not(official_calendar: None) -> None:
    # 春节 2025: 28 January - 4 February off; Sunday 26 January and Saturday 8 February worked.
    assert due_date(start=D(2025, 1, 24), limit=1, unit="working_days") == D(2025, 1, 26)
    assert due_date(start=D(2025, 1, 24), limit=2, unit="working_days") == D(2025, 1, 27)
    assert due_date(start=D(2025, 1, 24), limit=3, unit="working_days") == D(2025, 2, 5)


def test_it_counts_working_days_around_a_long_holiday_and_make_up_days(official_calendar: None) -> None:
    # 中秋 2026: 25-27 September; 国庆: 1-7 October; Sunday 20 September and Saturday 10 October worked.
    assert due_date(start=D(2026, 9, 18), limit=1, unit="working_days") == D(2026, 9, 20)
    # Accepted Thursday 24 September: 28, 29, 30 September, then 8, 9, 10 (Sat, worked), 12 October.
    assert due_date(start=D(2026, 9, 24), limit=1, unit="working_days") == D(2026, 9, 28)
    assert due_date(start=D(2026, 9, 24), limit=3, unit="working_days") == D(2026, 9, 30)
    assert due_date(start=D(2026, 9, 24), limit=4, unit="working_days") == D(2026, 10, 8)
    assert due_date(start=D(2026, 9, 24), limit=6, unit="working_days") == D(2026, 10, 10)
    assert due_date(start=D(2026, 9, 24), limit=7, unit="working_days") == D(2026, 10, 12)
    assert due_date(start=D(2026, 9, 24), limit=5, unit="calendar_days") == D(2026, 9, 29)


def test_a_stopped_clock_moves_the_deadline_by_the_working_days_it_stood_still(official_calendar: None) -> None:
    # Stopped on Wednesday 30 September, restarted Friday 9 October: 8 and 9 October are lost.
    due, days = shift_due(
        due=D(2026, 10, 12), stopped_from=D(2026, 9, 30), resumed_on=D(2026, 10, 9), unit="working_days"
    )
    assert (due, days) == (D(2026, 10, 14), 2)


def test_a_special_procedure_stops_the_case_clock(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, huangpu_clerk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = services.case_review_start(case=Case.objects.get(pk=case.pk), actor=shushan_clerk)
    promised = case.promised_due
    case = services.case_special_procedure_start(case=case, actor=shushan_clerk, reason="专家评审")
    assert case.clock_stopped_since == timezone.localdate()
    # Pretend the expert review began ten calendar days ago.
    Case.objects.filter(pk=case.pk).update(clock_stopped_since=timezone.localdate() - dt.timedelta(days=10))
    case = services.case_special_procedure_end(case=Case.objects.get(pk=case.pk), actor=shushan_clerk)
    assert case.clock_stopped_since is None
    assert case.stopped_days >= 6
    assert case.promised_due is not None and promised is not None
    assert case.promised_due > promised


def test_the_beat_scan_flags_due_soon_and_overdue_once_and_skips_stopped_clocks(
    citizen: User,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    assert BEAT_SCHEDULE["cases-scan-deadlines"]["task"] == "cases.scan_deadlines"
    version = f.make_item()
    today = timezone.localdate()
    cases = []
    for _ in range(3):
        case = f.submitted_case(applicant=citizen, version=version)
        with django_capture_on_commit_callbacks(execute=False):
            cases.append(f.accept_checked(case, huangpu_clerk))
    overdue, due_soon, stopped = cases
    Case.objects.filter(pk=overdue.pk).update(promised_due=today - dt.timedelta(days=10))
    Case.objects.filter(pk=due_soon.pk).update(promised_due=today)
    Case.objects.filter(pk=stopped.pk).update(
        promised_due=today - dt.timedelta(days=10), state=CaseState.SPECIAL_PROCEDURE, clock_stopped_since=today
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = services.case_deadlines_scan(today=today)
    assert counts == {"due_soon": 1, "overdue": 1, "statutory_overdue": 0}
    assert callbacks, "the clerk and supervisors are told after commit"
    assert services.case_deadlines_scan(today=today) == {"due_soon": 0, "overdue": 0, "statutory_overdue": 0}
    assert Case.objects.get(pk=overdue.pk).overdue_notified
    assert not Case.objects.get(pk=stopped.pk).overdue_notified
