"""The service targets the dashboard draws in: declared once, each with what it means in plain words.

They are the working targets of this system, not figures taken from an official text: confirm them with the
alliance's own service standard (待核实) and change them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ServiceTarget:
    value: float
    label: StrOrPromise
    explanation: StrOrPromise


# A clerk answers a call within this many seconds (the figure "answered within 20 s").
ANSWER_SECONDS = 20.0

ANSWERED_WITHIN_SHARE = ServiceTarget(
    80.0,
    _("target 80%"),
    _("At least 8 of every 10 calls for help answered by a clerk within 20 seconds."),
)
AVERAGE_WAIT = ServiceTarget(
    20.0,
    _("target 20 s"),
    _("On average, a caller waits no more than 20 seconds before a clerk answers."),
)
AVERAGE_RATING = ServiceTarget(
    4.5,
    _("target 4.5"),
    _("Applicants rate their finished cases 4.5 or better on average (1 = very dissatisfied, 5 = very satisfied)."),
)
OVERDUE = ServiceTarget(
    0.0,
    _("target 0"),
    _("No open case past the date promised to the applicant."),
)
