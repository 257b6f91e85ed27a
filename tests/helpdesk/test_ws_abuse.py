"""Hostile clients on the real sockets: uvicorn, the Redis channel layer, the real Redis.

Frames over the size limit close with 1009, floods with 1008 (and are not relayed), broken frames
are answered and the socket lives on, a hung-up call relays nothing more, and the Origin check
counts the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
import websockets
from websockets.typing import Origin

from helpdesk.models import CallSession, ClerkProfile
from helpdesk.peers import receive_type, run_coroutine, ws_headers
from tests.factories import make_citizen, make_clerk
from tests.helpdesk.test_call_e2e import _connected_session, cookie_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def _close_code(socket: websockets.ClientConnection, timeout: float = 10) -> int | None:
    """Read until the server closes the socket; the code it closed with."""

    async def read_all() -> None:
        while True:
            await socket.recv()

    with contextlib.suppress(websockets.ConnectionClosed):
        await asyncio.wait_for(read_all(), timeout)
    return socket.close_code


async def _drain(socket: websockets.ClientConnection, seconds: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    try:
        while True:
            got.append(json.loads(await asyncio.wait_for(socket.recv(), seconds)))
    except (TimeoutError, websockets.ConnectionClosed):
        return got


def _call(live_stack):
    citizen, clerk, session = _connected_session()
    url = live_stack.ws(f"/ws/assist/call/{session.pk}/")
    return session, url, cookie_for(citizen), cookie_for(clerk)


@pytest.mark.parametrize("size", [1024 * 1024, 8 * 1024 * 1024])
def test_a_huge_chat_frame_closes_the_sender_with_1009_and_is_not_relayed(live_stack, size):
    _session, url, citizen_cookie, clerk_cookie = _call(live_stack)
    origin = Origin(live_stack.http_url)

    async def scenario():
        async with (
            websockets.connect(url, additional_headers=ws_headers(citizen_cookie), origin=origin, max_size=None) as a,
            websockets.connect(url, additional_headers=ws_headers(clerk_cookie), origin=origin) as b,
        ):
            await receive_type(a, "joined")
            await receive_type(b, "joined")
            # The server may close while the frame is still going out.
            with contextlib.suppress(websockets.ConnectionClosed):
                await a.send(json.dumps({"type": "chat", "text": "x" * size}))
            code = await _close_code(a)
            relayed = [m for m in await _drain(b, 1.5) if m.get("type") == "chat"]
            return code, relayed

    code, relayed = run_coroutine(scenario())
    assert code == 1009
    assert relayed == []


def test_a_flood_of_3000_messages_closes_the_sender_with_1008_and_little_is_relayed(live_stack):
    _session, url, citizen_cookie, clerk_cookie = _call(live_stack)
    origin = Origin(live_stack.http_url)

    async def scenario():
        async with (
            websockets.connect(url, additional_headers=ws_headers(citizen_cookie), origin=origin) as a,
            websockets.connect(url, additional_headers=ws_headers(clerk_cookie), origin=origin) as b,
        ):
            await receive_type(a, "joined")
            await receive_type(b, "joined")
            frame = json.dumps({"type": "chat", "text": "刷屏"})
            try:
                for _ in range(3000):
                    await a.send(frame)
            except websockets.ConnectionClosed:
                pass
            code = await _close_code(a)
            relayed = [m for m in await _drain(b, 2) if m.get("type") == "chat"]
            return code, len(relayed)

    code, relayed = run_coroutine(scenario())
    assert code == 1008
    # The bucket's burst (60) and what it refilled (20/s) while the server worked through the
    # frames already sent, never the flood.
    assert 1 <= relayed <= 200


def test_broken_frames_are_answered_and_every_socket_lives_on(live_stack):
    citizen = make_citizen()
    clerk = make_clerk("310101")
    from helpdesk import services

    request = services.assist_request_create(citizen=citizen)
    citizen_cookie, clerk_cookie = cookie_for(citizen), cookie_for(clerk)
    origin = Origin(live_stack.http_url)
    broken: list[str | bytes] = [
        b"\x00\x01binary",
        "",
        "not json",
        "[1, 2]",
        '"a string"',
        "null",
    ]
    # Valid objects with bad fields: only the console reads them (the other sockets ignore unknown types).
    console_only = ['{"type": "accept", "offer": "abc"}', '{"type": "decline", "offer": [1]}', '{"type": "accept"}']

    async def probe(path: str, cookie: str) -> list[str]:
        codes = []
        frames = broken + (console_only if "console" in path else [])
        async with websockets.connect(
            live_stack.ws(path), additional_headers=ws_headers(cookie), origin=origin
        ) as socket:
            await receive_type(socket, {"hello", "queue"})
            for frame in frames:
                await socket.send(frame)
                codes.append((await receive_type(socket, "error"))["code"])
            # Still alive: the socket's own keep-alive is answered.
            alive, answer = ("heartbeat", "heartbeat.ok") if "console" in path else ("ping", "pong")
            await socket.send(json.dumps({"type": alive, "t": 7}))
            assert (await receive_type(socket, answer))["t"] == 7
        return codes

    async def scenario():
        return {
            path: await probe(path, cookie)
            for path, cookie in (
                ("/ws/events/", citizen_cookie),
                (f"/ws/assist/queue/{request.pk}/", citizen_cookie),
                ("/ws/assist/console/", clerk_cookie),
            )
        }

    results = run_coroutine(scenario())
    for path, codes in results.items():
        assert codes == ["bad_message"] * (len(broken) + (len(console_only) if "console" in path else 0)), path
    ClerkProfile.objects.filter(clerk=clerk).update(last_heartbeat=None)


def test_a_call_socket_with_a_garbled_last_seq_joins_without_replay(live_stack):
    _session, url, citizen_cookie, _clerk_cookie = _call(live_stack)

    async def scenario():
        async with websockets.connect(
            url + "?last_seq=abc", additional_headers=ws_headers(citizen_cookie), origin=Origin(live_stack.http_url)
        ) as a:
            return await receive_type(a, "joined")

    assert run_coroutine(scenario())["role"] == "citizen"


def test_after_a_hang_up_nothing_is_relayed_and_both_sockets_close_as_gone(live_stack):
    session, url, citizen_cookie, clerk_cookie = _call(live_stack)
    origin = Origin(live_stack.http_url)

    async def scenario():
        async with (
            websockets.connect(url, additional_headers=ws_headers(citizen_cookie), origin=origin) as a,
            websockets.connect(url, additional_headers=ws_headers(clerk_cookie), origin=origin) as b,
        ):
            await receive_type(a, "joined")
            await receive_type(b, "joined")
            await a.send(json.dumps({"type": "hangup"}))
            await b.send(json.dumps({"type": "chat", "text": "还在吗"}))  # may race the hang-up
            await asyncio.sleep(0.5)
            for _ in range(5):  # after the hang-up is out, nothing more goes through
                try:
                    await b.send(json.dumps({"type": "chat", "text": "还在吗"}))
                except websockets.ConnectionClosed:
                    break
            received_by_a = await _drain(a, 1.5)
            return received_by_a, a.close_code, b.close_code

    received_by_a, code_a, code_b = run_coroutine(scenario())
    chats = [m for m in received_by_a if m.get("type") == "chat"]
    assert len(chats) <= 1  # at most the one sent before the hang-up was handled
    assert (code_a, code_b) == (4410, 4410)
    assert CallSession.objects.get(pk=session.pk).ended_at is not None


def test_the_origin_check_counts_the_port(live_stack):
    citizen = make_citizen()
    cookie = cookie_for(citizen)
    port = int(live_stack.http_url.rsplit(":", 1)[1])

    async def connect(origin: str) -> str:
        async with websockets.connect(
            live_stack.ws("/ws/events/"), additional_headers=ws_headers(cookie), origin=Origin(origin)
        ) as socket:
            return (await receive_type(socket, "hello"))["type"]

    assert run_coroutine(connect(live_stack.http_url)) == "hello"
    for origin in (f"http://127.0.0.1:{port + 1}", "http://127.0.0.1", f"http://localhost:{port + 1}"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            run_coroutine(connect(origin))
        assert refused.value.response.status_code == 403
