"""`make run`'s supervisor with real processes: a killed child comes back while the rest keeps serving."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from govservice import stack
from tests.conftest import database_env_for_children, free_port

pytestmark = [pytest.mark.e2e]


def _answers(url: str) -> int | None:
    """The HTTP status of a GET (any status counts as an answer), None when nobody answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _supervise_until(
    supervisor: stack.Supervisor, done: Callable[[], bool], timeout: float, probe: Callable[[], None] = lambda: None
) -> None:
    """Run the supervisor's loop (in this thread, as `make run` does) until `done()`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        failure = supervisor.supervise()
        assert failure is None, failure
        probe()
        if done():
            return
        time.sleep(0.1)
    raise AssertionError(f"not done within {timeout} s; restarts: {supervisor.restarts}")


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_and_a_killed_redis_come_back_while_the_web_server_keeps_answering(tmp_path: Path) -> None:
    supervisor = stack.Supervisor(restart_base=0.2, restart_cap=2.0)
    port = free_port()
    try:
        redis_url = stack.start_embedded_redis(supervisor, "redis", persist=True, var_dir=tmp_path, restart=True)
        from django.conf import settings

        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **database_env_for_children(),
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp_path),
            "SECRET_KEY": settings.SECRET_KEY,
            "PYTHONUNBUFFERED": "1",
        }
        worker = stack.celery_worker_args(concurrency=1, hostname=f"restart-{port}@%h")
        supervisor.spawn("celery-worker", worker, env=env, restart=True)
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        health = f"http://127.0.0.1:{port}/healthz"
        stack.wait_for_http(health, timeout=90, supervisor=supervisor)
        asgi_pid = supervisor.pid("asgi")
        silences: list[float] = []

        def web_answers() -> None:
            if _answers(health) is None:
                silences.append(time.monotonic())

        # 1. SIGKILL the Celery worker: it comes back, the web server never stopped answering.
        worker_pid = supervisor.pid("celery-worker")
        assert worker_pid is not None
        killed_at = time.monotonic()
        os.kill(worker_pid, signal.SIGKILL)
        _supervise_until(
            supervisor,
            lambda: supervisor.pid("celery-worker") != worker_pid and _answers(health) == 200,
            timeout=90,
            probe=web_answers,
        )
        worker_back = time.monotonic() - killed_at

        # 2. SIGKILL the embedded Redis: it comes back on the same socket with its data.
        client = redis.Redis.from_url(redis_url)
        client.set("c9:restart-test", "kept")
        time.sleep(1.5)  # appendfsync everysec
        redis_pid = supervisor.pid("redis")
        assert redis_pid is not None
        killed_at = time.monotonic()
        os.kill(redis_pid, signal.SIGKILL)
        _supervise_until(
            supervisor,
            lambda: supervisor.pid("redis") != redis_pid and stack.redis_answers(redis_url),
            timeout=60,
            probe=web_answers,
        )
        redis_back = time.monotonic() - killed_at
        assert redis.Redis.from_url(redis_url).get("c9:restart-test") == b"kept"
        # The whole stack serves again: database, Redis, channel layer, a worker answering its ping.
        _supervise_until(supervisor, lambda: _answers(health) == 200, timeout=90, probe=web_answers)
        assert supervisor.pid("asgi") == asgi_pid
        assert silences == []
        assert [name for name, _pid, _at in supervisor.restarts] == ["celery-worker", "redis"]
        print(f"worker back in {worker_back:.1f} s, redis back in {redis_back:.1f} s")  # noqa: T201
    finally:
        supervisor.stop_all()


def test_a_child_that_keeps_dying_is_restarted_with_growing_back_off_then_given_up(capsys) -> None:
    supervisor = stack.Supervisor(restart_base=0.1, restart_cap=0.4, stable_after=30, max_rapid_failures=4)
    try:
        supervisor.spawn(
            "broken", [sys.executable, "-c", "import sys; sys.exit(3)"], env=dict(os.environ), restart=True
        )
        deadline = time.monotonic() + 30
        failure = None
        while failure is None and time.monotonic() < deadline:
            failure = supervisor.supervise()
            time.sleep(0.02)
    finally:
        supervisor.stop_all()
    assert failure is not None and "broken exited 5 times in a row" in failure and "giving up" in failure
    assert len(supervisor.restarts) == 4
    out = capsys.readouterr().out
    # Each restart is logged; the back-off doubles up to its cap.
    assert re.findall(r"restarting in ([0-9.]+) s", out) == ["0.1", "0.2", "0.4", "0.4"]
    assert out.count("restarted (pid") == 4


def test_a_child_without_restart_ends_the_supervision() -> None:
    supervisor = stack.Supervisor()
    try:
        supervisor.spawn("one-shot", [sys.executable, "-c", "pass"], env=dict(os.environ))
        deadline = time.monotonic() + 15
        failure = None
        while failure is None and time.monotonic() < deadline:
            failure = supervisor.supervise()
            time.sleep(0.05)
    finally:
        supervisor.stop_all()
    assert failure == "one-shot stopped (exit code 0)"
