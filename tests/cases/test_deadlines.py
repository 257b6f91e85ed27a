"""Working-day deadlines from the holiday calendar; stopped clocks; the beat scan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.deadlines import due_date, shift_due
from cases.models import Case, CaseState, Holiday
from cases.schedule import BEAT_SCHEDULE
from tests.cases import factories as f

pytestmark = pytest.mark.django_db

D = dt.date


def national_day_2026():
    # 国庆 2026: 1-7 October off, Sunday 27 September and Saturday 10 October worked.
    for day in range(1, 8):
        Holiday.objects.create(date=D(2026, 10, day), name="国庆节")
    Holiday.objects.create(date=D(2026, 9, 27), kind=Holiday.Kind.MAKEUP_WORKDAY, name="国庆调休")
    Holiday.objects.create(date=D(2026, 10, 10), kind=Holiday.Kind.MAKEUP_WORKDAY, name="国庆调休")


def test_it_counts_working_days_around_a_long_holiday_and_make_up_days():
    national_day_2026()
    # Accepted Friday 25 September: 27 Sep (Sun, worked), 28, 29, 30, then 8, 9, 10 (Sat, worked), 12...
    assert due_date(start=D(2026, 9, 25), limit=1, unit="working_days") == D(2026, 9, 27)
    assert due_date(start=D(2026, 9, 25), limit=4, unit="working_days") == D(2026, 9, 30)
    assert due_date(start=D(2026, 9, 25), limit=5, unit="working_days") == D(2026, 10, 8)
    assert due_date(start=D(2026, 9, 25), limit=7, unit="working_days") == D(2026, 10, 10)
    assert due_date(start=D(2026, 9, 25), limit=8, unit="working_days") == D(2026, 10, 12)
    assert due_date(start=D(2026, 9, 25), limit=5, unit="calendar_days") == D(2026, 9, 30)


def test_a_stopped_clock_moves_the_deadline_by_the_working_days_it_stood_still():
    national_day_2026()
    # Stopped on Wednesday 30 September, restarted Friday 9 October: 8 and 9 October are lost.
    due, days = shift_due(
        due=D(2026, 10, 12), stopped_from=D(2026, 9, 30), resumed_on=D(2026, 10, 9), unit="working_days"
    )
    assert (due, days) == (D(2026, 10, 14), 2)


def test_a_special_procedure_stops_the_case_clock(
    citizen, item, huangpu_clerk, shushan_clerk, django_capture_on_commit_callbacks
):
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=False):
        case = services.case_accept(case=case, actor=huangpu_clerk)
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
    assert case.promised_due > promised


def test_the_beat_scan_flags_due_soon_and_overdue_once_and_skips_stopped_clocks(
    citizen, huangpu_clerk, shushan_clerk, django_capture_on_commit_callbacks
):
    assert BEAT_SCHEDULE["cases-scan-deadlines"]["task"] == "cases.scan_deadlines"
    version = f.make_item()
    today = timezone.localdate()
    cases = []
    for _ in range(3):
        case = f.submitted_case(applicant=citizen, version=version)
        with django_capture_on_commit_callbacks(execute=False):
            cases.append(services.case_accept(case=case, actor=huangpu_clerk))
    overdue, due_soon, stopped = cases
    Case.objects.filter(pk=overdue.pk).update(promised_due=today - dt.timedelta(days=10))
    Case.objects.filter(pk=due_soon.pk).update(promised_due=today)
    Case.objects.filter(pk=stopped.pk).update(
        promised_due=today - dt.timedelta(days=10), state=CaseState.SPECIAL_PROCEDURE, clock_stopped_since=today
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = services.case_deadlines_scan(today=today)
    assert counts == {"due_soon": 1, "overdue": 1}
    assert callbacks, "the clerk and supervisors are told after commit"
    assert services.case_deadlines_scan(today=today) == {"due_soon": 0, "overdue": 0}
    assert Case.objects.get(pk=overdue.pk).overdue_notified
    assert not Case.objects.get(pk=stopped.pk).overdue_notified
