"""Celery beat entries of the notices app (merged by govservice/celery.py)."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # A delivery whose message got lost (Redis down at commit, a worker killed and its message gone) or
    # whose retry never came: queue it again (sending is idempotent per notice and channel).
    "notices-sweep-deliveries": {
        "task": "notices.sweep_deliveries",
        "schedule": 60.0,
        "options": {"queue": "default", "expires": 55},
    },
}
