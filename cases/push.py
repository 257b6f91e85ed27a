"""After-commit pushes to browsers for the cases app.

In web processes this is govservice.realtime's notify_*_on_commit. In a Celery worker
process, `async_to_sync` would build a new event loop and Redis pool for every send
(~3-6 ms each, several per routed case: PITFALLS.md), so a worker child keeps one
event loop in a thread and sends all of a change's groups in one go over it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from django.db import transaction

from govservice.realtime import district_group, notify_district_on_commit, notify_user_on_commit, user_group

logger = logging.getLogger(__name__)

_in_worker = False
_sender: _LoopSender | None = None


def use_worker_loop() -> None:
    """Called in each Celery pool process (worker_process_init)."""
    global _in_worker
    _in_worker = True


class _LoopSender:
    MAX_PENDING = 200

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.layer = None
        self.pending: set = set()
        threading.Thread(target=self.loop.run_forever, name="cases-push", daemon=True).start()

    async def _send(self, groups: list[str], payload: dict[str, Any]) -> None:
        if self.layer is None:
            from channels.layers import get_channel_layer

            self.layer = get_channel_layer()
        message = {"type": "push", "payload": payload}
        results = await asyncio.gather(*(self.layer.group_send(g, message) for g in groups), return_exceptions=True)
        for group, result in zip(groups, results, strict=True):
            if isinstance(result, Exception):
                logger.warning("push to %s failed: %r", group, result)

    def send(self, groups: list[str], payload: dict[str, Any]) -> None:
        """Hand the push to the loop and return: the next task need not wait for Redis.

        A push is best effort (the change is committed; pages reload their state on reconnect),
        but a stuck loop must not pile up sends without bound, so past a backlog we wait.
        """
        future = asyncio.run_coroutine_threadsafe(self._send(groups, payload), self.loop)
        self.pending.add(future)
        future.add_done_callback(self._done)
        if len(self.pending) > self.MAX_PENDING:
            try:
                future.result(timeout=2)
            except Exception as error:  # noqa: BLE001 - a lost push must not fail a committed change
                logger.warning("push of %s timed out or failed: %r", payload.get("type"), error)

    def _done(self, future) -> None:
        self.pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            logger.warning("push failed: %r", future.exception())


def _worker_sender() -> _LoopSender:
    global _sender
    if _sender is None or _sender.pid != os.getpid():
        _sender = _LoopSender()
    return _sender


def push_on_commit(*, user_ids: set[int | None], division_codes: set[str], payload: dict[str, Any]) -> None:
    user_ids = {uid for uid in user_ids if uid is not None}
    if not _in_worker:
        for user_id in user_ids:
            notify_user_on_commit(user_id, payload)
        for code in division_codes:
            notify_district_on_commit(code, payload)
        return
    groups = [user_group(uid) for uid in sorted(user_ids)] + [district_group(code) for code in sorted(division_codes)]
    transaction.on_commit(lambda: _worker_sender().send(groups, payload))
