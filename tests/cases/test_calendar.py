"""Deadlines past the holiday calendar's last year: provisional, one alert per year, counted again on import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from cases import services
from cases.chain import chain_verify
from cases.deadlines import calendar_years_missing
from cases.models import CalendarGap, Case, CaseEvent, Holiday
from govservice import events
from govservice.errors import Invalid
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The channel-layer messages the code sends after commit (group, payload)."""
    out: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(events, "dispatch", lambda messages, handler=events.PUSH: out.extend(messages))
    return out


@pytest.fixture
def calendar_through_2026(db: None) -> None:
    """The calendar as shipped: 2025 and 2026 (the data migration), nothing later."""
    Holiday.objects.filter(date__year__gt=2026).delete()


def _table(*years: int) -> str:
    """A small table for the given years (a test calendar, not the official one): New Year's Day off."""
    return "date,kind,name\n" + "".join(f"{year}-01-01,holiday,元旦\n" for year in years)


def _accept(version: Any, clerk: User, citizen: User) -> Case:
    case = f.submitted_case(applicant=citizen, version=version)
    return f.accept_checked(case, clerk)


def test_the_years_the_calendar_lacks_are_named(calendar_through_2026: None) -> None:
    assert calendar_years_missing(D(2026, 3, 1), D(2026, 12, 31)) == frozenset()
    assert calendar_years_missing(D(2026, 12, 1), D(2027, 1, 10)) == {2027}
    assert calendar_years_missing(D(2028, 1, 1), D(2026, 6, 1)) == {2027, 2028}


