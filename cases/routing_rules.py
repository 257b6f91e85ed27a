"""Routing's choice of window and clerk, as a pure function over plain data (no database, no clock).

cases.services.routing reads the candidates (cases.routing_queries) and the time, then asks this
function; tests call it directly with hand-made candidates (tests/cases/test_routing_rules.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeVar

# Read-only members (properties), so that frozen dataclasses and model instances both fit.


class Window(Protocol):
    @property
    def pk(self) -> int | None: ...

    def is_open_at(self, moment: dt.datetime) -> bool: ...


W = TypeVar("W", bound=Window)
W_co = TypeVar("W_co", bound=Window, covariant=True)


class Candidate(Protocol[W_co]):
    @property
    def clerk_id(self) -> int: ...

    @property
    def window(self) -> W_co: ...

    @property
    def skilled(self) -> bool: ...

    @property
    def load(self) -> int: ...


def choose_target(
    *, candidates: Sequence[Candidate[W]], window: W | None, now: dt.datetime
) -> tuple[W | None, int | None]:
    """The approving district's window and clerk: item skills, then open windows, then the lightest load.

    `window` is the window the item's implementation names in the district (or None); `now` is an
    aware local time. Without candidates the case is held in the district's queue (clerk None).
    Ties go to the lowest clerk id, so the choice is the same on every worker.
    """
    if not candidates:
        return window, None
    any_skilled = any(candidate.skilled for candidate in candidates)

    def rank(candidate: Candidate[W]) -> tuple[bool, bool, bool, int, int]:
        return (
            any_skilled and not candidate.skilled,
            not candidate.window.is_open_at(now),
            window is not None and candidate.window.pk != window.pk,
            candidate.load,
            candidate.clerk_id,
        )

    chosen = min(candidates, key=rank)
    if window is None or not window.is_open_at(now):
        window = chosen.window if chosen.window.is_open_at(now) or window is None else window
    return window, chosen.clerk_id
