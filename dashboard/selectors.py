"""The dashboard's reads: the period and district asked for, figures per day, week or month, and the totals.

The totals come from the apps' own figures (`cases.selectors.figures`, `helpdesk.selectors.figures_period`
and `figures_live`); only the series per period are counted here, grouped in the database by local day,
week or month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, DateField, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases import selectors as case_selectors
from cases.models import Rating
from dashboard import targets
from helpdesk import selectors as help_selectors
from helpdesk.models import AssistRequest, CallSession
from standards.models import District

GRAINS = ("day", "week", "month")
DEFAULT_DAYS = 30
MAX_DAYS = 366
# More bars than this would be unreadable at a phone's width: the grain becomes coarser.
MAX_BUCKETS = 62


@dataclass(frozen=True)
class Period:
    first: dt.date  # inclusive
    last: dt.date  # inclusive
    grain: str
    district: District | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=_zone())

    @property
    def end(self) -> dt.datetime:
        """The moment after the period (the next day's midnight, local time)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=_zone())


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def bucket_starts(first: dt.date, last: dt.date, grain: str) -> list[dt.date]:
    """The first day of every day, week (Monday) or month that meets [first, last]."""
    if grain == "day":
        day = first
    elif grain == "week":
        day = first - dt.timedelta(days=first.weekday())
    else:
        day = first.replace(day=1)
    starts = []
    while day <= last:
        starts.append(day)
        if grain == "day":
            day += dt.timedelta(days=1)
        elif grain == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return starts


def period_from_query(query: Mapping[str, str], *, today: dt.date | None = None) -> tuple[Period, list[str]]:
    """The period, grain and district asked for, made sensible; the notices say what was changed and why."""
    today = today or timezone.localdate()
    notices: list[str] = []
    last = _date(query.get("to", "")) or today
    first = _date(query.get("from", "")) or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
        notices.append(_("The dates were the wrong way round: they were swapped."))
    if (last - first).days + 1 > MAX_DAYS:
        first = last - dt.timedelta(days=MAX_DAYS - 1)
        notices.append(_("A period is at most a year: it now starts on %(date)s.") % {"date": first.isoformat()})
    grain = query.get("grain", "")
    if grain not in GRAINS:
        grain = "day"
    while len(bucket_starts(first, last, grain)) > MAX_BUCKETS:
        grain = GRAINS[GRAINS.index(grain) + 1]
        notices.append(_("Too many bars for one chart: shown by %(grain)s instead.") % {"grain": grain_label(grain)})
    code = query.get("district", "")
    district = District.objects.filter(division_code=code).first() if code else None
    return Period(first, last, grain, district), notices


def period_presets(*, district: District | None, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Common periods as (label, query string): today by day, the last 7 and 30 days, the last 12 months."""
    today = today or timezone.localdate()
    where = f"&district={district.division_code}" if district is not None else ""
    year_ago = (today.replace(day=1) - dt.timedelta(days=334)).replace(day=1)
    return [
        (_("Today"), f"from={today}&to={today}&grain=day{where}"),
        (_("Last 7 days"), f"from={today - dt.timedelta(days=6)}&to={today}&grain=day{where}"),
        (_("Last 30 days"), f"from={today - dt.timedelta(days=29)}&to={today}&grain=day{where}"),
        (
            _("Last 12 weeks"),
            f"from={today - dt.timedelta(weeks=12) + dt.timedelta(days=1)}&to={today}&grain=week{where}",
        ),
        (_("Last 12 months"), f"from={year_ago}&to={today}&grain=month{where}"),
    ]


def grain_label(grain: str) -> str:
    return {"day": _("day"), "week": _("week"), "month": _("month")}[grain]


def bucket_label(start: dt.date, grain: str) -> str:
    if grain == "month":
        return start.strftime("%Y-%m")
    return start.strftime("%m-%d")


def _per_bucket(queryset: QuerySet[Any], field: str, grain: str, **aggregates: Any) -> dict[dt.date, dict[str, Any]]:
    rows = (
        queryset.annotate(bucket=Trunc(field, grain, output_field=DateField(), tzinfo=_zone()))
        .values("bucket")
        .annotate(**aggregates)
    )
    return {row.pop("bucket"): row for row in rows}


def _series(period: Period, user: User) -> list[dict[str, Any]]:
    requests = AssistRequest.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    sessions = CallSession.objects.filter(request__created_at__gte=period.start, request__created_at__lt=period.end)
    cases = case_selectors.cases_visible_to(user).exclude(state__in=life_cycle.UNSUBMITTED_STATES)
    if period.district is not None:
        requests = requests.filter(district=period.district)
        sessions = sessions.filter(request__district=period.district)
        cases = cases.filter(Q(accepting_district=period.district) | Q(approving_district=period.district))
    calls = _per_bucket(requests, "created_at", period.grain, requests=Count("id"))
    answered = _per_bucket(
        sessions,
        "request__created_at",
        period.grain,
        answered=Count("id"),
        within=Count("id", filter=Q(wait_seconds__lte=targets.ANSWER_SECONDS)),
        average_wait=Avg("wait_seconds"),
    )
    submitted = _per_bucket(
        cases.filter(submitted_at__gte=period.start, submitted_at__lt=period.end),
        "submitted_at",
        period.grain,
        n=Count("id"),
    )
    completed = _per_bucket(
        cases.filter(delivered_at__gte=period.start, delivered_at__lt=period.end),
        "delivered_at",
        period.grain,
        n=Count("id"),
    )
    ratings = _per_bucket(
        Rating.objects.filter(case__in=cases, created_at__gte=period.start, created_at__lt=period.end),
        "created_at",
        period.grain,
        average=Avg("score"),
    )
    rows = []
    for start in bucket_starts(period.first, period.last, period.grain):
        n_requests = calls.get(start, {}).get("requests", 0)
        a = answered.get(start, {})
        n_answered, within = a.get("answered", 0), a.get("within", 0)
        rows.append(
            {
                "start": start,
                "label": bucket_label(start, period.grain),
                "requests": n_requests,
                "answered": n_answered,
                "answered_within_20s": within,
                # Of all calls made, not only the answered ones: a call nobody answered counts against it.
                "answered_within_20s_percent": round(100 * within / n_requests, 1) if n_requests else None,
                "average_wait_seconds": round(a["average_wait"], 1) if a.get("average_wait") is not None else None,
                "cases_submitted": submitted.get(start, {}).get("n", 0),
                "cases_completed": completed.get(start, {}).get("n", 0),
                "average_rating": (
                    round(ratings[start]["average"], 2) if ratings.get(start, {}).get("average") is not None else None
                ),
            }
        )
    return rows


def overdue_now(*, user: User, district: District | None) -> dict[str, int]:
    """Open cases past the date promised to the applicant, per district that accepted or approves them.

    Whenever they were submitted: overdue is about now, not about the period.
    """
    today = timezone.localdate()
    late = case_selectors.cases_visible_to(user).filter(state__in=life_cycle.OPEN_STATES, promised_due__lt=today)
    districts = District.objects.all() if district is None else [district]
    code_of = {d.pk: d.division_code for d in districts}
    counts = dict.fromkeys(code_of.values(), 0)
    pair = ("accepting_district_id", "approving_district_id")
    # One grouped statement by pair of districts; a case accepted and approved in one district counts once there.
    for accepting, approving, n in late.order_by().values(*pair).annotate(n=Count("id")).values_list(*pair, "n"):
        for pk in {accepting, approving}:
            if pk in code_of:
                counts[code_of[pk]] += n
    return counts


def dashboard_figures(*, user: User, period: Period) -> dict[str, Any]:
    """Everything the supervisors' dashboard shows for the period and district (supervisors only)."""
    case_figures = case_selectors.figures(
        user=user, submitted_from=period.start, submitted_before=period.end, district=period.district
    )
    return {
        "series": _series(period, user),
        "cases": case_figures,
        "overdue_now": overdue_now(user=user, district=period.district),
        "calls": help_selectors.figures_period(
            start=period.start, end=period.end, district=period.district, answered_within=targets.ANSWER_SECONDS
        ),
        "calls_now": help_selectors.figures_live(district=period.district),
    }
