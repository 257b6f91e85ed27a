"""/healthz reports each part with its latency, and 503 when one is down."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from django.test import Client
    from pytest_django.fixtures import SettingsWrapper


@pytest.mark.django_db
def test_it_reports_503_naming_the_celery_worker_when_none_runs(client: Client) -> None:
    # No worker runs in the test process: the database, Redis and channel layer answer, Celery does not.
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["channel_layer"]["status"] == "ok"
    assert body["checks"]["celery"]["status"] == "down"
    assert all(isinstance(part["latency_ms"], float) for part in body["checks"].values())


@pytest.mark.django_db
def test_it_reports_redis_down_when_redis_is_unreachable(client: Client, settings: SettingsWrapper) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    body = client.get("/healthz").json()
    assert body["checks"]["redis"]["status"] == "down"
    assert "Error" in body["checks"]["redis"]["detail"]
