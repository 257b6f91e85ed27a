"""What the dashboard shows, in plain words: each chart with its explanation, each figure with what it means.

Built from the selectors' numbers; the view renders these, the CSV export writes the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from cases import life_cycle
from dashboard import charts, targets
from dashboard.charts import Series, Target
from dashboard.selectors import Period, grain_label
from standards.models import District


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    chart: charts.Chart
    explanation: str
    # The same numbers as a table: header, rows.
    header: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    explanation: str


def district_label(district: District) -> str:
    return f"{district.display_city}·{district.display_name}"


def _none(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def _target(target: targets.ServiceTarget) -> Target:
    return Target(target.value, str(target.label))


def period_panels(*, figures: dict[str, Any], period: Period) -> list[Panel]:
    series = figures["series"]
    labels = [row["label"] for row in series]
    grain = grain_label(period.grain)
    header = [_("Period starting")]
    return [
        Panel(
            "calls",
            _("Calls for help and calls answered"),
            charts.bar_chart(
                title=_("Calls for help and calls answered"),
                description=_("Per %(grain)s: calls made with the one-click help button, and calls a clerk answered.")
                % {"grain": grain},
                labels=labels,
                series=[
                    Series(_("Calls for help"), [r["requests"] for r in series]),
                    Series(_("Answered by a clerk"), [r["answered"] for r in series]),
                ],
            ),
            _(
                "Each pair of bars is one %(grain)s: how many people pressed the one-click help button, and how "
                "many of them a clerk answered by video. The gap is people who left, asked to be called back or "
                "are still waiting."
            )
            % {"grain": grain},
            [*header, _("Calls for help"), _("Answered by a clerk")],
            [[r["start"].isoformat(), r["requests"], r["answered"]] for r in series],
        ),
        Panel(
            "within",
            _("Calls answered within 20 seconds"),
            charts.line_chart(
                title=_("Calls answered within 20 seconds"),
                description=_("Per %(grain)s: the share of calls a clerk answered within 20 seconds.")
                % {"grain": grain},
                labels=labels,
                series=[Series(_("Answered within 20 s"), [r["answered_within_20s_percent"] for r in series], "%")],
                target=_target(targets.ANSWERED_WITHIN_SHARE),
                unit="%",
                top=100,
            ),
            _(
                "Of all calls made that %(grain)s, the share a clerk answered within 20 seconds; a call nobody "
                "answered counts as not answered in time. No dot: nobody called. Dashed line: %(target)s"
            )
            % {"grain": grain, "target": targets.ANSWERED_WITHIN_SHARE.explanation},
            [*header, _("Answered within 20 s"), _("Share of calls (%)")],
            [
                [r["start"].isoformat(), r["answered_within_20s"], _none(r["answered_within_20s_percent"])]
                for r in series
            ],
        ),
        Panel(
            "wait",
            _("Waiting before a clerk answers"),
            charts.line_chart(
                title=_("Waiting before a clerk answers"),
                description=_("Per %(grain)s: the average wait, in seconds, of the calls a clerk answered.")
                % {"grain": grain},
                labels=labels,
                series=[Series(_("Average wait"), [r["average_wait_seconds"] for r in series], " s")],
                target=_target(targets.AVERAGE_WAIT),
                unit=" s",
            ),
            _(
                "How long, on average, callers waited from pressing the button until a clerk answered (answered "
                "calls only). No dot: no call was answered. Dashed line: %(target)s"
            )
            % {"target": targets.AVERAGE_WAIT.explanation},
            [*header, _("Average wait (seconds)")],
            [[r["start"].isoformat(), _none(r["average_wait_seconds"])] for r in series],
        ),
        Panel(
            "cases",
            _("Cases submitted and completed"),
            charts.bar_chart(
                title=_("Cases submitted and completed"),
                description=_("Per %(grain)s: applications submitted, and results delivered.") % {"grain": grain},
                labels=labels,
                series=[
                    Series(_("Submitted"), [r["cases_submitted"] for r in series]),
                    Series(_("Result delivered"), [r["cases_completed"] for r in series]),
                ],
            ),
            _(
                "Each pair of bars is one %(grain)s: applications submitted to a window, and cases whose result "
                "was delivered to the applicant (whenever they were submitted)."
            )
            % {"grain": grain},
            [*header, _("Submitted"), _("Result delivered")],
            [[r["start"].isoformat(), r["cases_submitted"], r["cases_completed"]] for r in series],
        ),
    ]


def district_panels(*, figures: dict[str, Any]) -> list[Panel]:
    rows = figures["cases"]["districts"]
    districts = {
        d.division_code: d for d in District.objects.filter(division_code__in=[r["division_code"] for r in rows])
    }
    names = [district_label(districts[r["division_code"]]) for r in rows]
    short = [districts[r["division_code"]].display_name for r in rows]
    shown_states = [
        state
        for state in life_cycle.STATES
        if state not in life_cycle.UNSUBMITTED_STATES and any(r["by_state"].get(state) for r in rows)
    ]
    state_names = [str(life_cycle.STATES[state].label) for state in shown_states]
    overdue = figures["overdue_now"]
    return [
        Panel(
            "states",
            _("Cases by state and district"),
            charts.stacked_rows(
                title=_("Cases by state and district"),
                description=_("For each district, the cases submitted in the period, by where they stand today."),
                rows=[
                    (name, [r["by_state"].get(s, 0) for s in shown_states]) for name, r in zip(short, rows, strict=True)
                ],
                parts_names=state_names,
            ),
            _(
                "For each district, the cases submitted in the period, by where they stand today. A case accepted "
                "in one district and approved in another is counted in both rows."
            ),
            [_("District"), *state_names, _("Total")],
            [
                [name, *[r["by_state"].get(s, 0) for s in shown_states], r["total"]]
                for name, r in zip(names, rows, strict=True)
            ],
        ),
        Panel(
            "overdue",
            _("Cases overdue now"),
            charts.bar_chart(
                title=_("Cases overdue now"),
                description=_("Per district: open cases past the date promised to the applicant."),
                labels=short,
                series=[Series(_("Overdue"), [overdue.get(r["division_code"], 0) for r in rows])],
            ),
            _(
                "Open cases, submitted at any time, whose promised date has passed, per district that accepted or "
                "approves them. The target is none: %(target)s"
            )
            % {"target": targets.OVERDUE.explanation},
            [_("District"), _("Overdue")],
            [[name, overdue.get(r["division_code"], 0)] for name, r in zip(names, rows, strict=True)],
        ),
        Panel(
            "trips",
            _("Trips saved"),
            charts.bar_chart(
                title=_("Trips saved"),
                description=_("Per district: visits to a window the applicants did not have to make."),
                labels=short,
                series=[Series(_("Trips saved"), [r["trips_saved"] for r in rows])],
            ),
            _(
                "For the cases completed, the visits to a window the item's standard foresees, minus the visits "
                "the applicant actually made: each is a trip someone did not have to make."
            ),
            [_("District"), _("Trips saved")],
            [[name, r["trips_saved"]] for name, r in zip(names, rows, strict=True)],
        ),
        Panel(
            "ratings",
            _("Ratings by applicants"),
            charts.bar_chart(
                title=_("Ratings by applicants"),
                description=_("Per district: the average rating of the cases, from 1 (very dissatisfied) to 5."),
                labels=short,
                series=[Series(_("Average rating"), [r["ratings"]["average"] for r in rows])],
                target=_target(targets.AVERAGE_RATING),
                top=5,
            ),
            _(
                "The average of the ratings applicants gave their finished cases (好差评), from 1 (very "
                "dissatisfied) to 5 (very satisfied); no bar: no rating yet. Dashed line: %(target)s"
            )
            % {"target": targets.AVERAGE_RATING.explanation},
            [_("District"), _("Ratings"), _("Average rating"), _("Bad ratings (1 or 2)")],
            [
                [name, r["ratings"]["count"], _none(r["ratings"]["average"]), r["ratings"]["bad"]]
                for name, r in zip(names, rows, strict=True)
            ],
        ),
    ]


def _seconds(value: float | None) -> str:
    return "—" if value is None else _("%(n)s s") % {"n": round(value)}


def help_figures(*, figures: dict[str, Any]) -> list[Figure]:
    """The video-help figures (一键呼应), each with what it means."""
    now, period = figures["calls_now"], figures["calls"]
    status = now["clerks_by_status"]
    share = period["answered_within_20s_ratio"]
    return [
        Figure(_("Waiting now"), str(now["waiting_now"]), _("People in the queue for a clerk at this moment.")),
        Figure(
            _("Longest wait now"),
            _seconds(now["longest_wait_seconds"]),
            _("How long the person waiting longest has been waiting."),
        ),
        (
            Figure(
                _("Clerks ready now"),
                str(status.get("available", 0)),
                _("Clerks signed in to the video console and free to answer (%(busy)s more are in a call).")
                % {"busy": status.get("in_call", 0)},
            )
            if now["district"] is None
            else Figure(
                _("Clerks ready now"),
                str(now["available_clerks_by_district"].get(now["district"], 0)),
                _("Clerks of this district signed in to the video console and free to answer."),
            )
        ),
        Figure(
            _("Call-backs to make"),
            str(now["open_callbacks"]),
            _("People who asked to be called back and have not been called yet."),
        ),
        Figure(_("Calls for help"), str(period["requests"]), _("Calls made with the one-click button in the period.")),
        Figure(_("Answered by a clerk"), str(period["answered"]), _("Calls a clerk answered by video.")),
        Figure(
            _("Answered within 20 seconds"),
            f"{period['answered_within_20s']}" + ("" if share is None else f" ({share * 100:.0f}%)"),
            _("Calls answered within 20 seconds, and their share of all calls made."),
        ),
        Figure(
            _("Average wait"),
            _seconds(period["average_wait_seconds"]),
            _("From pressing the button to a clerk answering, for answered calls."),
        ),
        Figure(_("Longest wait"), _seconds(period["longest_wait_seconds"]), _("The longest wait of an answered call.")),
        Figure(
            _("Average call length"),
            _seconds(period["average_handling_seconds"]),
            _("How long an answered call lasted, on average."),
        ),
        Figure(
            _("Left before an answer"),
            str(period["abandoned"] + period["cancelled"]),
            _("Callers who closed the page or cancelled before a clerk answered."),
        ),
        Figure(_("Asked for a call-back"), str(period["callbacks"]), _("Callers who chose to be called back.")),
        Figure(
            _("Rings not taken"),
            str(period["offers_timed_out"] + period["offers_declined"]),
            _("Times a clerk's console rang and the clerk let it ring out or declined; the call went to another."),
        ),
        Figure(
            _("Average call rating"),
            "—" if period["average_rating"] is None else f"{period['average_rating']:.1f} / 5",
            _("How callers rated the calls, from 1 (very dissatisfied) to 5."),
        ),
    ]


def case_figures(*, figures: dict[str, Any]) -> list[Figure]:
    """The alliance's case totals for the period, each with what it means."""
    block = figures["cases"].get("alliance") or {}
    if not block:
        return []
    average, promised = block["average_days_to_complete"], block["average_promised_days"]
    return [
        Figure(_("Cases submitted"), str(block["total"]), _("Applications submitted in the period.")),
        Figure(
            _("Completed"),
            str(block["completed"]),
            _("Of those, the cases whose result has been delivered."),
        ),
        Figure(
            _("Time to complete"),
            "—" if average is None else _("%(days)s days") % {"days": average},
            _("Average calendar days from acceptance to the result delivered, for the completed cases.")
            + ("" if promised is None else " " + _("Promised on average: %(days)s days.") % {"days": promised}),
        ),
        Figure(
            _("Completed late"),
            str(block["completed_late"]),
            _("Completed cases delivered after the date promised to the applicant."),
        ),
        Figure(
            _("Bad ratings to follow up"),
            str(block["ratings"]["follow_ups_open"]),
            _("Ratings of 1 or 2 whose follow-up by the district is still open."),
        ),
    ]
