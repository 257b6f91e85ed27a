"""The console's socket on the real stack: the waiting list in the hello and pushed on a change, picking over
the socket (one clerk wins, the other is told why), a console asking for its list again."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.typing import Origin

from helpdesk import services
from helpdesk.models import AssistRequest, CallSession, ClerkProfile
from helpdesk.peers import receive_type, run_coroutine, ws_headers
from tests.factories import make_citizen, make_clerk
from tests.helpdesk.test_call_e2e import cookie_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_consoles_pick_the_same_caller_one_gets_the_call_the_other_a_clear_answer(live_stack):
    first = make_clerk("310101", status=ClerkProfile.Status.AWAY)
    second = make_clerk("310101", status=ClerkProfile.Status.AWAY)
    request = services.assist_request_create(citizen=make_citizen(code="310101"), route=False)
    services.assist_request_returned(request_id=request.pk)
    url = live_stack.ws("/ws/assist/console/")
    origin = Origin(live_stack.http_url)
    cookies = cookie_for(first), cookie_for(second)

    async def scenario():
        async with (
            websockets.connect(url, additional_headers=ws_headers(cookies[0]), origin=origin) as a,
            websockets.connect(url, additional_headers=ws_headers(cookies[1]), origin=origin) as b,
        ):
            hello_a = await receive_type(a, "hello")
            hello_b = await receive_type(b, "hello")
            await a.send(json.dumps({"type": "pick", "request": request.pk}))
            started = await receive_type(a, "call.start")
            await b.send(json.dumps({"type": "pick", "request": request.pk}))
            refused = await receive_type(b, "error")
            # The queue changed: the worker pushes the second console its list, now empty.
            emptied = await receive_type(b, "waiting")
            while emptied["rows"]:
                emptied = await receive_type(b, "waiting")
            return hello_a, hello_b, started, refused

    hello_a, hello_b, started, refused = run_coroutine(scenario())
    assert [row["request"] for row in hello_a["waiting"]] == [request.pk]
    assert hello_b["waiting"][0]["pickable"] is True and "*" in hello_b["waiting"][0]["citizen"]
    assert started["session"] == CallSession.objects.get(request=request).pk
    assert (refused["code"], refused["about"]) == ("already_taken", "pick")
    assert refused["message"]
    assert AssistRequest.objects.get(pk=request.pk).state == AssistRequest.State.CONNECTED


def test_a_console_asks_for_its_list_again(live_stack):
    clerk = make_clerk("310101", status=ClerkProfile.Status.AWAY)
    url = live_stack.ws("/ws/assist/console/")
    origin = Origin(live_stack.http_url)
    cookie = cookie_for(clerk)
    citizen = make_citizen(code="310101")

    async def scenario():
        async with websockets.connect(url, additional_headers=ws_headers(cookie), origin=origin) as a:
            hello = await receive_type(a, "hello")
            request = await asyncio.to_thread(services.assist_request_create, citizen=citizen, route=False)
            await a.send('{"type": "waiting"}')
            rows: list[dict] = []
            while not rows:
                rows = (await receive_type(a, "waiting"))["rows"]
            return hello, request, rows

    hello, request, rows = run_coroutine(scenario())
    assert hello["waiting"] == []
    assert [row["request"] for row in rows] == [request.pk]
