"""The supervisors' dashboard: who may see it, what its charts and figures say, the period, the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from dashboard import charts, panels, selectors
from helpdesk.models import AssistRequest, CallSession
from tests import factories as f


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def earlier_today(**delta: float) -> dt.datetime:
    """`delta` ago, but not before today began in Shanghai: the charts count by the local day, and a test run just
    after midnight would otherwise put its calls on two days."""
    now = timezone.now()
    day_began = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - dt.timedelta(**delta), day_began + dt.timedelta(seconds=1))


def call(citizen: User, *, wait: float | None, at: dt.datetime) -> AssistRequest:
    """A call for help made at `at`, answered after `wait` seconds (None: never answered)."""
    request = AssistRequest.objects.create(
        citizen=citizen,
        district=citizen.district,
        created_at=at,
        state=AssistRequest.State.DONE if wait is not None else AssistRequest.State.ABANDONED,
    )
    if wait is not None:
        clerk = f.make_clerk(f.HUANGPU)
        CallSession.objects.create(
            request=request,
            citizen=citizen,
            clerk=clerk,
            district=citizen.district,
            started_at=at + dt.timedelta(seconds=wait),
            ended_at=at + dt.timedelta(seconds=wait + 60),
            wait_seconds=wait,
            talk_seconds=60,
            outcome=CallSession.Outcome.RESOLVED,
        )
    return request


# --- who may see it ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "citizen", "huangpu_clerk", "standards_admin"])
def test_only_supervisors_see_the_dashboard_and_its_csv(cast: dict[str, User], who: str) -> None:
    assert client_for(cast[who]).get(reverse("dashboard")).status_code == 403
    assert client_for(cast[who]).get(reverse("dashboard-csv")).status_code == 403


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- what it says ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_draws_the_calls_with_their_target_and_explains_every_figure(cast: dict[str, User]) -> None:
    citizen = f.make_citizen(code=f.HUANGPU)
    call(citizen, wait=8, at=earlier_today(hours=2))
    call(f.make_citizen(code=f.HUANGPU), wait=45, at=earlier_today(hours=1))
    call(f.make_citizen(code=f.HUANGPU), wait=None, at=earlier_today(hours=1))
    f.submitted_case(applicant=citizen)
    page = client_for(cast["supervisor"]).get(reverse("dashboard")).content.decode()
    assert page.count('<svg class="chart"') == 8
    assert "目标 80%" in page and "目标 20 秒" in page  # the targets drawn in, labelled
    # One of three calls answered within 20 s: 33.3% of all calls, shown as the dot's exact value.
    assert "33.3%" in page
    assert "上海·黄浦区" in page  # districts by name, never by queue name
    assert "district.3" not in page and "0.0 / " not in page
    assert "每一对柱子代表一天" in page  # the charts are explained in plain words
    assert "正在排队等待" in page  # and so is every video-help figure


@pytest.mark.django_db
def test_the_district_filter_narrows_calls_and_cases_to_that_district(cast: dict[str, User]) -> None:
    now = timezone.now()
    call(f.make_citizen(code=f.HUANGPU), wait=5, at=now - dt.timedelta(hours=1))
    call(f.make_citizen(code=f.GUSU), wait=5, at=now - dt.timedelta(hours=1))
    period, _ = selectors.period_from_query({"district": f.GUSU})
    figures = selectors.dashboard_figures(user=cast["supervisor"], period=period)
    assert figures["calls"]["requests"] == 1
    assert [row["division_code"] for row in figures["cases"]["districts"]] == [f.GUSU]
    assert sum(row["requests"] for row in figures["series"]) == 1
    f.make_clerk(f.HUANGPU, status="available")
    f.make_clerk(f.GUSU, status="available")
    f.make_clerk(f.GUSU, status="available")
    figures = selectors.dashboard_figures(user=cast["supervisor"], period=period)
    ready = next(fig for fig in panels.help_figures(figures=figures) if fig.label == "当前可接听的工作人员")
    assert ready.value == "2"  # Gusu's, not the alliance's three


@pytest.mark.django_db
def test_the_csv_holds_the_chart_numbers_per_period(cast: dict[str, User]) -> None:
    today = timezone.localdate()
    call(f.make_citizen(), wait=5, at=earlier_today(minutes=5))
    response = client_for(cast["supervisor"]).get(
        reverse("dashboard-csv"), {"from": (today - dt.timedelta(days=2)).isoformat(), "table": "calls"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["时段开始", "求助呼叫", "已由工作人员接听"]
    assert rows[1:] == [
        [(today - dt.timedelta(days=2)).isoformat(), "0", "0"],
        [(today - dt.timedelta(days=1)).isoformat(), "0", "0"],
        [today.isoformat(), "1", "1"],
    ]
    figures = client_for(cast["supervisor"]).get(reverse("dashboard-csv"), {"table": "figures"})
    assert "正在排队等待" in figures.content.decode("utf-8-sig")


# --- the period ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_period_is_made_sensible_and_says_what_changed() -> None:
    today = dt.date(2026, 11, 29)
    period, notices = selectors.period_from_query({"from": "2026-11-20", "to": "2026-11-01"}, today=today)
    assert (period.first, period.last, period.grain) == (dt.date(2026, 11, 1), dt.date(2026, 11, 20), "day")
    assert len(notices) == 1
    period, notices = selectors.period_from_query({"from": "2026-01-01", "grain": "day"}, today=today)
    assert period.grain == "week" and notices
    period, _ = selectors.period_from_query({"from": "2020-01-01", "grain": "month"}, today=today)
    assert period.first == today - dt.timedelta(days=selectors.MAX_DAYS - 1)
    default, _ = selectors.period_from_query({}, today=today)
    assert (default.last - default.first).days + 1 == selectors.DEFAULT_DAYS


@pytest.mark.django_db
def test_the_preset_periods_fit_in_one_chart_without_a_notice() -> None:
    today = dt.date(2026, 11, 29)
    for _label, query in selectors.period_presets(district=None, today=today):
        fields = dict(pair.split("=") for pair in query.split("&"))
        period, notices = selectors.period_from_query(fields, today=today)
        assert not notices and period.grain == fields["grain"] and period.last == today
    months = selectors.period_presets(district=None, today=today)[-1][1]
    assert months.startswith("from=2025-12-01&")


def test_buckets_start_on_days_mondays_and_first_days_of_months() -> None:
    first, last = dt.date(2026, 1, 28), dt.date(2026, 3, 2)
    months = selectors.bucket_starts(first, last, "month")
    assert months == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    weeks = selectors.bucket_starts(first, last, "week")
    assert weeks[0] == dt.date(2026, 1, 26) and all(day.weekday() == 0 for day in weeks) and weeks[-1] == last
    assert len(selectors.bucket_starts(first, last, "day")) == 34


# --- the charts ------------------------------------------------------------------------------------


def test_a_chart_escapes_its_text_and_draws_its_target() -> None:
    chart = charts.bar_chart(
        title="<b>calls</b>",
        description="d",
        labels=["<script>"],
        series=[charts.Series("n", [3])],
        target=charts.Target(5, "target 5"),
    )
    assert "<script>" not in chart.svg and "&lt;script&gt;" in chart.svg
    assert 'class="target"' in chart.svg and "target 5" in chart.svg
    assert charts.nice_ceiling(7) == 8 and charts.nice_ceiling(21) == 40 and charts.nice_ceiling(0.3) == 0.4
    assert charts.nice_ceiling(3, whole=True) == 4 and charts.nice_ceiling(9, whole=True) == 20
    assert charts.nice_ceiling(0, whole=True) == 4


def test_a_missing_value_breaks_the_line_instead_of_drawing_zero() -> None:
    chart = charts.line_chart(
        title="t", description="d", labels=["a", "b", "c", "d"], series=[charts.Series("s", [1, None, 2, 3])]
    )
    assert chart.svg.count("<circle") == 3 and chart.svg.count("<polyline") == 1


@pytest.mark.django_db
def test_overdue_now_counts_each_open_late_case_once_in_each_of_its_districts() -> None:
    from cases.models import Case, CaseState
    from standards.models import District

    supervisor = f.make_user("supervisor")
    huangpu, shushan = (District.objects.get(division_code=code) for code in (f.HUANGPU, f.SHUSHAN))
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    def case(state: str, *, accepting: District, approving: District, due: dt.date) -> None:
        made = f.submitted_case()
        Case.objects.filter(pk=made.pk).update(
            state=state, accepting_district=accepting, approving_district=approving, promised_due=due
        )

    case(CaseState.ACCEPTED, accepting=huangpu, approving=shushan, due=yesterday)  # late in both districts
    case(CaseState.IN_REVIEW, accepting=huangpu, approving=huangpu, due=yesterday)  # once in 黄浦
    case(CaseState.CLOSED, accepting=huangpu, approving=shushan, due=yesterday)  # finished: not overdue now
    case(CaseState.ACCEPTED, accepting=shushan, approving=shushan, due=yesterday + dt.timedelta(days=2))  # in time
    counts = selectors.overdue_now(user=supervisor, district=None)
    assert (counts[f.HUANGPU], counts[f.SHUSHAN], counts[f.GUSU]) == (2, 1, 0)
    assert selectors.overdue_now(user=supervisor, district=shushan) == {f.SHUSHAN: 1}
