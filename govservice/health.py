"""/healthz: is every part of the stack answering, and how fast."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

CHECK_TIMEOUT = 2.0


async def _timed(name: str, check: Callable[[], Awaitable[str | None]]) -> tuple[str, dict[str, Any]]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
        status = "ok"
    except Exception as exc:  # noqa: BLE001 - every failure is a finding, reported not raised
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        status = "down"
    result: dict[str, Any] = {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    if detail:
        result["detail"] = detail
    return name, result


async def _database() -> str:
    def query() -> str:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return connection.vendor
        finally:
            connection.close()

    return await sync_to_async(query, thread_sensitive=False)()


async def _redis() -> None:
    client = aioredis.from_url(settings.REDIS_URL)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _channel_layer() -> None:
    # A round trip through a layer of its own, on a channel name without "!": the server's layer runs one
    # receive loop for all its process-local channels, and a probe there waited behind the consumers'
    # receives and timed out whenever a socket was open (docs/pitfalls.md). This instance shares the
    # configuration (Redis, prefix, capacity) but not the loop, the lock or the pool, and closes its pool.
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layer = RedisChannelLayer(**config)
    channel = f"healthz.{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    try:
        await layer.send(channel, {"type": "healthz.echo", "token": token})
        message = await layer.receive(channel)
    finally:
        await layer.close_pools()
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


async def _celery_worker() -> str:
    from govservice.celery import app

    def ping() -> str:
        # limit=1 returns on the first reply instead of waiting out the timeout
        replies = app.control.ping(timeout=1.5, limit=1)
        if not replies:
            raise RuntimeError("no Celery worker answered")
        return f"{len(replies)} worker(s) answered"

    return await sync_to_async(ping, thread_sensitive=False)()


# The query value of the probe made while the system starts (`/healthz?probe=startup`).
STARTUP_PROBE = "startup"


@never_cache
async def healthz(request: HttpRequest) -> JsonResponse:
    checks = await asyncio.gather(
        _timed("database", _database),
        _timed("redis", _redis),
        _timed("channel_layer", _channel_layer),
        _timed("celery", _celery_worker),
    )
    parts = dict(checks)
    healthy = all(part["status"] == "ok" for part in parts.values())
    response = JsonResponse({"status": "ok" if healthy else "down", "checks": parts}, status=200 if healthy else 503)
    if not healthy and request.GET.get("probe") == STARTUP_PROBE:
        # The start-up probe (govservice.stack.wait_for_http) asks until every part is up: a 503 then is expected,
        # not an ERROR for django.request to log. Django skips responses marked as logged already.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response
