"""The real path: uvicorn, a Celery worker, Redis as broker and channel layer, a real WebSocket."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import websockets
from django.test import Client
from websockets.typing import Origin

from accounts.models import User
from tests.worker_hooks import push_to_user

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def session_cookie_for(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def receive_type(socket: ClientConnection, wanted: str, timeout: float = 15.0) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message.get("type") == wanted:
            return message


def test_healthz_is_green_with_every_part_running(live_stack: LiveStack) -> None:
    with urllib.request.urlopen(live_stack.url("/healthz"), timeout=10) as response:
        body = json.loads(response.read())
    assert response.status == 200
    assert {name: part["status"] for name, part in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "channel_layer": "ok",
        "celery": "ok",
    }


def test_a_worker_task_reaches_the_users_open_socket(live_stack: LiveStack) -> None:
    user = User.objects.create_user(username=f"ws-{uuid.uuid4().hex[:6]}", display_name="王五")
    cookie = session_cookie_for(user)
    token = uuid.uuid4().hex

    async def scenario() -> dict[str, Any]:
        async with websockets.connect(
            live_stack.ws("/ws/events/"),
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=Origin(live_stack.http_url),
        ) as socket:
            hello = await receive_type(socket, "hello")
            assert hello["user"] == user.username
            # Worker -> Redis channel layer -> consumer -> this socket.
            push_to_user.delay(user.pk, {"type": "case.updated", "token": token})
            return await receive_type(socket, "case.updated")

    message = asyncio.run(scenario())
    assert message["token"] == token


def test_an_anonymous_or_foreign_origin_socket_is_refused(live_stack: LiveStack) -> None:
    async def connect(**kwargs: Any) -> None:
        async with websockets.connect(live_stack.ws("/ws/events/"), **kwargs) as socket:
            await socket.recv()

    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        asyncio.run(connect(origin=live_stack.http_url))
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    with pytest.raises(websockets.exceptions.InvalidStatus):
        asyncio.run(connect(origin="https://evil.example"))


def test_a_socket_with_a_stale_or_garbled_session_is_anonymous(live_stack: LiveStack) -> None:
    """The session is checked once at connect: a password changed since login ends it, as for pages."""
    user = User.objects.create_user(username=f"ws-{uuid.uuid4().hex[:6]}", password="old-pass-2026")
    cookie = session_cookie_for(user)
    user.set_password("new-pass-2026")
    user.save()

    async def close_code(cookie_header: str) -> int:
        async with websockets.connect(
            live_stack.ws("/ws/events/"),
            additional_headers={"Cookie": cookie_header},
            origin=Origin(live_stack.http_url),
        ) as socket:
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None
            return closed.value.rcvd.code

    assert asyncio.run(close_code(f"sessionid={cookie}")) == 4401
    assert asyncio.run(close_code('sessionid="\\x00;; =')) == 4401
