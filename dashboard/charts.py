"""Charts as server-rendered SVG: no JavaScript, no CDN, readable without colour.

Pure functions from numbers to markup. Every chart has a title and a description for screen readers
(`role="img"`), each bar or point a `<title>` with its exact value (the tooltip), and the page shows the
same numbers in a table beside it. Targets are drawn as a dashed line with their label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours that stay apart for the common colour-vision deficiencies (Okabe–Ito, without its yellow, too pale
# against white), then darker ones.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#999999",
    "#7C3AED",
    "#92400E",
    "#065F46",
    "#9D174D",
    "#1E3A8A",
    "#4D7C0F",
)
TARGET_COLOUR = "#B91C1C"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 18, 44
MAX_X_LABELS = 12

_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    unit: str = ""


@dataclass(frozen=True)
class Target:
    value: float
    label: str


@dataclass(frozen=True)
class Chart:
    """The SVG and its legend (name, colour), for the template."""

    svg: SafeString
    legend: list[tuple[str, str]] = field(default_factory=list)


def nice_ceiling(value: float, *, whole: bool = False) -> float:
    """A round top for an axis of four ticks: four times 1, 2, 2.5 or 5 times a power of ten, at least `value`.

    `whole`: counts, whose ticks must be whole numbers (no 2.5, nothing under 1).
    """
    if value <= 0:
        return 4.0 if whole else 1.0
    per_tick = value / 4
    power = 10 ** math.floor(math.log10(per_tick))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    tick = next(step * power for step in steps if step * power >= per_tick)
    return 4 * max(tick, 1) if whole else 4 * tick


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _open(title: str, description: str, height: int = HEIGHT) -> tuple[str, list[str]]:
    n = next(_ids)
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart{n}t chart{n}d" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="13" font-family="sans-serif">'
        f'<title id="chart{n}t">{escape(title)}</title><desc id="chart{n}d">{escape(description)}</desc>'
    )
    return head, []


def _y_axis(parts: list[str], top_value: float, unit: str, height: int) -> None:
    plot_h = height - TOP - BOTTOM
    # Five intervals for a top of 5 (ratings: 1 … 5), four otherwise (the tops nice_ceiling picks).
    intervals = 5 if top_value == 5 else 4
    for i in range(intervals + 1):
        value = top_value * i / intervals
        y = TOP + plot_h - plot_h * i / intervals
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        tick = f"{_number(value)}{escape(unit)}"
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4b5563">{tick}</text>')


def _text_width(text: str) -> float:
    """Roughly, in the chart's units: a Chinese character is as wide as the font, a Latin one about half."""
    return sum(13 if ord(ch) > 0x2E80 else 7 for ch in text)


def _x_labels(parts: list[str], labels: Sequence[str], slot: float, height: int) -> None:
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    # Labels wider than their slot (English district names) alternate between two lines instead of overlapping.
    stagger = any(_text_width(label) > slot * step - 4 for label in labels)
    for i, label in enumerate(labels):
        if i % step:
            continue
        x = LEFT + slot * (i + 0.5)
        y = height - BOTTOM + 16 + (14 if stagger and (i // step) % 2 else 0)
        parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle" fill="#4b5563">{escape(label)}</text>')


def _target(parts: list[str], target: Target | None, top_value: float, height: int) -> None:
    if target is None:
        return
    plot_h = height - TOP - BOTTOM
    y = TOP + plot_h - plot_h * min(target.value, top_value) / top_value
    parts.append(
        f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
        f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
    )
    label = escape(target.label)
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{y - 5:.1f}" text-anchor="end" fill="{TARGET_COLOUR}" stroke="#fff" '
        f'stroke-width="3" paint-order="stroke">{label}</text>'
    )


def _top(series: Sequence[Series], target: Target | None, fixed_top: float | None) -> float:
    if fixed_top is not None:
        return fixed_top
    values = [v for s in series for v in s.values if v is not None]
    whole = all(float(v).is_integer() for v in values) and (target is None or float(target.value).is_integer())
    if target is not None:
        values.append(target.value * 1.1)  # room for the target's label above its line
    return nice_ceiling(max(values, default=0), whole=whole)


def bar_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    target: Target | None = None,
    unit: str = "",
    top: float | None = None,
) -> Chart:
    """Vertical bars, one group per label, one bar per series."""
    head, parts = _open(title, description)
    top_value = _top(series, target, top)
    _y_axis(parts, top_value, unit, HEIGHT)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar = slot * 0.8 / max(1, len(series))
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        for i, value in enumerate(s.values):
            if value is None:
                continue
            h = plot_h * min(value, top_value) / top_value
            x = LEFT + slot * i + slot * 0.1 + bar * s_index
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(labels[i])} · {escape(s.name)}: {_number(value)}{escape(s.unit)}'
                f"</title></rect>"
            )
    _target(parts, target, top_value, HEIGHT)
    _x_labels(parts, labels, slot, HEIGHT)
    legend = [(s.name, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    return Chart(mark_safe(head + "".join(parts) + "</svg>"), legend)  # noqa: S308 - every text is escaped


def line_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    target: Target | None = None,
    unit: str = "",
    top: float | None = None,
) -> Chart:
    """Lines with a dot per value; a missing value (no calls that day) breaks the line."""
    head, parts = _open(title, description)
    top_value = _top(series, target, top)
    _y_axis(parts, top_value, unit, HEIGHT)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + slot * (i + 0.5)
            y = TOP + plot_h - plot_h * min(value, top_value) / top_value
            runs[-1].append((x, y))
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(labels[i])} · '
                f"{escape(s.name)}: {_number(value)}{escape(s.unit)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    _target(parts, target, top_value, HEIGHT)
    _x_labels(parts, labels, slot, HEIGHT)
    legend = [(s.name, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    return Chart(mark_safe(head + "".join(parts) + "</svg>"), legend)  # noqa: S308 - every text is escaped


def stacked_rows(
    *, title: str, description: str, rows: Sequence[tuple[str, Sequence[int]]], parts_names: Sequence[str]
) -> Chart:
    """One horizontal bar per row (a district), stacked by part (a state), its total at the end."""
    label_w, row_h = 20 + max((_text_width(label) for label, _ in rows), default=60), 26
    height = TOP + row_h * max(1, len(rows)) + 10
    head, parts = _open(title, description, height)
    total_max = max((sum(values) for _, values in rows), default=0) or 1
    bar_w = WIDTH - label_w - RIGHT - 40
    for r, (label, values) in enumerate(rows):
        y = TOP + r * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="#111827">{escape(label)}</text>')
        x = float(label_w)
        for p, value in enumerate(values):
            if not value:
                continue
            w = bar_w * value / total_max
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{PALETTE[p % len(PALETTE)]}"><title>{escape(label)} · {escape(parts_names[p])}: {value}'
                f"</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" fill="#111827">{sum(values)}</text>')
    legend = [(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(parts_names)]
    return Chart(mark_safe(head + "".join(parts) + "</svg>"), legend)  # noqa: S308 - every text is escaped
