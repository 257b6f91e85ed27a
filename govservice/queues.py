"""Celery queue names: one per C9 district (by division code) and `default`."""

from __future__ import annotations

from standards.districts import DIVISION_CODES

DEFAULT_QUEUE = "default"


def district_queue(division_code: str) -> str:
    if division_code not in DIVISION_CODES:
        raise ValueError(f"{division_code!r} is not a C9 district division code")
    return f"district.{division_code}"


def all_queues() -> list[str]:
    return [DEFAULT_QUEUE, *(district_queue(code) for code in DIVISION_CODES)]
