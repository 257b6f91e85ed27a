"""The operator's tools against the running system: the probe places a call, the recorder records each member's
media (the caller's, the clerk's holding the call, a clerk's brought in from their join) in a file of its own."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from rest_framework.authtoken.models import Token

from cases.models import CaseEvent
from govservice import stack
from helpdesk import services
from helpdesk.models import CallRecording, CallSession, ClerkProfile, Offer
from helpdesk.peers import CallPeer, MeshPeer, RecorderLeg, add_clerk_to_call, clerk_console, run_coroutine
from tests.factories import HUANGPU, SHUSHAN, make_citizen, make_clerk, make_item, submitted_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_the_probe_places_a_real_call_and_reports_its_timings(live_stack, capsys):
    citizen = make_citizen(code="330102")
    clerk = make_clerk("330102")
    call_command("assist_probe", server=live_stack.http_url, citizen=citizen.username, clerk=clerk.username, frames=5)
    out = capsys.readouterr().out
    assert "ring" in out and "first frame at the clerk" in out
    session = CallSession.objects.get(citizen=citizen)
    assert session.notes == "assist_probe" and session.ended_at is not None
    # The probe closed its console: the clerk is not left in a call or ringing.
    assert ClerkProfile.objects.get(clerk=clerk).status in (ClerkProfile.Status.AWAY, ClerkProfile.Status.OFFLINE)


@contextlib.contextmanager
def the_recorder(live_stack):
    """`manage.py assist_recorder` against the live stack, as an operator runs it; its media root."""
    media_root = Path(live_stack.env["VAR_DIR"]) / "media"
    env = {**live_stack.env, "MEDIA_ROOT": str(media_root)}
    recorder = subprocess.Popen(
        [sys.executable, "manage.py", "assist_recorder", "--server", live_stack.http_url, "--scan-interval", "0.3"],
        cwd=stack.BASE_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        yield media_root
    finally:
        recorder.terminate()
        recorder.wait(15)


async def connected_to_the_recorder(*legs: RecorderLeg, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not all(leg.pc is not None and leg.pc.connectionState == "connected" for leg in legs):
        assert time.monotonic() < deadline, "a member never connected to the recorder"
        await asyncio.sleep(0.2)


def recordings_attached(session_id: int, count: int) -> list[CallRecording]:
    deadline = time.monotonic() + 30
    while CallRecording.objects.filter(session_id=session_id).count() < count:
        assert time.monotonic() < deadline, "the recordings were never attached"
        time.sleep(0.3)
    return list(CallRecording.objects.filter(session_id=session_id).order_by("started_at"))


def in_own_connection(work, *args):
    """Run database work from a worker thread, closing that thread's connection after."""
    try:
        return work(*args)
    finally:
        connections.close_all()


def frames_in(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_the_recorder_files_the_callers_and_the_clerks_media_each_in_a_file_of_its_own(live_stack):
    citizen = make_citizen(code="320106")
    clerk = make_clerk("320106", status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    citizen_cookie, clerk_cookie = cookie_for(citizen), cookie_for(clerk)
    with the_recorder(live_stack) as media_root:

        async def call():
            clerk_peer = CallPeer(live_stack.ws_url, live_stack.http_url, session.pk, session_cookie=clerk_cookie)
            citizen_peer = CallPeer(live_stack.ws_url, live_stack.http_url, session.pk, session_cookie=citizen_cookie)
            await clerk_peer.start()
            await citizen_peer.start()
            await clerk_peer.wait_for_frames(10, timeout=30)
            # The recorder joins (it scans every 0.3 s), the caller agrees, and each member connects to it.
            await connected_to_the_recorder(citizen_peer.recorder, clerk_peer.recorder)
            await asyncio.sleep(2)
            await citizen_peer.hang_up()
            await asyncio.sleep(0.5)
            await citizen_peer.close()
            await clerk_peer.close()
            return clerk_peer.frames_received

        assert run_coroutine(call()) >= 10
        recordings = recordings_attached(session.pk, 2)
    assert sorted((r.peer, r.user_id, r.role) for r in recordings) == [
        ("citizen", citizen.pk, "citizen"),
        (f"clerk-{clerk.pk}", clerk.pk, "clerk"),
    ]
    for recording in recordings:
        path = media_root / recording.file.name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recording.sha256
        assert frames_in(path) >= 10, recording.peer


def test_a_clerk_brought_in_is_recorded_from_their_join_in_a_file_of_their_own(live_stack):
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    citizen = make_citizen(code=HUANGPU)
    host = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    guest = make_clerk(SHUSHAN)
    case = submitted_case(applicant=citizen)
    request = services.assist_request_create(citizen=citizen, item_version=version)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=host)
    CallSession.objects.filter(pk=session.pk).update(recording_required=True, case_ref=case.reference)
    host_token = Token.objects.create(user=host).key
    keys = {user.pk: cookie_for(user) for user in (citizen, host, guest)}
    http, ws = live_stack.http_url, live_stack.ws_url
    with the_recorder(live_stack) as media_root:

        async def scenario():
            console = await clerk_console(ws, http, keys[guest.pk])
            members = [MeshPeer(ws, http, session.pk, keys[citizen.pk]), MeshPeer(ws, http, session.pk, keys[host.pk])]
            try:
                for member in members:
                    await member.start()
                await connected_to_the_recorder(*(member.recorder for member in members))
                await asyncio.sleep(1)
                guest_joined = time.time()
                _, newcomer = await add_clerk_to_call(
                    http_base=http,
                    ws_base=ws,
                    session_id=session.pk,
                    host_token=host_token,
                    console=console,
                    clerk_cookie=keys[guest.pk],
                    district_code=SHUSHAN,
                )
                members.append(newcomer)
                await connected_to_the_recorder(newcomer.recorder)
                await asyncio.sleep(2)
                # The clerk brought in leaves first: their file is complete and attached while the call goes on.
                await newcomer.hang_up()
                await asyncio.to_thread(in_own_connection, recordings_attached, session.pk, 1)
                await asyncio.sleep(1)
                await members[0].hang_up()
                await asyncio.sleep(0.5)
                return guest_joined
            finally:
                for member in members:
                    await member.close()
                await console.close()

        guest_joined = run_coroutine(scenario())
        recordings = recordings_attached(session.pk, 3)
    by_peer = {r.peer: r for r in recordings}
    assert {peer: (r.user_id, r.role) for peer, r in by_peer.items()} == {
        "citizen": (citizen.pk, "citizen"),
        f"clerk-{host.pk}": (host.pk, "clerk"),
        f"clerk-{guest.pk}": (guest.pk, "guest"),
    }
    # The clerk brought in is recorded from their join, not from the start of the call, until they left.
    assert by_peer[f"clerk-{guest.pk}"].started_at.timestamp() >= guest_joined
    assert by_peer["citizen"].started_at.timestamp() < guest_joined
    ended = CallSession.objects.get(pk=session.pk).ended_at
    assert by_peer[f"clerk-{guest.pk}"].ended_at < by_peer["citizen"].ended_at and ended is not None
    for recording in recordings:
        path = media_root / recording.file.name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recording.sha256
        assert frames_in(path) >= 10, recording.peer
    chained = CaseEvent.objects.filter(case=case, action="assist_call_recorded").values_list("data", flat=True)
    assert sorted((d["member"], d["sha256"]) for d in chained) == sorted((r.peer, r.sha256) for r in recordings)
