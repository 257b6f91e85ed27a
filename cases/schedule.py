"""Celery beat entries of the cases app (merged by govservice/celery.py)."""

from __future__ import annotations

BEAT_SCHEDULE: dict = {}
