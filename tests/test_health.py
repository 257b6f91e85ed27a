"""/healthz reports each part with its latency, and 503 when one is down."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import websockets
from django.conf import settings as django_settings
from django.test import Client as DjangoClient
from websockets.typing import Origin

from govservice import stack
from tests.conftest import database_env_for_children, free_port
from tests.factories import make_user

if TYPE_CHECKING:
    from django.test import Client
    from pytest_django.fixtures import SettingsWrapper
    from websockets.asyncio.client import ClientConnection

    from accounts.models import User
    from tests.conftest import LiveStack


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


# --- Through the real server: uvicorn, the Redis channel layer, a real WebSocket -------------------------


def _healthz(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _session_cookie(user: User) -> str:
    client = DjangoClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _open_events_socket(ws_url: str, http_url: str, cookie: str) -> ClientConnection:
    socket = await websockets.connect(
        ws_url + "/ws/events/", additional_headers={"Cookie": f"sessionid={cookie}"}, origin=Origin(http_url)
    )
    while json.loads(await asyncio.wait_for(socket.recv(), 15)).get("type") != "hello":
        pass
    return socket


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_stays_green_while_an_authenticated_socket_is_open(live_stack: LiveStack) -> None:
    # The consumer's receive loop once starved the probe's own receive: 503 exactly while serving.
    cookie = _session_cookie(make_user())

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        socket = await _open_events_socket(live_stack.ws_url, live_stack.http_url, cookie)
        try:
            return [await asyncio.to_thread(_healthz, live_stack.http_url) for _ in range(3)]
        finally:
            await socket.close()

    for status, body in asyncio.run(scenario()):
        assert body["checks"]["channel_layer"]["status"] == "ok", body
        assert status == 200, body


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_answers_503_on_a_live_server_whose_redis_stops(tmp_path: Path) -> None:
    supervisor = stack.Supervisor()
    cookie = _session_cookie(make_user())
    try:
        redis_url = stack.start_embedded_redis(supervisor, "health-redis", persist=False, var_dir=tmp_path)
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **database_env_for_children(),
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp_path),
            "SECRET_KEY": django_settings.SECRET_KEY,
        }
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        http_url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                _healthz(http_url)
                break
            time.sleep(0.2)

        async def scenario() -> tuple[dict[str, Any], tuple[int, dict[str, Any]]]:
            socket = await _open_events_socket(ws_url, http_url, cookie)
            try:
                # No Celery worker serves this Redis: only the parts that depend on Redis are compared.
                _status, before = await asyncio.to_thread(_healthz, http_url)
                supervisor.stop("redis")
                return before, await asyncio.to_thread(_healthz, http_url)
            finally:
                with contextlib.suppress(Exception):
                    await socket.close()

        before, (status, after) = asyncio.run(scenario())
        assert before["checks"]["redis"]["status"] == "ok"
        assert before["checks"]["channel_layer"]["status"] == "ok"
        assert status == 503
        assert after["checks"]["redis"]["status"] == "down"
        assert after["checks"]["channel_layer"]["status"] == "down"
    finally:
        supervisor.stop_all()
