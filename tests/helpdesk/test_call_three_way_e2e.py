"""Calls through the running system: three aiortc members in a full mesh (a clerk of the approving
district brought in from the console socket, media between every pair), and a page reloaded mid-call."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from rest_framework.authtoken.models import Token

from helpdesk import services
from helpdesk.models import CallMember, ClerkProfile, Offer
from helpdesk.peers import MeshPeer, add_clerk_to_call, clerk_console, receive_type, run_coroutine, ws_headers
from tests.factories import HUANGPU, SHUSHAN, make_citizen, make_clerk, make_item
from tests.helpdesk.test_call_e2e import cookie_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_approving_clerk_joins_by_the_console_and_every_member_receives_video_from_both_others(live_stack):
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    citizen = make_citizen(code=HUANGPU)
    host = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    third = make_clerk(SHUSHAN)
    request = services.assist_request_create(citizen=citizen, item_version=version)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=host)
    host_token = Token.objects.create(user=host).key
    keys = {user.pk: cookie_for(user) for user in (citizen, host, third)}
    http, ws = live_stack.http_url, live_stack.ws_url

    async def scenario():
        console = await clerk_console(ws, http, keys[third.pk])
        members = [MeshPeer(ws, http, session.pk, keys[citizen.pk]), MeshPeer(ws, http, session.pk, keys[host.pk])]
        try:
            for member in members:
                await member.start()
            for member in members:
                await member.frames_from(1)
            result, newcomer = await add_clerk_to_call(
                http_base=http,
                ws_base=ws,
                session_id=session.pk,
                host_token=host_token,
                console=console,
                clerk_cookie=keys[third.pk],
                district_code=SHUSHAN,
            )
            members.append(newcomer)
            for member in members[:2]:
                await member.frames_from(2)
            seen = {member.me: sorted(member.first_frame_from) for member in members}
            await members[0].hang_up()
            return result, seen
        finally:
            for member in members:
                await member.close()
            await console.close()

    result, seen = run_coroutine(scenario())
    host_peer, third_peer = f"clerk-{host.pk}", f"clerk-{third.pk}"
    assert seen == {
        "citizen": sorted([host_peer, third_peer]),
        host_peer: sorted(["citizen", third_peer]),
        third_peer: sorted(["citizen", host_peer]),
    }
    assert 0 < result.time_to_ring_ms <= result.first_frame_ms <= result.both_frames_ms
    stays = set(CallMember.objects.filter(session=session).values_list("user_id", "role"))
    assert stays == {(citizen.pk, "citizen"), (host.pk, "clerk"), (third.pk, "guest")}


def test_a_reloaded_page_returns_to_the_same_call_with_its_members_chat_and_captured_documents(live_stack):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.helpdesk.test_api import png_bytes

    citizen = make_citizen(code=HUANGPU)
    clerk = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen)
    session = services.assist_offer_accept(
        offer_id=Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING).pk, clerk=clerk
    )
    url = live_stack.ws(f"/ws/assist/call/{session.pk}/")
    origin = live_stack.http_url
    keys = {user.pk: cookie_for(user) for user in (citizen, clerk)}

    async def chat_then_reload():
        async with (
            websockets.connect(url, additional_headers=ws_headers(keys[citizen.pk]), origin=origin) as a,
            websockets.connect(url, additional_headers=ws_headers(keys[clerk.pk]), origin=origin) as b,
        ):
            await receive_type(a, "joined")
            await receive_type(b, "joined")
            await a.send(json.dumps({"type": "chat", "text": "营业执照拍好了吗"}))
            await receive_type(b, "chat")
            await b.send(json.dumps({"type": "chat", "text": "已拍，请再出示身份证"}))
            await receive_type(a, "chat")
            await a.close()  # the citizen reloads the page (or switches network): a fresh socket, no last_seq
            await asyncio.to_thread(
                services.call_snapshot_add,
                session=session,
                clerk=clerk,
                uploaded_file=SimpleUploadedFile("s.png", png_bytes()),
            )
            async with websockets.connect(url, additional_headers=ws_headers(keys[citizen.pk]), origin=origin) as again:
                return await receive_type(again, "joined")

    joined = run_coroutine(chat_then_reload())
    assert (joined["session"], joined["role"], joined["peer_present"]) == (session.pk, "citizen", True)
    assert [(m["from"], m["text"]) for m in joined["chat"]] == [
        ("citizen", "营业执照拍好了吗"),
        ("clerk", "已拍，请再出示身份证"),
    ]
    assert [m["role"] for m in joined["members"]] == ["citizen", "clerk"]
    assert len(joined["snapshots"]) == 1
    session.refresh_from_db()
    assert session.ended_at is None


def test_nothing_goes_to_the_recorder_before_the_caller_agrees_to_the_notice(live_stack):
    from helpdesk.consumers import recorder_token
    from helpdesk.models import CallSession

    citizen = make_citizen(code=HUANGPU)
    clerk = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen)
    session = services.assist_offer_accept(
        offer_id=Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING).pk, clerk=clerk
    )
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    url = live_stack.ws(f"/ws/assist/call/{session.pk}/")
    origin = live_stack.http_url
    key = cookie_for(citizen)

    async def scenario():
        async with (
            websockets.connect(f"{url}?recorder_token={recorder_token(session.pk)}", origin=origin) as recorder,
            websockets.connect(url, additional_headers=ws_headers(key), origin=origin) as a,
        ):
            await receive_type(recorder, "joined")
            joined = await receive_type(a, "joined")
            await a.send(json.dumps({"type": "offer", "to": "recorder", "sdp": "v=0 before"}))
            before = await receive_type(a, "error")
            await a.send(json.dumps({"type": "recording.consent", "agree": False}))
            refusal = await receive_type(a, "error")
            await a.send(json.dumps({"type": "recording.consent", "agree": True}))
            answered = await receive_type(a, "recording.consent")
            await a.send(json.dumps({"type": "offer", "to": "recorder", "sdp": "v=0 after"}))
            relayed = await receive_type(recorder, "offer")
            return joined, before, refusal, answered, relayed

    joined, before, refusal, answered, relayed = run_coroutine(scenario())
    assert joined["recording"] == {"required": True, "consent": None, "refusable": False}
    assert before["code"] == "recording_consent_needed"
    assert refusal["code"] == "recording_required"  # policy here: recorded calls cannot be refused
    assert answered["consent"] == "given"
    assert relayed["sdp"] == "v=0 after"  # the one sent before the answer never reached the recorder
    assert CallSession.objects.get(pk=session.pk).recording_consent == "given"
