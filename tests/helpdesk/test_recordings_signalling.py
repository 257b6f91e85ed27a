"""The recorder's signalling: no member's media goes to it before the caller agrees (a clerk's neither); the
caller's answer reaches every member; the recorder answers each member's own connection, and only members."""

from __future__ import annotations

import json

import pytest
import websockets

from helpdesk import services
from helpdesk.consumers import recorder_token
from helpdesk.models import CallSession, ClerkProfile, Offer
from helpdesk.peers import receive_type, run_coroutine, ws_headers
from tests.factories import HUANGPU, make_citizen, make_clerk
from tests.helpdesk.test_call_e2e import cookie_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clerks_media_goes_to_the_recorder_only_after_the_caller_agrees_and_the_recorder_answers_only_members(
    live_stack,
):
    citizen = make_citizen(code=HUANGPU)
    clerk = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen)
    session = services.assist_offer_accept(
        offer_id=Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING).pk, clerk=clerk
    )
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    url = live_stack.ws(f"/ws/assist/call/{session.pk}/")
    origin = live_stack.http_url
    keys = {user.pk: cookie_for(user) for user in (citizen, clerk)}
    clerk_peer = f"clerk-{clerk.pk}"

    async def scenario():
        async with (
            websockets.connect(f"{url}?recorder_token={recorder_token(session.pk)}", origin=origin) as recorder,
            websockets.connect(url, additional_headers=ws_headers(keys[citizen.pk]), origin=origin) as caller,
            websockets.connect(url, additional_headers=ws_headers(keys[clerk.pk]), origin=origin) as host,
        ):
            await receive_type(recorder, "joined")
            await receive_type(caller, "joined")
            await receive_type(host, "joined")
            await host.send(json.dumps({"type": "offer", "to": "recorder", "sdp": "v=0 clerk before"}))
            before = await receive_type(host, "error")
            await caller.send(json.dumps({"type": "recording.consent", "agree": True}))
            told = [await receive_type(socket, "recording.consent") for socket in (caller, host)]
            await host.send(json.dumps({"type": "offer", "to": "recorder", "sdp": "v=0 clerk after"}))
            relayed = await receive_type(recorder, "offer")
            await recorder.send(json.dumps({"type": "answer", "to": "clerk-999999", "sdp": "v=0 to nobody"}))
            await recorder.send(json.dumps({"type": "answer", "to": clerk_peer, "sdp": "v=0 to the clerk"}))
            answered = await receive_type(host, "answer")
            # The caller hears nothing of the recorder's answers to others.
            with pytest.raises(TimeoutError):
                await receive_type(caller, "answer", timeout=0.5)
            return before, told, relayed, answered

    before, told, relayed, answered = run_coroutine(scenario())
    assert before["code"] == "recording_consent_needed"
    assert [t["consent"] for t in told] == ["given", "given"]
    assert (relayed["peer"], relayed["sdp"]) == (clerk_peer, "v=0 clerk after")  # the one before never arrived
    assert (answered["from"], answered["sdp"]) == ("recorder", "v=0 to the clerk")
