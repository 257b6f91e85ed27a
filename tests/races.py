"""Functions run at once, each in its own thread and database connection: the race tests' one way to start them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(
    *functions: Callable[[], Any], expected: tuple[type[BaseException], ...] = (), timeout: float = 60.0
) -> list[Any]:
    """Start each function in its own thread, released together by a barrier, and wait for them all.

    Returns what each one returned, or the exception of an `expected` type it raised, in the order given. Any other
    exception is raised here, and a thread still running after `timeout` seconds fails the test."""
    start = threading.Barrier(len(functions))
    outcomes: list[Any] = [None] * len(functions)
    errors: list[BaseException] = []

    def run(index: int, function: Callable[[], Any]) -> None:
        try:
            start.wait()
            outcomes[index] = function()
        except expected as refused:
            outcomes[index] = refused
        except BaseException as error:  # noqa: BLE001 - raised in the test's thread below
            errors.append(error)
        finally:
            connections.close_all()  # the thread's own connection

    threads = [threading.Thread(target=run, args=(i, function)) for i, function in enumerate(functions)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), f"a racing function still ran after {timeout} s"
    if errors:
        raise errors[0]
    return outcomes
