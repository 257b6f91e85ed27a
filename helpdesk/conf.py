"""Helpdesk settings: environment variables with laptop defaults (listed in README.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from govservice.env import env_bool, env_int


@dataclass(frozen=True)
class AssistConf:
    ring_timeout: int
    specialist_window: int
    district_window: int
    city_window: int
    alliance_window: int
    queue_limit: int
    heartbeat_timeout: int
    rejoin_grace: int
    record_calls: bool
    callback_max_attempts: int = 3
    callback_claim_timeout: int = 1800
    requests_per_day: int = 20
    callbacks_per_day: int = 3
    callback_claims_per_hour: int = 12
    recording_retention_days: int = 180
    recording_refusable: bool = False


def conf() -> AssistConf:
    # Tests override through django settings (ASSIST_* names); production through the environment.
    def pick(name: str, default: int, minimum: int = 0) -> int:
        if hasattr(settings, name):
            value: int = getattr(settings, name)
            return value
        return env_int(name, default, minimum=minimum)

    def pick_bool(name: str, default: bool) -> bool:
        if hasattr(settings, name):
            value: bool = getattr(settings, name)
            return value
        return env_bool(name, default)

    return AssistConf(
        ring_timeout=pick("ASSIST_RING_TIMEOUT", 20, 3),
        specialist_window=pick("ASSIST_SPECIALIST_WINDOW", 20),
        district_window=pick("ASSIST_DISTRICT_WINDOW", 40),
        city_window=pick("ASSIST_CITY_WINDOW", 40),
        alliance_window=pick("ASSIST_ALLIANCE_WINDOW", 120),
        queue_limit=pick("ASSIST_QUEUE_LIMIT", 500, 1),
        heartbeat_timeout=pick("ASSIST_HEARTBEAT_TIMEOUT", 45, 5),
        rejoin_grace=pick("ASSIST_REJOIN_GRACE", 30, 5),
        record_calls=pick_bool("ASSIST_RECORD_CALLS", False),
        callback_max_attempts=pick("ASSIST_CALLBACK_MAX_ATTEMPTS", 3, 1),
        callback_claim_timeout=pick("ASSIST_CALLBACK_CLAIM_TIMEOUT", 1800, 60),
        requests_per_day=pick("ASSIST_REQUESTS_PER_DAY", 20, 1),
        callbacks_per_day=pick("ASSIST_CALLBACKS_PER_DAY", 3, 1),
        callback_claims_per_hour=pick("ASSIST_CALLBACK_CLAIMS_PER_HOUR", 12, 1),
        recording_retention_days=pick("ASSIST_RECORDING_RETENTION_DAYS", 180, 1),
        recording_refusable=pick_bool("ASSIST_RECORDING_REFUSABLE", False),
    )
