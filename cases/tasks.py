"""Celery tasks of the cases app: thin wrappers around cases.services."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.db import OperationalError

from cases import services

logger = logging.getLogger(__name__)


# celery-types has retry_backoff as bool | int; Celery multiplies a float factor just as well (0.5 s, 1 s, 2 s…).
@shared_task(  # type: ignore[call-overload]
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


@shared_task(name="cases.sweep_routing", ignore_result=True)
def sweep_routing() -> dict[str, int]:
    """Beat, every minute: queue `route_case` again for accepted cases whose message never arrived."""
    return services.case_routing_sweep()


@worker_process_init.connect
def _worker_process_push(**kwargs: object) -> None:
    """Per pool process: send events over one long-lived event loop (govservice/events.py)."""
    from govservice.events import use_worker_loop

    use_worker_loop()
