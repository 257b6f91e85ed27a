"""The process supervisor behind `make run` and `make test`."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from kombu import Connection

from govservice import stack
from govservice.redis_urls import kombu_url


def _put(url: str, queue_name: str, payload: dict[str, Any]) -> None:
    with Connection(kombu_url(url)) as connection:
        queue = connection.SimpleQueue(queue_name)
        queue.put(payload)
        queue.close()


def _get(url: str, queue_name: str) -> dict[str, Any]:
    with Connection(kombu_url(url)) as connection:
        queue = connection.SimpleQueue(queue_name)
        message = queue.get(timeout=2)
        message.ack()
        queue.close()
        payload: dict[str, Any] = message.payload
        return payload


def test_queued_work_survives_a_restart_of_the_embedded_redis(tmp_path: Path) -> None:
    supervisor = stack.Supervisor()
    try:
        url = stack.start_embedded_redis(supervisor, "redis", persist=True, var_dir=tmp_path)
        _put(url, "district.340104", {"case": "C9-TEST-1"})
        supervisor.stop("redis")  # SIGTERM: Redis writes its append-only file and exits
        assert not stack.redis_answers(url)
        url = stack.start_embedded_redis(supervisor, "redis", persist=True, var_dir=tmp_path)
        assert _get(url, "district.340104") == {"case": "C9-TEST-1"}
    finally:
        supervisor.stop_all()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_stopping_a_child_also_stops_its_own_children(tmp_path: Path) -> None:
    supervisor = stack.Supervisor()
    marker = tmp_path / "grandchild.pid"
    # A child that starts a grandchild, as a Celery worker starts its pool.
    script = (
        "import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
        f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    proc = supervisor.spawn("parent", [stack.PYTHON, "-c", script], env=dict(os.environ))
    deadline = time.monotonic() + 10
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(marker.read_text())
    assert _alive(grandchild)
    supervisor.stop_all(timeout=5)
    assert proc.poll() is not None
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_a_flood_fills_redis_to_its_ceiling_but_never_evicts_a_queued_task(tmp_path: Path) -> None:
    """maxmemory with noeviction: the flood's writer gets an error, the Celery queue keeps its task."""
    import redis

    supervisor = stack.Supervisor()
    try:
        url = stack.start_embedded_redis(supervisor, "redis", persist=False, var_dir=tmp_path, maxmemory="16mb")
        client = redis.Redis.from_url(url)
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert stack.redis_memory_warning(url) is None
        _put(url, "district.340104", {"case": "C9-FLOOD-1"})
        # The flood: what the channel layer and the signalling buffer write (keys with a TTL), 64 KiB each.
        refused = None
        for n in range(1000):
            try:
                client.set(f"c9:flood:{n}", b"x" * 65536, ex=300)
            except redis.exceptions.OutOfMemoryError as error:  # "OOM command not allowed …"
                refused = error
                break
        assert refused is not None
        # Nothing was evicted, neither the task nor the flood: the writer was refused instead.
        assert client.llen("district.340104") == 1
        assert client.exists(*(f"c9:flood:{i}" for i in range(n))) == n
        # At the ceiling even kombu's consuming transaction is refused (see docs/reliability.md); once the
        # flood's keys expire (here: are deleted), the task is consumed as queued.
        client.delete(*(f"c9:flood:{i}" for i in range(n)))
        assert _get(url, "district.340104") == {"case": "C9-FLOOD-1"}
    finally:
        supervisor.stop_all()


def test_an_external_redis_that_evicts_is_warned_about(tmp_path: Path) -> None:
    import redis

    supervisor = stack.Supervisor()
    try:
        url = stack.start_embedded_redis(supervisor, "redis", persist=False, var_dir=tmp_path)
        redis.Redis.from_url(url).config_set("maxmemory-policy", "allkeys-lru")
        warning = stack.redis_memory_warning(url)
        assert warning is not None and "allkeys-lru" in warning
    finally:
        supervisor.stop_all()
