"""Celery beat entries of the trust app (merged by govservice/celery.py)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Each district anchors the heads of the chains it touched since its last anchor, daily at 23:30.
    "trust-anchor-daily": {
        "task": "trust.anchor_all",
        "schedule": crontab(minute=30, hour=23),
        "options": {"queue": "default"},
    },
}
