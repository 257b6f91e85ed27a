"""Tasks only the benchmark's workers load (`--include bench.worker_tasks`, see bench/routing_bench.py)."""

from __future__ import annotations

from celery import shared_task

_redis_client = None


@shared_task(name="bench.noop")
def noop(reply_to: str, sent_at: float) -> None:
    """Does nothing but answer on a Redis list: the benchmark's baseline for a Celery round trip."""
    global _redis_client
    if _redis_client is None:
        import redis
        from django.conf import settings

        _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    _redis_client.rpush(reply_to, sent_at)
