"""Real calls through the running system: uvicorn, the Redis channel layer, a Celery worker, aiortc media."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from django.test import Client
from rest_framework.authtoken.models import Token

from helpdesk import services
from helpdesk.models import AssistRequest, CallSession, ClerkProfile, Offer
from helpdesk.peers import clerk_console, place_call, receive_type, run_coroutine, ws_headers
from tests.factories import make_citizen, make_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_an_aiortc_citizen_and_an_aiortc_clerk_are_routed_connect_and_exchange_video(live_stack):
    citizen = make_citizen(code="310101")
    clerk = make_clerk("310101")
    token = Token.objects.create(user=citizen).key

    result = run_coroutine(
        place_call(
            http_base=live_stack.http_url,
            ws_base=live_stack.ws_url,
            citizen_token=token,
            citizen_cookie=cookie_for(citizen),
            clerk_cookie=cookie_for(clerk),
            frames=10,
        )
    )

    assert result.clerk_frames >= 10  # the clerk saw the citizen's camera
    assert result.citizen_frames >= 10  # and the citizen saw the clerk
    session = CallSession.objects.get(pk=result.session_id)
    assert (session.citizen, session.clerk) == (citizen, clerk)
    assert session.ended_at is not None  # the citizen hung up
    assert Offer.objects.get(request_id=result.request_id).stage == "district"
    assert ClerkProfile.objects.get(clerk=clerk).status == ClerkProfile.Status.WRAP_UP


def test_the_citizen_sees_the_queue_live_and_the_call_starting(live_stack):
    citizen = make_citizen(code="320508")
    clerk = make_clerk("320508")
    ClerkProfile.objects.filter(clerk=clerk).update(status=ClerkProfile.Status.AWAY)
    other = make_citizen(code="320508")
    ahead = services.assist_request_create(citizen=other)
    mine = services.assist_request_create(citizen=citizen)
    citizen_cookie, clerk_cookie = cookie_for(citizen), cookie_for(clerk)

    async def scenario():
        origin = live_stack.http_url
        async with websockets.connect(
            live_stack.ws(f"/ws/assist/queue/{mine.pk}/"), additional_headers=ws_headers(citizen_cookie), origin=origin
        ) as queue:
            first = await receive_type(queue, "queue")
            assert (first["position"], first["estimate_is_estimate"]) == (2, True)
            # The one ahead of me leaves: the Celery worker pushes my new position.
            await asyncio.to_thread(services.assist_request_cancel, request=ahead, actor=other)
            moved = await receive_type(queue, "queue")
            while moved["position"] != 1:  # broadcasts of earlier changes may still be on their way
                moved = await receive_type(queue, "queue")
            console = await clerk_console(live_stack.ws_url, origin, clerk_cookie)
            ring = await receive_type(console, "ring")
            assert ring["context"]["citizen"] == citizen.display_name
            await console.send(json.dumps({"type": "accept", "offer": ring["offer"]}))
            start = await receive_type(queue, "call.start")
            await console.close()
            return moved, start

    moved, start = run_coroutine(scenario())
    assert moved["position"] == 1
    assert CallSession.objects.get(pk=start["session"]).request_id == mine.pk


def _connected_session():
    citizen = make_citizen()
    clerk = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE)
    ClerkProfile.objects.filter(clerk=clerk).update(last_heartbeat=None)
    request = services.assist_request_create(citizen=citizen)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)
    return citizen, clerk, session


def test_only_the_two_members_join_a_call_and_nothing_echoes_to_the_sender(live_stack):
    citizen, clerk, session = _connected_session()
    outsider = make_citizen()
    other_clerk = make_clerk("310101")
    url = live_stack.ws(f"/ws/assist/call/{session.pk}/")
    origin = live_stack.http_url

    cookies = {user: cookie_for(user) for user in (citizen, clerk, outsider, other_clerk)}

    async def refused(user) -> int:
        async with websockets.connect(url, additional_headers=ws_headers(cookies[user]), origin=origin) as s:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(s.recv(), 10)
            assert closed.value.rcvd is not None
            return closed.value.rcvd.code

    async def scenario():
        assert await refused(outsider) == 4403
        assert await refused(other_clerk) == 4403
        async with (
            websockets.connect(url, additional_headers=ws_headers(cookies[citizen]), origin=origin) as a,
            websockets.connect(url, additional_headers=ws_headers(cookies[clerk]), origin=origin) as b,
        ):
            assert (await receive_type(a, "joined"))["polite"] is True
            assert (await receive_type(b, "joined"))["peer_present"] is True
            await a.send(json.dumps({"type": "chat", "text": "您好，我想问公积金转移"}))
            got = await receive_type(b, "chat")
            await b.send(json.dumps({"type": "chat", "text": "请出示身份证"}))
            back = await receive_type(a, "chat")
            # The sender hears only the other party: a's next chat message is b's, never its own.
            return got, back

    got, back = run_coroutine(scenario())
    assert (got["text"], got["from"], got["seq"]) == ("您好，我想问公积金转移", "citizen", 1)
    assert (back["text"], back["from"]) == ("请出示身份证", "clerk")


def test_a_dropped_socket_resumes_the_same_session_and_gets_what_it_missed(live_stack):
    citizen, clerk, session = _connected_session()
    url = live_stack.ws(f"/ws/assist/call/{session.pk}/")
    origin = live_stack.http_url
    citizen_cookie, clerk_cookie = cookie_for(citizen), cookie_for(clerk)

    async def scenario():
        clerk_socket = await websockets.connect(url, additional_headers=ws_headers(clerk_cookie), origin=origin)
        await receive_type(clerk_socket, "joined")
        async with websockets.connect(url, additional_headers=ws_headers(citizen_cookie), origin=origin) as a:
            await receive_type(a, "joined")
            await clerk_socket.send(json.dumps({"type": "chat", "text": "第一条"}))
            first = await receive_type(a, "chat")
        # The citizen's socket is gone; the clerk keeps talking.
        await clerk_socket.send(json.dumps({"type": "chat", "text": "第二条"}))
        await asyncio.sleep(0.3)
        async with websockets.connect(
            url + f"?last_seq={first['seq']}", additional_headers=ws_headers(citizen_cookie), origin=origin
        ) as again:
            await receive_type(again, "joined")
            missed = await receive_type(again, "chat")
        await clerk_socket.close()
        return first, missed

    first, missed = run_coroutine(scenario())
    assert (first["text"], missed["text"]) == ("第一条", "第二条")
    assert missed["seq"] == first["seq"] + 1
    assert CallSession.objects.get(pk=session.pk).ended_at is None


def test_a_third_user_cannot_watch_someone_elses_queue(live_stack):
    citizen = make_citizen()
    request = services.assist_request_create(citizen=citizen)
    stranger_cookie = cookie_for(make_citizen())

    async def scenario():
        async with websockets.connect(
            live_stack.ws(f"/ws/assist/queue/{request.pk}/"),
            additional_headers=ws_headers(stranger_cookie),
            origin=live_stack.http_url,
        ) as s:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(s.recv(), 10)
            assert closed.value.rcvd is not None
            return closed.value.rcvd.code

    assert run_coroutine(scenario()) == 4403
    assert AssistRequest.objects.get(pk=request.pk).state == AssistRequest.State.WAITING
