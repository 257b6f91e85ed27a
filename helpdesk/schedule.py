"""Celery beat entries of the helpdesk app (merged by govservice/celery.py)."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Ring timers are rows with a deadline: a sweep every 2 s ends the overdue ones even
    # after a worker restart (a countdown task would be lost or redelivered).
    "helpdesk-assist-sweep": {"task": "helpdesk.assist_sweep", "schedule": 2.0, "options": {"expires": 10}},
    # Retention is counted in days: once an hour is soon enough, and cheap.
    "helpdesk-recordings-sweep": {
        "task": "helpdesk.assist_recordings_sweep",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
}
