"""A call of three through the running system: aiortc members in a full mesh, a clerk of the approving
district brought in from the console socket, media between every pair."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from helpdesk import services
from helpdesk.models import CallMember, ClerkProfile, Offer
from helpdesk.peers import MeshPeer, add_clerk_to_call, clerk_console, run_coroutine
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
