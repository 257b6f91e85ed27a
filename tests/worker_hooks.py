"""Test-only hooks for the Celery workers the tests start (`--include tests.worker_hooks`).

Nothing here is imported by the system itself: the live stack's worker (tests/conftest.py) and the
routing kill test's worker (tests/cases/test_live_routing.py) include this module.

- `push_to_user`: a task that pushes an event to a user's sockets from a worker (tests/test_live_stack.py).
- the routing hold: when CASES_ROUTING_HOLD_FILE names a file, each pool process wraps routing's
  choice of clerk so that, inside the routing transaction and before the move, it waits while that
  file exists (at most 60 s): the test kills the worker there, then removes the file.
- the notices hold: when NOTICES_HOLD_FILE names a file, each pool process wraps the handing of a notice to
  its email or SMS backend so that, after the backend took it and before the delivery is recorded as sent,
  it waits while that file exists (at most 60 s): tests/notices/test_notices_live.py kills the worker there.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init

HOLD_FILE_ENV = "CASES_ROUTING_HOLD_FILE"
NOTICES_HOLD_FILE_ENV = "NOTICES_HOLD_FILE"


@shared_task(name="tests.push_to_user")
def push_to_user(user_id: int, payload: dict[str, Any]) -> None:
    """Deliver an event to every open socket of a user, from a worker."""
    from govservice import events

    events.send_now([events.user_group(user_id)], payload)


def _hold(hold_file: str) -> None:
    deadline = time.monotonic() + 60
    while os.path.exists(hold_file) and time.monotonic() < deadline:
        time.sleep(0.02)


@worker_process_init.connect
def _hold_routing_when_asked(**kwargs: object) -> None:
    hold_file = os.environ.get(HOLD_FILE_ENV)
    if not hold_file:
        return
    from cases.models import Case
    from cases.services import routing
    from standards.models import ServiceWindow

    choose = routing._routing_target

    def routing_target_then_hold(case: Case) -> tuple[ServiceWindow | None, int | None]:
        # Called inside the routing transaction, after the attempt was counted and before the move.
        target = choose(case)
        _hold(hold_file)
        return target

    routing._routing_target = routing_target_then_hold


@worker_process_init.connect
def _hold_notices_when_asked(**kwargs: object) -> None:
    hold_file = os.environ.get(NOTICES_HOLD_FILE_ENV)
    if not hold_file:
        return
    from notices import services
    from notices.models import NoticeDelivery

    send = services._send_channel

    def send_then_hold(row: NoticeDelivery, address: str) -> str:
        # The backend has the message; the row still says pending: the worst moment to die.
        gateway_id = send(row, address)
        _hold(hold_file)
        return gateway_id

    services._send_channel = send_then_hold
