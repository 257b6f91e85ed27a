"""The console's waiting list and picking a request from it, by the router's rules, with a controllable clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from govservice import events
from helpdesk import selectors, services, tasks
from helpdesk.models import AssistEvent, AssistRequest, CallSession, ClerkProfile, Offer
from helpdesk.realtime import clerk_group
from tests.factories import T0, make_citizen, make_clerk, make_item_version

pytestmark = pytest.mark.django_db

AVAILABLE = ClerkProfile.Status.AVAILABLE
AWAY = ClerkProfile.Status.AWAY


def ago(seconds: float) -> dt.datetime:
    return T0 - dt.timedelta(seconds=seconds)


def waiting_request(citizen, clock, **kwargs) -> AssistRequest:
    """A request that rings nobody (no clerk is available when it is made)."""
    return services.assist_request_create(citizen=citizen, now=clock(), **kwargs)


def test_the_list_shows_the_requests_of_the_clerks_queues_with_district_item_priority_and_a_masked_caller(clock):
    clerk = make_clerk("310101", status=AWAY, idle_since=ago(10))
    version = make_item_version(name="住房公积金转移接续")
    citizen = make_citizen(code="310101", name="王小明")
    request = waiting_request(citizen, clock, item_version=version)
    rows = selectors.waiting_for_clerk(clerk=clerk, now=clock())
    assert [row["request"] for row in rows] == [request.pk]
    row = rows[0]
    assert row["citizen"].startswith("王") and "小明" not in row["citizen"] and "*" in row["citizen"]
    assert row["district"] == str(request.district) and "黄浦" in row["district"]
    assert row["item"] == "住房公积金转移接续"
    assert row["scope"] == "district" and row["opens_at"] == 0 and row["pickable"] is True
    assert row["earlier_calls"] == 0 and row["last_call_at"] is None
    assert row["state"] == "waiting" and row["waited_seconds"] == 0


def test_a_clerk_of_another_city_sees_the_request_but_may_pick_it_only_when_the_alliance_stage_opens(clock):
    make_clerk("310101", status=AWAY, idle_since=ago(10))  # the caller's district has a clerk signed in
    far = make_clerk("320508", status=AWAY, idle_since=ago(10))
    request = waiting_request(make_citizen(code="310101"), clock)
    row = selectors.waiting_for_clerk(clerk=far, now=clock())[0]
    assert row["scope"] == "alliance" and row["opens_at"] == 80 and row["pickable"] is False
    with pytest.raises(services.AssistError) as refused:
        services.assist_request_pick(clerk=far, request_id=request.pk, now=clock())
    assert refused.value.code == "not_open_to_you_yet"
    clock.advance(80)
    assert selectors.waiting_for_clerk(clerk=far, now=clock())[0]["pickable"] is True
    session = services.assist_request_pick(clerk=far, request_id=request.pk, now=clock())
    assert session.clerk == far


def test_a_request_outside_the_clerks_skills_is_not_listed_and_cannot_be_picked(clock):
    mandarin_only = make_clerk("310101", status=AWAY, idle_since=ago(10), languages=["zh"])
    request = waiting_request(make_citizen(code="310101"), clock, language="csl")
    assert selectors.waiting_for_clerk(clerk=mandarin_only, now=clock()) == []
    with pytest.raises(services.AssistError) as refused:
        services.assist_request_pick(clerk=mandarin_only, request_id=request.pk, now=clock())
    assert refused.value.code == "not_in_your_queues"


def test_picking_starts_the_call_like_an_answered_ring(clock):
    clerk = make_clerk("310101", status=AWAY, idle_since=ago(10))
    citizen = make_citizen(code="310101")
    request = waiting_request(citizen, clock)
    clock.advance(12)
    session = services.assist_request_pick(clerk=clerk, request_id=request.pk, now=clock())
    assert session.citizen == citizen and session.clerk == clerk and session.wait_seconds == 12
    assert AssistRequest.objects.get(pk=request.pk).state == AssistRequest.State.CONNECTED
    assert ClerkProfile.objects.get(clerk=clerk).status == ClerkProfile.Status.IN_CALL
    offer = Offer.objects.get(request=request)
    assert (offer.stage, offer.outcome, offer.clerk) == ("picked", Offer.Outcome.ACCEPTED, clerk)
    started = AssistEvent.objects.get(kind=AssistEvent.Kind.CALL_STARTED, session=session)
    assert started.data == {"picked": True, "stage": "district"} and started.actor == clerk
    assert sorted(session.members.values_list("role", flat=True)) == ["citizen", "clerk"]
    # Off the list for everyone.
    assert selectors.waiting_for_clerk(clerk=make_clerk("310101", status=AWAY), now=clock()) == []


def test_the_second_picker_is_told_another_clerk_took_it_and_stays_as_they_were(clock):
    first = make_clerk("310101", status=AWAY, idle_since=ago(10))
    second = make_clerk("310101", status=AWAY, idle_since=ago(20))
    request = waiting_request(make_citizen(code="310101"), clock)
    services.assist_request_pick(clerk=first, request_id=request.pk, now=clock())
    with pytest.raises(services.AssistError) as refused:
        services.assist_request_pick(clerk=second, request_id=request.pk, now=clock())
    assert refused.value.code == "already_taken"
    assert str(refused.value)
    assert ClerkProfile.objects.get(clerk=second).status == AWAY
    assert CallSession.objects.count() == 1


def test_a_request_ringing_a_clerk_is_theirs_and_a_ringing_or_busy_clerk_cannot_pick(clock):
    ringing_clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(10))
    other = make_clerk("310101", status=AWAY, idle_since=ago(5))
    ringing_request = waiting_request(make_citizen(code="310101"), clock)
    assert Offer.objects.get(request=ringing_request).clerk == ringing_clerk
    with pytest.raises(services.AssistError) as refused:
        services.assist_request_pick(clerk=other, request_id=ringing_request.pk, now=clock())
    assert refused.value.code == "ringing_elsewhere"
    # The ringing clerk answers their ring, not another request from the list.
    second = waiting_request(make_citizen(code="310101"), clock)
    with pytest.raises(services.AssistError) as busy:
        services.assist_request_pick(clerk=ringing_clerk, request_id=second.pk, now=clock())
    assert busy.value.code == "clerk_busy"
    assert AssistRequest.objects.get(pk=second.pk).state == AssistRequest.State.WAITING  # rolled back


def test_the_caller_history_shows_on_the_list_and_on_the_ring(clock):
    clerk = make_clerk("310101", status=AWAY, idle_since=ago(10))
    citizen = make_citizen(code="310101")
    first = waiting_request(citizen, clock)
    session = services.assist_request_pick(clerk=clerk, request_id=first.pk, now=clock())
    clock.advance(60)
    services.call_session_end(session=session, actor=clerk, now=clock())
    ClerkProfile.objects.filter(clerk=clerk).update(status=AWAY)
    clock.advance(3600)
    second = waiting_request(citizen, clock)
    row = selectors.waiting_for_clerk(clerk=clerk, now=clock())[0]
    assert row["request"] == second.pk and row["earlier_calls"] == 1
    assert row["last_call_at"] == session.started_at.isoformat()
    second.refresh_from_db()
    context = services.request_context(AssistRequest.objects.select_related("citizen", "district").get(pk=second.pk))
    assert context["earlier_calls"] == 1
    # The ring goes to a console in either language: the district's name comes in both.
    assert (context["district"], context["district_en"]) == ("上海黄浦区", "Huangpu, Shanghai")


def test_the_queue_fan_out_pushes_every_open_console_its_own_list(clock, monkeypatch):
    from django.utils import timezone

    here = make_clerk("310101", status=AWAY, idle_since=ago(10))
    sign_only = make_clerk("310101", status=AWAY, idle_since=ago(10), languages=["csl"])
    closed = make_clerk("310101", status=AWAY, idle_since=ago(10))
    ClerkProfile.objects.filter(clerk__in=[here, sign_only]).update(last_heartbeat=timezone.now())
    ClerkProfile.objects.filter(clerk=closed).update(last_heartbeat=timezone.now() - dt.timedelta(hours=1))
    request = waiting_request(make_citizen(code="310101"), clock)
    sent: list = []
    monkeypatch.setattr(events, "dispatch", lambda messages, handler: sent.extend(messages))
    tasks.assist_queue_broadcast()
    to_consoles = {group: payload for group, payload in sent if payload["type"] == "waiting"}
    assert set(to_consoles) == {clerk_group(here.pk), clerk_group(sign_only.pk)}
    assert [row["request"] for row in to_consoles[clerk_group(here.pk)]["rows"]] == [request.pk]
    assert to_consoles[clerk_group(sign_only.pk)]["rows"] == []


def test_the_api_lists_and_picks_for_clerks_only(clock):
    clerk = make_clerk("310101", status=AWAY, idle_since=ago(10))
    citizen = make_citizen(code="310101")
    request = waiting_request(citizen, clock)
    client = Client()
    client.force_login(citizen)
    assert client.get("/api/assist/waiting/").status_code == 403
    client.force_login(clerk)
    rows = client.get("/api/assist/waiting/").json()
    assert [row["request"] for row in rows] == [request.pk]
    picked = client.post(f"/api/assist/waiting/{request.pk}/pick/")
    assert picked.status_code == 201
    assert picked.json()["session"] == CallSession.objects.get(request=request).pk
    other = make_clerk("310101", status=AWAY)
    client.force_login(other)
    again = client.post(f"/api/assist/waiting/{request.pk}/pick/")
    assert again.status_code == 409 and again.json()["code"] == "already_taken"


def test_the_calls_internal_notes_are_for_clerks_never_for_the_caller(clock):
    clerk = make_clerk("310101", status=AWAY, idle_since=ago(10))
    citizen = make_citizen(code="310101")
    request = waiting_request(citizen, clock)
    session = services.assist_request_pick(clerk=clerk, request_id=request.pk, now=clock())
    services.call_notes_save(session=session, clerk=clerk, notes="来电人情绪较急，需回访")
    client = Client()
    client.force_login(citizen)
    assert client.get(f"/api/assist/sessions/{session.pk}/").json()["notes"] is None
    assert [row["notes"] for row in client.get("/api/assist/sessions/").json()["results"]] == [None]
    assert client.get(f"/api/assist/sessions/{session.pk}/side-panel/").status_code == 403
    client.force_login(clerk)
    assert client.get(f"/api/assist/sessions/{session.pk}/").json()["notes"] == "来电人情绪较急，需回访"
    panel = client.get(f"/api/assist/sessions/{session.pk}/side-panel/").json()
    assert panel["notes"] == "来电人情绪较急，需回访"
    assert panel["caller"] == {"district": str(request.district), "earlier_calls": 0, "last_call_at": None}
