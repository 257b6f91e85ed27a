"""The one sender of realtime events to browsers and peers, for every app.

Services call `send_on_commit(groups, payload)`: nobody hears of a change that was rolled
back, and a Redis hiccup after the commit is logged, never turned into a server error (the
change stands; pages reload their state when their socket comes back).

All groups of one call go out together over one event loop and one Redis pool. In a web
process that is `async_to_sync` once per call; in a Celery worker process, where
`async_to_sync` would build a new loop and pool for every call (about 3–6 ms each, see
docs/pitfalls.md), a worker child keeps one event loop in a thread and hands each batch to it
(`use_worker_loop`, called from the worker's process-init signal).

`handler` names the consumer method that forwards the payload to its socket: `push` for the
event socket (/ws/events/, govservice.consumers), `assist.push` for the helpdesk sockets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

PUSH = "push"
ASSIST_PUSH = "assist.push"

Message = tuple[str, dict[str, Any]]


def user_group(user_id: int) -> str:
    """A person's pages (every socket of theirs on /ws/events/)."""
    return f"user.{user_id}"


def district_group(division_code: str) -> str:
    """The workbenches of a district's clerks."""
    return f"district.{division_code}"


def recipients(*, user_ids: Iterable[int | None] = (), division_codes: Iterable[str | None] = ()) -> list[str]:
    """The groups of these people and districts, each once, in a stable order (empty ids skipped)."""
    users = sorted({uid for uid in user_ids if uid is not None})
    districts = sorted({code for code in division_codes if code})
    return [user_group(uid) for uid in users] + [district_group(code) for code in districts]


def send_on_commit(groups: Iterable[str], payload: dict[str, Any], *, handler: str = PUSH) -> None:
    """After the current transaction commits (at once outside one), send `payload` to every group."""
    messages = [(group, payload) for group in dict.fromkeys(groups) if group]
    if messages:
        transaction.on_commit(lambda: dispatch(messages, handler=handler), robust=True)


def send_each_on_commit(messages: Iterable[Message], *, handler: str = PUSH) -> None:
    """After commit, a different payload to each group (one batch)."""
    batch = [(group, payload) for group, payload in messages if group]
    if batch:
        transaction.on_commit(lambda: dispatch(batch, handler=handler), robust=True)


def send_now(groups: Iterable[str], payload: dict[str, Any], *, handler: str = PUSH) -> None:
    """Send now, outside any transaction's concern (timers, fan-outs, consumers' sync helpers)."""
    dispatch([(group, payload) for group in dict.fromkeys(groups) if group], handler=handler)


def dispatch(messages: list[Message], *, handler: str = PUSH) -> None:
    """Send a batch: one loop and one pool for all of it. Best effort: failures are logged."""
    if not messages:
        return
    if _in_worker:
        _worker_sender().send(messages, handler)
        return
    async_to_sync(_send_all)(messages, handler)


async def _send_all(messages: list[Message], handler: str, layer: Any = None) -> None:
    layer = layer or get_channel_layer()
    results = await asyncio.gather(
        *(layer.group_send(group, {"type": handler, "payload": payload}) for group, payload in messages),
        return_exceptions=True,
    )
    for (group, payload), result in zip(messages, results, strict=True):
        if isinstance(result, Exception):
            logger.warning("event %s to %s failed: %r", payload.get("type"), group, result)


# --- Celery worker processes: one event loop per process ---------------------------------------

_in_worker = False
_sender: _LoopSender | None = None


def use_worker_loop() -> None:
    """Called in each Celery pool process (worker_process_init)."""
    global _in_worker
    _in_worker = True


class _LoopSender:
    # A push is best effort, but a stuck loop must not pile up sends without bound: past this
    # backlog the caller waits (at most 2 s) for its batch.
    MAX_PENDING = 200

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.layer: Any = None
        self.pending: set[Future[None]] = set()
        threading.Thread(target=self.loop.run_forever, name="events-sender", daemon=True).start()

    async def _send(self, messages: list[Message], handler: str) -> None:
        if self.layer is None:
            self.layer = get_channel_layer()
        await _send_all(messages, handler, self.layer)

    def send(self, messages: list[Message], handler: str) -> None:
        future = asyncio.run_coroutine_threadsafe(self._send(messages, handler), self.loop)
        self.pending.add(future)
        future.add_done_callback(self._done)
        if len(self.pending) > self.MAX_PENDING:
            try:
                future.result(timeout=2)
            except Exception as error:  # noqa: BLE001 - a lost push must not fail a committed change
                logger.warning("event batch timed out or failed: %r", error)

    def _done(self, future: Future[None]) -> None:
        self.pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            logger.warning("event batch failed: %r", future.exception())


def _worker_sender() -> _LoopSender:
    global _sender
    if _sender is None or _sender.pid != os.getpid():
        _sender = _LoopSender()
    return _sender
