"""A help request while Redis is down, through a real ASGI server: stored once, answered honestly."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from govservice import stack
from helpdesk.models import AssistRequest, ClerkProfile
from tests.conftest import database_env_for_children, free_port
from tests.factories import make_citizen, make_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _post(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=b"{}", method="POST", headers={"Authorization": f"Token {token}", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait_for_any_answer(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.3)


def test_during_a_redis_outage_the_request_is_stored_once_and_a_retry_gets_the_same_one(tmp_path: Path) -> None:
    citizen = make_citizen()
    make_clerk("310101", status=ClerkProfile.Status.AVAILABLE)  # so that the click rings (a channel-layer send)
    token = Token.objects.create(user=citizen).key
    supervisor = stack.Supervisor()
    port = free_port()
    try:
        # A Redis that has gone away: the server is configured for it, nobody answers on its socket.
        redis_url = stack.start_embedded_redis(supervisor, "redis", persist=False, var_dir=tmp_path)
        supervisor.stop("redis")
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **database_env_for_children(),
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp_path),
            "SECRET_KEY": settings.SECRET_KEY,
        }
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        url = f"http://127.0.0.1:{port}/api/assist/requests/"
        deadline = time.monotonic() + 60
        while True:
            try:
                first = _post(url, token)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        retry = _post(url, token)
    finally:
        supervisor.stop_all()
    assert first[0] == 201, first
    assert (retry[0], retry[1]["id"]) == (200, first[1]["id"])
    assert AssistRequest.objects.filter(citizen=citizen).count() == 1


def test_when_redis_dies_a_queue_socket_closes_with_1011_and_the_citizen_is_recorded_as_gone(tmp_path: Path) -> None:
    """The channel layer's Redis goes away under an open queue socket: the consumer still runs its
    disconnect (the sweep can then abandon the request) and the page gets a close frame to reconnect on."""
    import asyncio
    import signal

    import websockets
    from websockets.typing import Origin

    from helpdesk import services
    from helpdesk.peers import receive_type, run_coroutine, ws_headers
    from tests.helpdesk.test_call_e2e import cookie_for

    citizen = make_citizen()
    request = services.assist_request_create(citizen=citizen, route=False)
    cookie = cookie_for(citizen)
    supervisor = stack.Supervisor()
    port = free_port()
    try:
        redis_url = stack.start_embedded_redis(supervisor, "redis", persist=False, var_dir=tmp_path)
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **database_env_for_children(),
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp_path),
            "SECRET_KEY": settings.SECRET_KEY,
        }
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        _wait_for_any_answer(f"http://127.0.0.1:{port}/healthz")  # 503 without a worker: it answers

        async def scenario() -> int | None:
            origin = Origin(f"http://127.0.0.1:{port}")
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/assist/queue/{request.pk}/",
                additional_headers=ws_headers(cookie),
                origin=origin,
            ) as socket:
                await receive_type(socket, "queue")
                redis_pid = supervisor.pid("redis")
                assert redis_pid is not None
                os.kill(redis_pid, signal.SIGKILL)
                try:
                    while True:
                        await asyncio.wait_for(socket.recv(), 20)
                except websockets.ConnectionClosed:
                    pass
                return socket.close_code

        code = run_coroutine(scenario())
    finally:
        supervisor.stop_all()
    assert code == 1011
    request.refresh_from_db()
    assert request.citizen_left_at is not None  # the sweep abandons it unless the page comes back
