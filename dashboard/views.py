"""The dashboard's page and its CSV export: supervisors only, thin over selectors and panels."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import User
from cases.http import signed_in_user
from dashboard import panels, selectors
from standards.models import District


def _supervisor(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if user.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    return user


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    period, notices = selectors.period_from_query(request.GET)
    figures = selectors.dashboard_figures(user=user, period=period)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "period": period,
            "notices": notices,
            "grains": [(g, selectors.grain_label(g)) for g in selectors.GRAINS],
            "districts": [(d.division_code, panels.district_label(d)) for d in District.objects.all()],
            "district_name": panels.district_label(period.district) if period.district else _("all nine districts"),
            "period_panels": panels.period_panels(figures=figures, period=period),
            "district_panels": panels.district_panels(figures=figures),
            "help_figures": panels.help_figures(figures=figures),
            "case_figures": panels.case_figures(figures=figures),
            "query": request.GET.urlencode(),
            "presets": selectors.period_presets(district=period.district),
        },
    )


@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    """One table of the page as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    user = _supervisor(request)
    period, _notices = selectors.period_from_query(request.GET)
    figures = selectors.dashboard_figures(user=user, period=period)
    key = request.GET.get("table", "calls")
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        p.key: (p.header, p.rows)
        for p in [*panels.period_panels(figures=figures, period=period), *panels.district_panels(figures=figures)]
    }
    tables["figures"] = (
        [_("Figure"), _("Value"), _("What it means")],
        [
            [f.label, f.value, f.explanation]
            for f in [*panels.help_figures(figures=figures), *panels.case_figures(figures=figures)]
        ],
    )
    if key not in tables:
        key = "calls"
    header, rows = tables[key]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="c9-{key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
