"""Celery tasks of the cases app: thin wrappers around cases.services."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.db import OperationalError

from cases import services

logger = logging.getLogger(__name__)


@shared_task(
    name="cases.route_case",
    autoretry_for=(OperationalError,),
    retry_backoff=0.5,
    max_retries=services.MAX_ROUTING_ATTEMPTS,
)
def route_case(case_id: int, transfer_number: int) -> str:
    """Sent to `district.<approving division code>` after the acceptance commits; idempotent."""
    outcome = services.case_route(case_id=case_id, transfer_number=transfer_number)
    logger.info("route_case %s #%s: %s", case_id, transfer_number, outcome.status)
    return outcome.status


@shared_task(name="cases.scan_deadlines")
def scan_deadlines() -> dict[str, int]:
    return services.case_deadlines_scan()


_redis_client = None


@shared_task(name="cases.noop")
def noop(reply_to: str, sent_at: float) -> None:
    """Does nothing but answer on a Redis list: the benchmark's baseline for a Celery round trip."""
    global _redis_client
    if _redis_client is None:
        import redis
        from django.conf import settings

        _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    _redis_client.rpush(reply_to, sent_at)


@worker_process_init.connect
def _worker_process_tuning(**kwargs) -> None:
    """Per pool process: push over one event loop, and keep the database connection between tasks.

    Celery's Django fix-up closes "obsolete" connections around every task, and with
    CONN_MAX_AGE = 0 every connection is obsolete: each routing then paid a new connection
    (measured ~25-35 ms of a ~50 ms routing on SQLite). Worker processes keep theirs for a
    minute, with Django's health check before reuse. (A WORKER_CONN_MAX_AGE setting in
    govservice/settings.py would be the tidier home for this: see the cases report.)
    """
    from django.db import connections

    from cases.push import use_worker_loop

    use_worker_loop()
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        if not settings_dict.get("CONN_MAX_AGE"):
            settings_dict["CONN_MAX_AGE"] = 60
            settings_dict["CONN_HEALTH_CHECKS"] = True
