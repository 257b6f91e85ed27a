"""The helpdesk API and pages: one click with context, TURN credentials, snapshots, figures, access."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.identifiers import id_number_check_digit
from accounts.models import User
from helpdesk import services
from helpdesk.models import AssistRequest, Callback, CallSession, ClerkProfile, Offer, PriorityReason
from tests.factories import T0, make_citizen, make_clerk, make_item_version

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def png_bytes() -> bytes:
    """A real 2×2 grey PNG, built by hand."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_one_click_on_an_item_page_joins_the_queue_with_the_items_context(client):
    version = make_item_version(sector="hr_social", name="养老保险关系转移接续")
    citizen = make_citizen(code="320508")
    client.force_login(citizen)
    response = client.post("/assist/start/", {"item_version": version.pk})
    request = AssistRequest.objects.get(citizen=citizen)
    assert response.status_code == 302 and response["Location"] == f"/assist/r/{request.pk}/"
    assert request.district is not None
    assert (request.item_id, request.sector, request.district.division_code) == (version.item_id, "hr_social", "320508")
    page = client.get(response["Location"])
    assert "养老保险关系转移接续" in page.content.decode()
    assert "预计等待（估算）" in page.content.decode()


def test_an_elderly_citizen_gets_priority_from_the_id_number_without_asking(client):
    stem = "31010119450307123"
    citizen = make_citizen()
    citizen.id_number = stem + id_number_check_digit(stem)
    citizen.save()
    client.force_login(citizen)
    client.post("/assist/start/", {})
    request = AssistRequest.objects.get(citizen=citizen)
    assert (request.priority_reason, request.priority) == (PriorityReason.ELDERLY, 2)


def test_the_one_click_buttons_render_on_the_home_page_and_the_nav():
    from django.test import Client

    client = Client()
    client.force_login(make_citizen())
    html = client.get("/").content.decode()
    assert 'action="/assist/start/"' in html and "一键呼应" in html


def test_a_clerk_cannot_queue_and_a_citizen_cannot_open_the_console():
    clerk = make_clerk()
    assert api(clerk).post("/api/assist/requests/", {}, format="json").status_code == 403
    from django.test import Client

    client = Client()
    client.force_login(make_citizen())
    assert client.get("/assist/console/").status_code == 403


