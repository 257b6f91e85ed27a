"""Celery beat entries of the standards app (merged by govservice/celery.py)."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}
