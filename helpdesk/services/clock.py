"""Every service takes `now` so that tests drive the clock; production passes nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def current(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()
