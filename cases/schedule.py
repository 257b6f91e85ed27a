"""Celery beat entries of the cases app (merged by govservice/celery.py)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Deadlines live in the database (never as ETA tasks); beat scans them.
    "cases-scan-deadlines": {
        "task": "cases.scan_deadlines",
        "schedule": crontab(minute="*/15"),
        "options": {"queue": "default"},
    },
    # An acceptance whose routing message was never queued (Redis down at commit) or got lost
    # would stay `accepted` for ever: queue it again. A minute's run finds nothing most of the time.
    "cases-sweep-routing": {
        "task": "cases.sweep_routing",
        "schedule": 60.0,
        # Expires before the next run: a beat backlog never piles up sweeps.
        "options": {"queue": "default", "expires": 55},
    },
    # A step's document (文书) whose message got lost: queue it again (issuing is idempotent).
    "cases-sweep-papers": {
        "task": "cases.sweep_papers",
        "schedule": 60.0,
        "options": {"queue": "default", "expires": 55},
    },
    # Overdue follow-ups of bad ratings: escalated to the alliance supervisor once each (a compare-and-set).
    # Deadlines are whole days: every 15 minutes is prompt enough, and a missed run is caught by the next.
    "cases-escalate-follow-ups": {
        "task": "cases.escalate_follow_ups",
        "schedule": crontab(minute="*/15"),
        "options": {"queue": "default", "expires": 600},
    },
}
