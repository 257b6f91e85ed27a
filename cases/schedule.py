"""Celery beat entries of the cases app (merged by govservice/celery.py)."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Deadlines live in the database (never as ETA tasks); beat scans them.
    "cases-scan-deadlines": {
        "task": "cases.scan_deadlines",
        "schedule": crontab(minute="*/15"),
        "options": {"queue": "default"},
    },
}
