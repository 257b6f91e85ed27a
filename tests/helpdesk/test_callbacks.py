"""The clerks' callback list: who sees what, claiming (one winner), outcomes and attempts, the audit, the figures."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from helpdesk import services
from helpdesk.models import AssistEvent, AssistRequest, Callback, ClerkProfile, Language
from helpdesk.realtime import clerk_group
from tests.factories import T0, make_citizen, make_clerk, make_elderly_citizen

pytestmark = pytest.mark.django_db

AVAILABLE = ClerkProfile.Status.AVAILABLE


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask_callback(
    code: str = "310101",
    *,
    minutes_ago: float = 0,
    phone: str = "13912345678",
    language: str = Language.MANDARIN,
    priority_reason: str = "none",
) -> Callback:
    """A citizen of `code` who waited, then asked to be called back `minutes_ago`."""
    at = T0 - dt.timedelta(minutes=minutes_ago)
    citizen = make_elderly_citizen(code=code) if priority_reason == "elderly" else make_citizen(code=code)
    citizen.phone = phone  # the number called back is the account's
    citizen.save(update_fields=["phone"])
    request = services.assist_request_create(
        citizen=citizen, now=at, route=False, language=language, priority_reason=priority_reason
    )
    services.assist_request_callback(request=request, actor=citizen, phone=phone, now=at)
    return Callback.objects.get(request=request)


def listed(clerk) -> list[dict]:
    response = api(clerk).get("/api/assist/callbacks/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_callback_request_joins_the_list_open_with_no_attempt():
    callback = ask_callback()
    assert callback.status == Callback.Status.OPEN and callback.attempts == 0
    assert callback.request.state == AssistRequest.State.CALLBACK
    assert callback.request.callback_phone == "13912345678"


def test_it_lists_the_clerks_district_first_then_the_same_city_then_the_alliance_oldest_first():
    huangpu_old = ask_callback("310101", minutes_ago=50)
    shushan = ask_callback("340104", minutes_ago=20)  # Hefei, like the clerk's Luyang
    luyang_new = ask_callback("340103", minutes_ago=5)
    gusu_older = ask_callback("320508", minutes_ago=60)
    luyang_old = ask_callback("340103", minutes_ago=30)
    rows = listed(make_clerk("340103"))
    assert [row["id"] for row in rows] == [luyang_old.pk, luyang_new.pk, shushan.pk, gusu_older.pk, huangpu_old.pk]
    assert [row["scope"] for row in rows] == ["district", "district", "city", "alliance", "alliance"]


def test_priority_callers_come_first_within_a_district():
    plain = ask_callback("310101", minutes_ago=30)
    elderly = ask_callback("310101", minutes_ago=1, priority_reason="elderly")
    assert [row["id"] for row in listed(make_clerk("310101"))] == [elderly.pk, plain.pk]


def test_a_callback_that_was_not_answered_goes_behind_the_untried_ones_of_its_district():
    tried = ask_callback("310101", minutes_ago=30, priority_reason="elderly")
    untried = ask_callback("310101", minutes_ago=5)
    clerk = make_clerk("310101")
    services.callback_claim(callback_id=tried.pk, clerk=clerk)
    services.callback_done(callback_id=tried.pk, clerk=clerk, outcome="no_answer")
    assert [row["id"] for row in listed(clerk)] == [untried.pk, tried.pk]


def test_a_clerk_sees_only_the_callbacks_they_have_the_skill_for():
    english = ask_callback("310101", language=Language.ENGLISH)
    mandarin = ask_callback("310101")
    assert [row["id"] for row in listed(make_clerk("310101"))] == [mandarin.pk]
    speaker = make_clerk("320508", languages=[Language.MANDARIN, Language.ENGLISH])
    assert {row["id"] for row in listed(speaker)} == {english.pk, mandarin.pk}
    # Nor can they claim what is not in their list.
    response = api(make_clerk("310101")).post(f"/api/assist/callbacks/{english.pk}/claim/")
    assert response.status_code == 404


def test_the_phone_number_is_shown_only_to_the_clerk_who_claimed_the_callback():
    callback = ask_callback("310101", phone="13912345678")
    clerk, colleague = make_clerk("310101"), make_clerk("310101")
    assert listed(clerk)[0]["phone"] is None
    claimed = api(clerk).post(f"/api/assist/callbacks/{callback.pk}/claim/")
    assert claimed.status_code == 200
    assert (claimed.json()["phone"], claimed.json()["claimed_by_me"]) == ("13912345678", True)
    assert listed(clerk)[0]["phone"] == "13912345678"
    # The colleague no longer sees it at all (it is being worked), let alone the number.
    assert listed(colleague) == []
    assert "13912345678" not in api(colleague).get("/api/assist/callbacks/").content.decode()


def test_of_two_clerks_claiming_the_same_callback_the_second_is_told_it_is_taken():
    callback = ask_callback()
    first, second = make_clerk("310101"), make_clerk("310101")
    services.callback_claim(callback_id=callback.pk, clerk=first, now=T0)
    with pytest.raises(services.AssistError) as lost:
        services.callback_claim(callback_id=callback.pk, clerk=second, now=T0)
    assert lost.value.code == "already_claimed"
    callback.refresh_from_db()
    assert (callback.status, callback.claimed_by) == (Callback.Status.CLAIMED, first)


def test_a_clerk_holds_one_claimed_callback_at_a_time():
    one, two = ask_callback(), ask_callback()
    clerk = make_clerk("310101")
    services.callback_claim(callback_id=one.pk, clerk=clerk)
    response = api(clerk).post(f"/api/assist/callbacks/{two.pk}/claim/")
    assert (response.status_code, response.json()["code"]) == (409, "callback_in_hand")
    assert Callback.objects.get(pk=two.pk).status == Callback.Status.OPEN


def test_reached_closes_the_callback_with_the_note():
    callback = ask_callback()
    clerk = make_clerk("310101")
    api(clerk).post(f"/api/assist/callbacks/{callback.pk}/claim/")
    response = api(clerk).post(
        f"/api/assist/callbacks/{callback.pk}/done/",
        {"outcome": "reached", "note": "已说明公积金转移材料"},
        format="json",
    )
    assert response.status_code == 200
    callback.refresh_from_db()
    assert (callback.status, callback.attempts, callback.last_note) == ("reached", 1, "已说明公积金转移材料")
    assert callback.closed_at is not None and callback.claimed_by == clerk
    assert listed(clerk) == []


@override_settings(ASSIST_CALLBACK_MAX_ATTEMPTS=3)
def test_no_answer_puts_it_back_on_the_list_and_the_last_attempt_closes_it_as_unreachable(clock):
    callback = ask_callback()
    clerks = [make_clerk("310101") for _ in range(3)]
    for attempt, clerk in enumerate(clerks, start=1):
        clock.advance(600)
        services.callback_claim(callback_id=callback.pk, clerk=clerk, now=clock())
        services.callback_done(callback_id=callback.pk, clerk=clerk, outcome="no_answer", note="无人接听", now=clock())
        callback.refresh_from_db()
        assert callback.attempts == attempt
        if attempt < 3:
            assert (callback.status, callback.claimed_by) == (Callback.Status.OPEN, None)
            row = listed(clerks[-1])[0]
            assert (row["attempts"], row["max_attempts"], row["last_note"]) == (attempt, 3, "无人接听")
    assert callback.status == Callback.Status.UNREACHABLE and callback.closed_at == clock()
    assert listed(clerks[0]) == []


def test_only_the_claiming_clerk_records_the_outcome_and_a_double_submit_counts_once():
    callback = ask_callback()
    clerk, colleague = make_clerk("310101"), make_clerk("310101")
    services.callback_claim(callback_id=callback.pk, clerk=clerk)
    with pytest.raises(services.AssistError):
        services.callback_done(callback_id=callback.pk, clerk=colleague, outcome="reached")
    services.callback_done(callback_id=callback.pk, clerk=clerk, outcome="no_answer")
    with pytest.raises(services.AssistError) as again:
        services.callback_done(callback_id=callback.pk, clerk=clerk, outcome="no_answer")
    assert again.value.code == "not_claimed"
    assert Callback.objects.get(pk=callback.pk).attempts == 1


def test_a_released_callback_goes_back_untried_and_a_forgotten_claim_expires(clock):
    callback = ask_callback()
    clerk = make_clerk("310101")
    services.callback_claim(callback_id=callback.pk, clerk=clerk, now=clock())
    services.callback_release(callback_id=callback.pk, clerk=clerk, now=clock())
    callback.refresh_from_db()
    assert (callback.status, callback.attempts, callback.claimed_by) == ("open", 0, None)

    services.callback_claim(callback_id=callback.pk, clerk=clerk, now=clock())
    clock.advance(1799)
    services.assist_sweep(now=clock())
    assert Callback.objects.get(pk=callback.pk).status == Callback.Status.CLAIMED
    clock.advance(2)
    assert services.assist_sweep(now=clock())["callbacks_released"] == 1
    assert Callback.objects.get(pk=callback.pk).status == Callback.Status.OPEN


def test_every_step_is_audited():
    callback = ask_callback()
    clerk = make_clerk("310101")
    services.callback_claim(callback_id=callback.pk, clerk=clerk)
    services.callback_release(callback_id=callback.pk, clerk=clerk)
    services.callback_claim(callback_id=callback.pk, clerk=clerk)
    services.callback_done(callback_id=callback.pk, clerk=clerk, outcome="no_answer", note="关机")
    services.callback_claim(callback_id=callback.pk, clerk=clerk)
    services.callback_done(callback_id=callback.pk, clerk=clerk, outcome="reached")
    events = AssistEvent.objects.filter(request=callback.request).order_by("id")
    kinds = [e.kind for e in events if e.kind.startswith("callback.") or e.kind == "request.callback"]
    assert kinds == [
        "request.callback",
        "callback.claimed",
        "callback.number_shown",
        "callback.released",
        "callback.claimed",
        "callback.number_shown",
        "callback.no_answer",
        "callback.claimed",
        "callback.number_shown",
        "callback.reached",
    ]
    no_answer = events.get(kind="callback.no_answer")
    assert (no_answer.actor, no_answer.data["attempt"], no_answer.data["note"]) == (clerk, 1, "关机")


def test_only_clerks_work_the_list():
    callback = ask_callback()
    citizen = callback.request.citizen
    assert api(citizen).get("/api/assist/callbacks/").status_code == 403
    assert api(citizen).post(f"/api/assist/callbacks/{callback.pk}/claim/").status_code == 403
    supervisor = User.objects.create_user(username="sup-cb", role=User.Role.SUPERVISOR)
    assert api(supervisor).get("/api/assist/callbacks/").status_code == 403


def test_open_consoles_are_told_when_a_callback_is_added(django_capture_on_commit_callbacks):
    on_duty = make_clerk("310101")  # console open (heartbeat), not taking video calls
    ClerkProfile.objects.filter(clerk=on_duty).update(last_heartbeat=timezone.now())
    signed_out = make_clerk("320508", status=AVAILABLE, idle_since=timezone.now() - dt.timedelta(minutes=5))
    layer = get_channel_layer()
    assert layer is not None
    channels = {}
    for clerk in (on_duty, signed_out):
        channels[clerk] = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(clerk_group(clerk.pk), channels[clerk])
    citizen = make_citizen(code="320613")
    request = services.assist_request_create(citizen=citizen, route=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.assist_request_callback(request=request, actor=citizen)

    async def next_message(channel):
        import asyncio

        try:
            return await asyncio.wait_for(layer.receive(channel), timeout=2)
        except TimeoutError:
            return None

    message = async_to_sync(next_message)(channels[on_duty])
    assert message == {"type": "assist.push", "payload": {"type": "callbacks"}}  # no name, no number
    assert async_to_sync(next_message)(channels[signed_out]) is None


def test_live_figures_count_open_callbacks_per_district():
    ask_callback("310101")
    ask_callback("310101")
    ask_callback("320508")
    done = ask_callback("320508")
    clerk = make_clerk("320508")
    services.callback_claim(callback_id=done.pk, clerk=clerk)
    services.callback_done(callback_id=done.pk, clerk=clerk, outcome="reached")
    supervisor = User.objects.create_user(username="sup-fig", role=User.Role.SUPERVISOR)
    live = api(supervisor).get("/api/assist/figures/live/").json()
    assert live["open_callbacks"] == 3
    assert (live["open_callbacks_by_district"]["310101"], live["open_callbacks_by_district"]["320508"]) == (2, 1)
    assert live["open_callbacks_by_district"]["340103"] == 0
    own = api(clerk).get("/api/assist/figures/live/").json()
    assert (own["open_callbacks"], own["open_callbacks_by_district"]) == (1, {"320508": 1})