@override_settings(ASSIST_QUEUE_LIMIT=1)
def test_a_full_queue_says_so():
    api(make_citizen()).post("/api/assist/requests/", {}, format="json")
    response = api(make_citizen()).post("/api/assist/requests/", {}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "queue_full"
    assert "排队已满" in response.json()["detail"]


def test_someone_elses_request_is_invisible():
    request = services.assist_request_create(citizen=make_citizen())
    outsider = api(make_citizen())
    assert outsider.get(f"/api/assist/requests/{request.pk}/").status_code == 404
    assert outsider.post(f"/api/assist/requests/{request.pk}/cancel/").status_code == 404
    assert api(request.citizen).get(f"/api/assist/requests/{request.pk}/queue/").json()["estimate_is_estimate"] is True


@override_settings(
    STUN_URLS=["stun:stun.c9.example:3478"],
    TURN_URLS=["turn:turn.c9.example:3478?transport=udp"],
    TURN_SECRET="s3cret-shared-with-coturn",
    TURN_CREDENTIAL_TTL=600,
)
def test_turn_credentials_are_short_lived_and_never_the_secret():
    citizen = make_citizen()
    body = api(citizen).get("/api/assist/ice-servers/").json()
    stun, turn = body["ice_servers"]
    assert stun == {"urls": ["stun:stun.c9.example:3478"]}
    expires, user_id = turn["username"].split(":")
    assert int(user_id) == citizen.pk
    assert 590 <= int(expires) - time.time() <= 600
    expected = base64.b64encode(
        hmac.new(b"s3cret-shared-with-coturn", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    assert "s3cret" not in str(body)


def _session(clerk_code="310101"):
    clerk = make_clerk(clerk_code, status=ClerkProfile.Status.AVAILABLE, idle_since=T0)
    request = services.assist_request_create(citizen=make_citizen(code=clerk_code))
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    return services.assist_offer_accept(offer_id=offer.pk, clerk=clerk)


def test_a_snapshot_is_checked_by_content_and_shown_only_to_those_who_may_see_the_call(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    session = _session()
    clerk = api(session.clerk)
    fake = SimpleUploadedFile("id-card.jpg", b"MZ\x90\x00 not an image at all", content_type="image/jpeg")
    refused = clerk.post(f"/api/assist/sessions/{session.pk}/snapshots/", {"image": fake}, format="multipart")
    assert refused.status_code == 409 and refused.json()["code"] == "bad_file"
    real = SimpleUploadedFile("x.bin", png_bytes(), content_type="application/octet-stream")
    saved = clerk.post(f"/api/assist/sessions/{session.pk}/snapshots/", {"image": real}, format="multipart")
    assert saved.status_code == 201
    url = saved.json()["url"]
    assert clerk.get(url).status_code == 200
    assert api(make_citizen()).get(url).status_code == 403
    assert api(make_clerk("320508")).get(url).status_code == 403
    # The citizen cannot take snapshots of the clerk.
    citizen_try = api(session.citizen).post(
        f"/api/assist/sessions/{session.pk}/snapshots/",
        {"image": SimpleUploadedFile("y.png", png_bytes())},
        format="multipart",
    )
    assert citizen_try.status_code == 403


def test_wrap_up_and_rating_through_the_api_make_the_session_record():
    from cases.services import case_draft_create
    from tests.factories import make_item

    session = _session()
    case = case_draft_create(applicant=session.citizen, item_version=make_item(), actor=session.citizen)
    response = api(session.clerk).post(
        f"/api/assist/sessions/{session.pk}/wrap-up/",
        {"notes": "指导补正材料", "outcome": "follow_up", "case": case.reference},
        format="json",
    )
    assert response.status_code == 200
    assert (
        api(session.citizen)
        .post(f"/api/assist/sessions/{session.pk}/wrap-up/", {"notes": "x", "outcome": "resolved"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(session.citizen)
        .post(f"/api/assist/sessions/{session.pk}/rating/", {"rating": 4}, format="json")
        .status_code
        == 200
    )
    record = api(session.citizen).get(f"/api/assist/sessions/{session.pk}/").json()
    summary = (record["notes"], record["outcome"], record["case_ref"], record["rating"])
    # The notes are the clerks' (internal): the caller's copy of the record has none.
    assert summary == (None, "follow_up", case.reference, 4)
    assert api(session.clerk).get(f"/api/assist/sessions/{session.pk}/").json()["notes"] == "指导补正材料"
    assert record["talk_seconds"] is not None and record["wait_seconds"] is not None
    assert api(make_citizen()).get(f"/api/assist/sessions/{session.pk}/").status_code == 404


def test_figures_live_and_over_a_period_per_district_and_alliance_wide():
    now = dt.datetime.now(dt.UTC)
    huangpu_clerk = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=now)
    make_clerk("320508", status=ClerkProfile.Status.AVAILABLE, idle_since=now)
    # A quick answer in Huangpu, a timed-out ring, an abandoned request in Gusu.
    quick = services.assist_request_create(citizen=make_citizen(code="310101"), now=now - dt.timedelta(seconds=300))
    offer = Offer.objects.get(request=quick, outcome=Offer.Outcome.RINGING)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=offer.clerk, now=now - dt.timedelta(seconds=292))
    services.call_session_end(session=session, actor=offer.clerk, now=now - dt.timedelta(seconds=172))
    ClerkProfile.objects.filter(clerk=offer.clerk).update(status=ClerkProfile.Status.AWAY)
    gone = services.assist_request_create(citizen=make_citizen(code="320508"), now=now - dt.timedelta(seconds=200))
    services.assist_request_returned(request_id=gone.pk)  # the queue page is open while it rings
    services.assist_offers_expire(now=now - dt.timedelta(seconds=150))
    services.assist_request_cancel(
        request=gone, actor=gone.citizen, abandoned=True, now=now - dt.timedelta(seconds=100)
    )
    make_clerk("310101", status=ClerkProfile.Status.AWAY)
    services.assist_request_create(citizen=make_citizen(code="310101"), now=now - dt.timedelta(seconds=42))

    make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=now)  # signed in after the calls
    CallSession.objects.filter(pk=session.pk).update(rating=4)
    Callback.objects.create(request=gone, created_at=now)  # the Gusu caller asked to be called back

    supervisor = User.objects.create_user(username="sup", role=User.Role.SUPERVISOR)
    live = api(supervisor).get("/api/assist/figures/live/").json()
    assert live["waiting_now"] == 1
    assert 41 <= live["longest_wait_seconds"] <= 60
    assert live["available_clerks_by_district"]["320508"] == 0  # the Gusu clerk timed out and is away
    assert live["clerks_by_status"] == {"away": 3, "available": 1}
    assert live["available_clerks_by_district"]["310101"] == 1
    assert (live["open_callbacks"], live["open_callbacks_by_district"]["320508"]) == (1, 1)

    period = api(supervisor).get("/api/assist/figures/period/").json()
    assert (period["requests"], period["answered"], period["answered_within_20s"]) == (3, 1, 1)
    assert period["average_wait_seconds"] == 8.0 and period["average_handling_seconds"] == 120.0
    assert (period["abandoned"], period["offers_timed_out"]) == (1, 1)
    assert (period["offers_declined"], period["average_rating"]) == (0, 4.0)

    clerk_view = api(huangpu_clerk).get("/api/assist/figures/period/").json()
    assert (clerk_view["district"], clerk_view["requests"], clerk_view["abandoned"]) == ("310101", 2, 0)
    assert api(huangpu_clerk).get("/api/assist/figures/live/?district=320508").status_code == 403
    assert api(make_citizen()).get("/api/assist/figures/live/").status_code == 403
    assert CallSession.objects.count() == 1


def test_a_refusal_has_the_one_error_shape():
    session = _session()
    session = services.call_session_end(session=session, actor=session.citizen)
    rate = api(session.citizen).post(f"/api/assist/sessions/{session.pk}/rating/", {"rating": 5}, format="json")
    again = api(session.citizen).post(f"/api/assist/sessions/{session.pk}/rating/", {"rating": 4}, format="json")
    assert rate.status_code == 200
    assert again.status_code == 409
    assert again.json() == {"code": "cannot_rate", "detail": again.json()["detail"], "fields": {}}
    assert again.json()["detail"]


def test_the_case_page_calls_about_the_case_by_its_reference(client):
    from cases.services import case_draft_create
    from tests.factories import make_item

    citizen = make_citizen(code="310101")
    case = case_draft_create(applicant=citizen, item_version=make_item(), actor=citizen)
    client.force_login(citizen)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'name="case" value="{case.reference}"' in page
    response = client.post("/assist/start/", {"case": case.reference, "item_version": case.item_version_id})
    request = AssistRequest.objects.get(citizen=citizen)
    assert request.case_ref == case.reference
    assert case.reference in client.get(response["Location"]).content.decode()
    assert api(citizen).get(f"/api/assist/requests/{request.pk}/").json()["case_ref"] == case.reference
