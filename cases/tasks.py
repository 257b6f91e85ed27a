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
    # Seconds, doubled per retry, with full jitter. Celery takes int(max(1.0, factor)): the 0.5 this
    # was written as meant 1 all along, so 1 is written now.
    retry_backoff=1,
    # Retries of a database that cannot be reached: a PostgreSQL restart takes a few seconds, and the jitter
    # often makes the first retries immediate. With MAX_ROUTING_ATTEMPTS (3) here, 4 of 24 routings gave up
    # within 1.5 s of a restart and waited for the minute's sweep (tests/test_postgres_restart.py). Ten,
    # each at most 8 s apart: up to about a minute (the sweep's delay) and a case routed within 8 s of the
    # database's return. A message that fails after its attempt was counted is still stopped after
    # MAX_ROUTING_ATTEMPTS by the count in the database (services.case_route).
    retry_backoff_max=8,
    max_retries=10,
)
def route_case(case_id: int, transfer_number: int) -> str:
    """Sent to `district.<approving division code>` after the acceptance commits; idempotent."""
    outcome = services.case_route(case_id=case_id, transfer_number=transfer_number)
    logger.info("route_case %s #%s: %s", case_id, transfer_number, outcome.status)
    return outcome.status


@shared_task(name="cases.issue_paper", autoretry_for=(OperationalError,), retry_backoff=1, max_retries=8)
def issue_paper(case_id: int, kind: str, event_seq: int) -> str:
    """Queued after a step that issues a document commits; idempotent (one document per step taken)."""
    return services.paper_issue(case_id=case_id, kind=kind, event_seq=event_seq).number


@shared_task(name="cases.sweep_papers", ignore_result=True)
def sweep_papers() -> int:
    """Beat, every minute: queue again the documents whose message never arrived."""
    return services.paper_sweep()


@shared_task(name="cases.scan_deadlines")
def scan_deadlines() -> dict[str, int]:
    return services.case_deadlines_scan()


@shared_task(name="cases.sweep_routing", ignore_result=True)
def sweep_routing() -> dict[str, int]:
    """Beat, every minute: queue `route_case` again for accepted cases whose message never arrived."""
    return services.case_routing_sweep()


@shared_task(name="cases.escalate_follow_ups", ignore_result=True)
def escalate_follow_ups() -> int:
    """Beat: overdue follow-ups of bad ratings go to the alliance supervisor, once each (idempotent)."""
    return services.follow_ups_escalate()


@worker_process_init.connect
def _worker_process_push(**kwargs: object) -> None:
    """Per pool process: send events over one long-lived event loop (govservice/events.py)."""
    from govservice.events import use_worker_loop

    use_worker_loop()
