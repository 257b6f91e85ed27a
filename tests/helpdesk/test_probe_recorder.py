"""The operator's tools against the running system: the probe places a call, the recorder records one."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from govservice import stack
from helpdesk import services
from helpdesk.models import CallSession, ClerkProfile, Offer
from helpdesk.peers import CallPeer, run_coroutine
from tests.factories import make_citizen, make_clerk

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


def test_the_recorder_joins_a_call_that_policy_records_and_files_the_media(live_stack, tmp_path):
    citizen = make_citizen(code="320106")
    clerk = make_clerk("320106", status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    media_root = Path(live_stack.env["VAR_DIR"]) / "media"
    env = {**live_stack.env, "MEDIA_ROOT": str(media_root)}
    recorder = subprocess.Popen(
        [sys.executable, "manage.py", "assist_recorder", "--server", live_stack.http_url, "--scan-interval", "0.3"],
        cwd=stack.BASE_DIR,
        env=env,
        start_new_session=True,
    )
    citizen_cookie, clerk_cookie = cookie_for(citizen), cookie_for(clerk)
    try:

        async def call():
            clerk_peer = CallPeer(live_stack.ws_url, live_stack.http_url, session.pk, session_cookie=clerk_cookie)
            citizen_peer = CallPeer(live_stack.ws_url, live_stack.http_url, session.pk, session_cookie=citizen_cookie)
            await clerk_peer.start()
            await citizen_peer.start()
            await clerk_peer.wait_for_frames(10, timeout=30)
            # Give the recorder time to join (it scans every 0.3 s) and receive a few seconds of video.
            deadline = time.monotonic() + 30
            while citizen_peer.recorder_pc is None or citizen_peer.recorder_pc.connectionState != "connected":
                assert time.monotonic() < deadline, "the recorder never connected"
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)
            await citizen_peer.hang_up()
            await asyncio.sleep(0.5)
            await citizen_peer.close()
            await clerk_peer.close()
            return clerk_peer.frames_received

        assert run_coroutine(call()) >= 10
        deadline = time.monotonic() + 30
        while not CallSession.objects.get(pk=session.pk).recording:
            assert time.monotonic() < deadline, "the recording was never attached"
            time.sleep(0.3)
    finally:
        recorder.terminate()
        recorder.wait(15)
    recorded = CallSession.objects.get(pk=session.pk)
    path = media_root / recorded.recording.name
    assert path.stat().st_size > 1000

    import av

    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 10
