"""Recordings: their SHA-256 in the case's chain, playback for supervisors only (audited), the retention sweep."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cases.models import CaseEvent
from helpdesk import services
from helpdesk.models import AssistEvent, CallSession, ClerkProfile, Offer
from tests.factories import HUANGPU, make_citizen, make_clerk, make_user, submitted_case
from tests.helpdesk.test_api import api

pytestmark = pytest.mark.django_db

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"recorded call" * 100


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def a_recorded_call(*, case_ref: str = "", citizen=None):
    citizen = citizen or make_citizen(code=HUANGPU)
    clerk = make_clerk(HUANGPU, status=ClerkProfile.Status.AVAILABLE)
    request = services.assist_request_create(citizen=citizen, case_ref=case_ref)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)
    services.call_session_end(session=session, actor=clerk)
    path = default_storage.save(f"assist/recordings/call{session.pk}.mp4", ContentFile(VIDEO))
    services.call_recording_attach(session_id=session.pk, path=path)
    session.refresh_from_db()
    return session


def test_the_recordings_sha256_is_kept_and_written_into_the_linked_cases_chain(media):
    citizen = make_citizen(code=HUANGPU)
    case = submitted_case(applicant=citizen)
    session = a_recorded_call(case_ref=case.reference, citizen=citizen)
    digest = hashlib.sha256(VIDEO).hexdigest()
    assert session.recording_sha256 == digest
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event is not None
    assert (event.action, event.data) == ("assist_call_recorded", {"call": session.pk, "sha256": digest})
    assert AssistEvent.objects.get(session=session, kind="call.recorded").data["sha256"] == digest


def test_a_supervisor_plays_a_recording_back_and_the_playback_is_logged_an_outsider_gets_404(media):
    session = a_recorded_call()
    supervisor = make_user("supervisor")
    played = api(supervisor).get(f"/api/assist/sessions/{session.pk}/recording/")
    assert played.status_code == 200
    assert played["Content-Type"] == "video/mp4"
    assert b"".join(played.streaming_content) == VIDEO  # type: ignore[attr-defined] # a FileResponse
    assert AssistEvent.objects.filter(session=session, kind="call.recording_played", actor=supervisor).count() == 1
    for outsider in (make_clerk(HUANGPU), session.citizen, make_citizen()):
        assert api(outsider).get(f"/api/assist/sessions/{session.pk}/recording/").status_code == 404
    assert AssistEvent.objects.filter(session=session, kind="call.recording_played").count() == 1


def test_the_sweep_deletes_a_recording_past_its_retention_and_keeps_a_recent_one(
    media, settings, django_capture_on_commit_callbacks
):
    settings.ASSIST_RECORDING_RETENTION_DAYS = 30
    old, recent = a_recorded_call(), a_recorded_call()
    CallSession.objects.filter(pk=old.pk).update(ended_at=old.ended_at - dt.timedelta(days=31))
    old_file = media / old.recording.name

    assert old_file.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the file goes after the commit
        assert services.call_recordings_sweep() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.recording.name, old.recording_deleted_at is not None) == ("", True)
    assert old.recording_sha256  # the hash outlives the file
    assert not old_file.exists()
    assert (media / recent.recording.name).exists()
    deleted = AssistEvent.objects.get(session=old, kind="call.recording_deleted")
    assert deleted.data["sha256"] == old.recording_sha256
    supervisor = make_user("supervisor")
    assert api(supervisor).get(f"/api/assist/sessions/{old.pk}/recording/").status_code == 404


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


def test_the_admin_shows_the_stays_and_links_the_recording_only_through_the_audited_playback(media, client):
    session = a_recorded_call()
    admin_user = make_user("supervisor")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    page = client.get(f"/admin/helpdesk/callsession/{session.pk}/change/").content.decode()
    assert f"/api/assist/sessions/{session.pk}/recording/" in page
    assert session.recording.name not in page  # no plain media link past the playback log
    assert "通话结束" in page or "The call ended" in page  # the members' stays, with why each ended
