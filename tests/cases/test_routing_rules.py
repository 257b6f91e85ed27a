"""Routing's choice of window and clerk (cases.routing_rules.choose_target): plain data, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cases.routing_rules import choose_target

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_10AM = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)
TUESDAY_8PM = dt.datetime(2026, 3, 3, 20, 0, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Window:
    pk: int
    open_from: int = 9
    open_until: int = 17

    def is_open_at(self, moment: dt.datetime) -> bool:
        return self.open_from <= moment.hour < self.open_until


@dataclass(frozen=True)
class Clerk:
    clerk_id: int
    window: Window
    skilled: bool = False
    load: int = 0


DAY = Window(1)
EVENING = Window(2, open_from=18, open_until=22)
OTHER_DAY = Window(3)


def test_without_candidates_the_case_is_held_at_the_items_window() -> None:
    assert choose_target(candidates=[], window=DAY, now=TUESDAY_10AM) == (DAY, None)
    assert choose_target(candidates=[], window=None, now=TUESDAY_10AM) == (None, None)


def test_the_least_loaded_clerk_wins_and_ties_go_to_the_lowest_id() -> None:
    clerks = [Clerk(7, DAY, load=3), Clerk(5, DAY, load=1), Clerk(4, DAY, load=1)]
    assert choose_target(candidates=clerks, window=DAY, now=TUESDAY_10AM) == (DAY, 4)


def test_a_skilled_clerk_wins_over_a_lighter_load_when_the_district_has_one() -> None:
    clerks = [Clerk(1, DAY, load=0), Clerk(2, DAY, skilled=True, load=9)]
    assert choose_target(candidates=clerks, window=DAY, now=TUESDAY_10AM)[1] == 2


def test_an_open_window_wins_over_a_closed_one_then_the_items_own_window() -> None:
    clerks = [Clerk(1, EVENING, load=0), Clerk(2, OTHER_DAY, load=0), Clerk(3, DAY, load=5)]
    # 10:00: the evening window is closed; of the open ones the item's own window (DAY) goes first.
    assert choose_target(candidates=clerks, window=DAY, now=TUESDAY_10AM) == (DAY, 3)
    # 20:00: only the evening window is open: its clerk, and the case goes to that window.
    assert choose_target(candidates=clerks, window=DAY, now=TUESDAY_8PM) == (EVENING, 1)


def test_without_an_item_window_the_chosen_clerks_window_is_taken() -> None:
    clerks = [Clerk(1, OTHER_DAY)]
    assert choose_target(candidates=clerks, window=None, now=TUESDAY_8PM) == (OTHER_DAY, 1)
    assert choose_target(candidates=clerks, window=None, now=TUESDAY_10AM) == (OTHER_DAY, 1)
