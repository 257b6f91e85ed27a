"""Celery tasks of the notices app: thin wrappers around notices.services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from notices import services


def _retry_later(outcomes: list[tuple[int, services.DeliveryOutcome]]) -> None:
    for delivery_id, outcome in outcomes:
        if outcome.status == "retry" and outcome.retry_in is not None:
            deliver_notice.apply_async((delivery_id,), countdown=outcome.retry_in)


@shared_task(name="notices.send_notices", autoretry_for=(OperationalError,), retry_backoff=1, max_retries=8)
def send_notices(key: str, user_ids: list[int]) -> int:
    """Queued once after the step that wrote the notices commits; idempotent (each delivery is sent once)."""
    outcomes = services.notices_send(key=key, user_ids=user_ids)
    _retry_later(outcomes)
    return len(outcomes)


@shared_task(name="notices.deliver_notice", autoretry_for=(OperationalError,), retry_backoff=1, max_retries=8)
def deliver_notice(delivery_id: int) -> str:
    """One more attempt at one delivery (a retry after a failure, or the sweep's)."""
    outcome = services.delivery_send(delivery_id=delivery_id)
    _retry_later([(delivery_id, outcome)])
    return outcome.status


@shared_task(name="notices.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> int:
    """Beat, every minute: queue again the deliveries left pending (a lost message, a killed worker)."""
    return services.delivery_sweep()