def test_a_working_day_count_into_a_missing_year_is_provisional_and_supervisors_hear_once_per_year(
    calendar_through_2026: None,
    citizen: User,
    huangpu_clerk: User,
    sent: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    supervisor = f.make_user("supervisor")
    # 400 working days from any day of 2026 or later run through at least one year after 2026.
    long = f.make_item(promised=5, statutory=400)
    with django_capture_on_commit_callbacks(execute=True):
        first = _accept(long, huangpu_clerk, citizen)
    assert first.deadline_provisional
    assert Case.objects.get(pk=first.pk).deadline_provisional
    gaps = set(CalendarGap.objects.values_list("year", flat=True))
    assert gaps and min(gaps) == 2027 and all(year > 2026 for year in gaps)
    alerts = [payload for group, payload in sent if payload["type"] == "calendar.missing_years"]
    assert len(alerts) == 1 and alerts[0]["reference"] == first.reference
    assert [group for group, payload in sent if payload["type"] == "calendar.missing_years"] == [
        events.user_group(supervisor.pk)
    ]
    # A second case into the same years: provisional too, no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        second = _accept(long, huangpu_clerk, citizen)
    assert second.deadline_provisional
    assert len([p for _g, p in sent if p["type"] == "calendar.missing_years"]) == 1
    assert CalendarGap.objects.get(year=2027).first_case_reference == first.reference


def test_calendar_days_never_depend_on_the_calendar(
    calendar_through_2026: None, citizen: User, huangpu_clerk: User
) -> None:
    case = _accept(f.make_item(promised=300, statutory=400, unit="calendar_days"), huangpu_clerk, citizen)
    assert not case.deadline_provisional
    assert not CalendarGap.objects.exists()


def test_importing_the_missing_years_counts_provisional_deadlines_again_on_the_chain(
    calendar_through_2026: None, citizen: User, huangpu_clerk: User
) -> None:
    case = _accept(f.make_item(promised=5, statutory=400), huangpu_clerk, citizen)
    assert case.deadline_provisional and case.statutory_due is not None
    years = list(range(2027, case.statutory_due.year + 2))
    report = services.holiday_calendar_import(text=_table(*years), actor=None)
    assert report.years == years and report.holidays == len(years) and report.cases_recomputed == 1
    case.refresh_from_db()
    assert not case.deadline_provisional
    # Each New Year's Day now off pushes the statutory deadline by at most one working day per year crossed.
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event is not None and event.action == "deadlines_recomputed"
    old, new = event.data["statutory_due"]
    assert new == case.statutory_due.isoformat() and new >= old
    assert event.data["provisional"] is False
    assert chain_verify(case=case).ok
    assert not CalendarGap.objects.filter(closed_at__isnull=True, year__in=years).exists()


def test_a_bad_table_imports_nothing_and_names_every_bad_line(calendar_through_2026: None) -> None:
    before = Holiday.objects.count()
    table = (
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"
        "2027-13-01,holiday,不存在\n"  # line 3: no such date
        "2027-01-05,班,周二\n"  # line 4: a Tuesday cannot be a make-up working day
        "2027-01-01,休,重复\n"  # line 5: the same day twice
        "2027-01-09,leave,?\n"  # line 6: unknown kind
    )
    with pytest.raises(Invalid) as raised, translation.override("en"):
        services.holiday_calendar_import(text=table, actor=None)
    rows = raised.value.fields["rows"]
    assert [row.split(":")[0] for row in rows] == ["Line 3", "Line 4", "Line 5", "Line 6"]
    assert raised.value.code == "calendar_invalid"
    assert str(raised.value).startswith("4 rows of the table are wrong")
    assert Holiday.objects.count() == before
    with pytest.raises(Invalid) as raised, translation.override("en"):
        services.holiday_calendar_import(
            text="date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,?\n", actor=None
        )
    assert str(raised.value).startswith("1 row of the table is wrong")
    with pytest.raises(Invalid):
        services.holiday_calendar_import(text="date,kind,name\n2027-01-09,班,调休\n", actor=None)  # no holiday at all
    assert Holiday.objects.count() == before


def test_an_imported_year_replaces_what_the_calendar_held_for_it(calendar_through_2026: None) -> None:
    assert Holiday.objects.filter(date__year=2026).count() == 39
    services.holiday_calendar_import(text="2026-10-01,休,国庆节\n", actor=None)
    assert list(Holiday.objects.filter(date__year=2026).values_list("name", flat=True)) == ["国庆节"]
    assert Holiday.objects.filter(date__year=2025).count() == 33


def test_the_scan_watches_the_statutory_deadline_too(
    citizen: User,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        case = _accept(f.make_item(), huangpu_clerk, citizen)
    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(
        promised_due=today - dt.timedelta(days=30), statutory_due=today - dt.timedelta(days=1)
    )
    counts = services.case_deadlines_scan(today=today)
    assert counts == {"due_soon": 0, "overdue": 1, "statutory_overdue": 1}
    assert services.case_deadlines_scan(today=today) == {"due_soon": 0, "overdue": 0, "statutory_overdue": 0}
    assert Case.objects.get(pk=case.pk).statutory_overdue_notified


def test_the_api_says_the_deadlines_are_provisional(
    calendar_through_2026: None, citizen: User, huangpu_clerk: User
) -> None:
    case = _accept(f.make_item(promised=5, statutory=400), huangpu_clerk, citizen)
    client = Client()
    client.force_login(citizen)
    answer = client.get(f"/api/cases/{case.reference}/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["deadline_provisional"] is True


def test_the_admin_names_the_missing_years_and_imports_a_table(
    calendar_through_2026: None, citizen: User, huangpu_clerk: User
) -> None:
    admin = User.objects.create_superuser("calendar-admin", password="x-" + "y" * 12)
    _accept(f.make_item(promised=5, statutory=400), huangpu_clerk, citizen)
    client = Client()
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:cases_holiday_changelist"))
    text = page.content.decode()
    assert "Missing: 2027" in text and "open cases with provisional deadlines: 1." in text
    bad = client.post(
        reverse("admin:cases_holiday_import"),
        {"table": _upload("2027-01-05,班,周二\n")},
    )
    assert bad.status_code == 200 and "Line 1" in bad.content.decode()
    assert not Holiday.objects.filter(date__year=2027).exists()
    good = client.post(reverse("admin:cases_holiday_import"), {"table": _upload(_table(*range(2027, 2032)))})
    assert good.status_code == 302
    assert Holiday.objects.filter(date__year=2027).count() == 1


def test_a_clerk_cannot_import_the_calendar(huangpu_clerk: User) -> None:
    client = Client()
    client.force_login(huangpu_clerk)
    answer = client.get(reverse("admin:cases_holiday_import"))
    assert answer.status_code in (302, 403)
    assert answer.status_code != 200


def test_the_command_imports_a_file_or_says_why_not(calendar_through_2026: None, tmp_path: Path) -> None:
    good = tmp_path / "2027.csv"
    good.write_text(_table(2027), encoding="utf-8")
    call_command("import_holidays", str(good))
    assert Holiday.objects.filter(date__year=2027).count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("2028-02-30,holiday,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Line 1"), translation.override("en"):
        call_command("import_holidays", str(bad))
    assert not Holiday.objects.filter(date__year=2028).exists()


def _upload(text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("calendar.csv", text.encode(), content_type="text/csv")
