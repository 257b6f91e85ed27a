"""Recordings, a file per member of the call: each SHA-256 in the case's chain, playback for supervisors only
(each listed, each playback audited), 404 for anyone else, the retention sweep deletes every file (audited)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cases.models import CaseEvent
from govservice.errors import NotFound
from helpdesk import services
from helpdesk.models import AssistEvent, CallRecording, CallSession, ClerkProfile, Offer
from tests.factories import HUANGPU, SHUSHAN, T0, make_citizen, make_clerk, make_item, make_user, submitted_case
from tests.helpdesk.test_api import api

pytestmark = pytest.mark.django_db


def video_of(peer: str) -> bytes:
    return b"\x00\x00\x00\x18ftypmp42" + f"media of {peer}".encode() * 100


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def a_three_way_call(*, citizen=None):
    """A 黄浦 caller, the 黄浦 clerk holding the call and a 蜀山 clerk brought in (the item's approving district)."""
    citizen = citizen or make_citizen(code=HUANGPU)
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    host = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    guest = make_clerk(SHUSHAN, status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    request = services.assist_request_create(citizen=citizen, item_version=version)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=host)
    invite = services.call_invite_create(session=session, clerk=host)
    services.call_invite_accept(invite_id=invite.pk, clerk=guest)
    return session, guest


def a_recorded_call(*, case_ref: str = "", citizen=None):
    """A three-way call that ended, with the recorder's file of each member attached."""
    session, guest = a_three_way_call(citizen=citizen)
    if case_ref:
        CallSession.objects.filter(pk=session.pk).update(case_ref=case_ref)
    services.call_session_end(session=session, actor=session.clerk)
    for peer in ("citizen", f"clerk-{session.clerk_id}", f"clerk-{guest.pk}"):
        path = default_storage.save(f"assist/recordings/call{session.pk}/{peer}.mp4", ContentFile(video_of(peer)))
        services.call_recording_attach(
            session_id=session.pk, peer=peer, path=path, started_at=session.started_at, ended_at=session.ended_at
        )
    session.refresh_from_db()
    return session, guest


def test_each_members_recording_is_kept_with_its_sha256_and_every_hash_goes_into_the_linked_cases_chain(media):
    citizen = make_citizen(code=HUANGPU)
    case = submitted_case(applicant=citizen)
    session, guest = a_recorded_call(case_ref=case.reference, citizen=citizen)
    host_peer, guest_peer = f"clerk-{session.clerk_id}", f"clerk-{guest.pk}"

    kept = {r.peer: (r.user_id, r.role, r.sha256) for r in session.recordings.all()}
    assert kept == {
        "citizen": (citizen.pk, "citizen", hashlib.sha256(video_of("citizen")).hexdigest()),
        host_peer: (session.clerk_id, "clerk", hashlib.sha256(video_of(host_peer)).hexdigest()),
        # The guest is a guest in the record, though they left when the call ended.
        guest_peer: (guest.pk, "guest", hashlib.sha256(video_of(guest_peer)).hexdigest()),
    }
    chained = [e.data for e in CaseEvent.objects.filter(case=case, action="assist_call_recorded").order_by("seq")]
    assert chained == [{"call": session.pk, "member": peer, "sha256": kept[peer][2]} for peer in kept]
    audited = AssistEvent.objects.filter(session=session, kind="call.recorded")
    assert sorted((e.data["member"], e.data["sha256"]) for e in audited) == sorted(
        (peer, sha) for peer, (_, _, sha) in kept.items()
    )


def test_a_file_of_someone_who_was_never_in_the_call_is_refused(media):
    session, _ = a_three_way_call()
    outsider = make_clerk(HUANGPU)
    path = default_storage.save("assist/recordings/x.mp4", ContentFile(video_of("x")))
    for peer in (f"clerk-{outsider.pk}", "clerk-x", "recorder"):
        with pytest.raises(NotFound):
            services.call_recording_attach(
                session_id=session.pk, peer=peer, path=path, started_at=session.started_at, ended_at=T0
            )
    assert not CallRecording.objects.exists()


def test_a_supervisor_lists_and_plays_each_members_recording_every_playback_logged_and_outsiders_get_404(media, client):
    session, guest = a_recorded_call()
    supervisor = make_user("supervisor")
    listed = api(supervisor).get(f"/api/assist/sessions/{session.pk}/recordings/")
    assert listed.status_code == 200
    rows = listed.json()
    assert [(row["member"], row["role"]) for row in rows] == [
        ("citizen", "citizen"),
        (f"clerk-{session.clerk_id}", "clerk"),
        (f"clerk-{guest.pk}", "guest"),
    ]
    assert not AssistEvent.objects.filter(kind="call.recording_played").exists()  # listing plays nothing
    for row in rows:
        played = api(supervisor).get(row["url"])
        assert played.status_code == 200
        assert played["Content-Type"] == "video/mp4"
        assert b"".join(played.streaming_content) == video_of(row["member"])  # type: ignore[attr-defined]
    logged = AssistEvent.objects.filter(session=session, kind="call.recording_played", actor=supervisor)
    assert sorted(e.data["member"] for e in logged) == sorted(row["member"] for row in rows)

    # The page: a player per member, none of which fetches before it is played; no plain media link.
    client.force_login(supervisor)
    page = client.get(f"/assist/calls/{session.pk}/recordings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('preload="none"') == 3
    for row in rows:
        assert f'src="{row["url"]}"' in html and row["sha256"] in html
    assert f"call{session.pk}/citizen.mp4" not in html
    assert api(supervisor).get(f"/api/assist/sessions/{session.pk}/").json()["recording_url"] == (
        f"/assist/calls/{session.pk}/recordings/"
    )
    listed_calls = api(supervisor).get("/api/assist/sessions/").json()["results"]
    assert [row["recording_url"] for row in listed_calls if row["id"] == session.pk] == [
        f"/assist/calls/{session.pk}/recordings/"
    ]

    for outsider in (session.clerk, guest, session.citizen, make_citizen(), make_clerk(HUANGPU)):
        assert api(outsider).get(f"/api/assist/sessions/{session.pk}/recordings/").status_code == 404
        assert all(api(outsider).get(row["url"]).status_code == 404 for row in rows)
        client.force_login(outsider)
        assert client.get(f"/assist/calls/{session.pk}/recordings/").status_code == 404
    assert api(session.clerk).get(f"/api/assist/sessions/{session.pk}/").json()["recording_url"] is None
    assert AssistEvent.objects.filter(kind="call.recording_played").count() == 3


def test_the_sweep_deletes_every_members_recording_past_its_retention_and_keeps_a_recent_call(
    media, settings, django_capture_on_commit_callbacks
):
    settings.ASSIST_RECORDING_RETENTION_DAYS = 30
    (old, _), (recent, _) = a_recorded_call(), a_recorded_call()
    CallSession.objects.filter(pk=old.pk).update(ended_at=old.ended_at - dt.timedelta(days=31))
    old_files = [media / r.file.name for r in old.recordings.all()]
    assert len(old_files) == 3 and all(f.exists() for f in old_files)

    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        assert services.call_recordings_sweep() == 3

    assert not any(f.exists() for f in old_files)
    for recording in old.recordings.all():
        assert (recording.file.name, recording.deleted_at is not None) == ("", True)
        assert recording.sha256  # the hash outlives the file
        deleted = AssistEvent.objects.get(session=old, kind="call.recording_deleted", data__recording=recording.pk)
        assert (deleted.data["member"], deleted.data["sha256"]) == (recording.peer, recording.sha256)
    assert all((media / r.file.name).exists() for r in recent.recordings.all())
    assert services.call_recordings_sweep() == 0  # nothing left to delete
    supervisor = make_user("supervisor")
    assert api(supervisor).get(f"/api/assist/sessions/{old.pk}/recordings/").status_code == 404
    assert api(supervisor).get(f"/api/assist/recordings/{old.recordings.first().pk}/").status_code == 404


def a_recorded_call_in_progress():
    citizen = make_citizen(code=HUANGPU)
    clerk = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    session.refresh_from_db()
    return session


def test_the_caller_answers_the_recording_notice_once_and_a_refusal_stands_only_where_policy_allows(settings):
    from govservice.errors import Conflict, NotAllowed

    session = a_recorded_call_in_progress()
    with pytest.raises(Conflict) as refused:
        services.call_recording_consent(session=session, citizen=session.citizen, agree=False)
    assert refused.value.code == "recording_required"
    with pytest.raises(NotAllowed):
        services.call_recording_consent(session=session, citizen=session.clerk, agree=True)
    assert services.call_recording_consent(session=session, citizen=session.citizen, agree=True) == "given"
    # A second answer (another tab) does not change the first.
    settings.ASSIST_RECORDING_REFUSABLE = True
    assert services.call_recording_consent(session=session, citizen=session.citizen, agree=False) == "given"
    assert AssistEvent.objects.filter(session=session, kind="call.recording_consent").count() == 1

    other = a_recorded_call_in_progress()
    assert services.call_recording_consent(session=other, citizen=other.citizen, agree=False) == "refused"
    assert AssistEvent.objects.get(session=other, kind="call.recording_consent").data == {"answer": "refused"}


def test_the_admin_shows_the_stays_and_the_recordings_and_links_them_only_through_the_audited_page(media, client):
    session, _ = a_recorded_call()
    admin_user = make_user("supervisor")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    page = client.get(f"/admin/helpdesk/callsession/{session.pk}/change/").content.decode()
    assert f"/assist/calls/{session.pk}/recordings/" in page
    for recording in session.recordings.all():
        assert recording.sha256 in page
        assert recording.file.name not in page  # no plain media link past the playback log
    assert "通话结束" in page or "The call ended" in page  # the members' stays, with why each ended


def test_a_members_file_has_their_video_though_their_audio_came_first(tmp_path):
    """A browser's first audio frame usually arrives before its first video frame: the member's file still has
    the video (aiortc's MediaRecorder opened H.264 at 0×0 on the first audio packet: a file without video)."""
    import asyncio

    import av
    from aiortc.mediastreams import AudioStreamTrack

    from helpdesk.peers import ColourBarsTrack, MemberFile, run_coroutine

    class LateCamera(ColourBarsTrack):
        async def recv(self):
            if self._count == 0:
                await asyncio.sleep(0.6)  # the camera's first frame comes after half a second of sound
            return await super().recv()

    path = tmp_path / "member.mp4"

    async def record():
        recording = MemberFile(str(path))
        recording.add(AudioStreamTrack())
        recording.add(LateCamera())
        await recording.start()
        await asyncio.sleep(2)
        await recording.stop()

    run_coroutine(record())
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["audio", "video"]
        assert (container.streams.video[0].width, container.streams.video[0].height) == (320, 240)
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 10


def test_a_members_file_keeps_every_frame_of_a_camera_faster_than_30_fps(tmp_path):
    """A browser's camera delivers frames less than 1/30 s apart at times: none may be refused by the muxer."""
    import asyncio

    import av

    from helpdesk.peers import ColourBarsTrack, MemberFile, run_coroutine

    path = tmp_path / "member.mp4"
    camera = ColourBarsTrack(fps=60)

    async def record():
        recording = MemberFile(str(path))
        recording.add(camera)
        await recording.start()
        await asyncio.sleep(1.5)
        await recording.stop()

    run_coroutine(record())
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= camera._count - 2  # all sent but the one or two still in flight at the stop
