"""Celery beat entries of the helpdesk app (merged by govservice/celery.py)."""

from __future__ import annotations

BEAT_SCHEDULE: dict = {}
