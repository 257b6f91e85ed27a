"""Routing rules, with a controllable clock: who rings, when, and what happens when nobody answers."""

from __future__ import annotations

import datetime as dt

import pytest

from helpdesk import services
from helpdesk.models import AssistRequest, CallSession, ClerkProfile, Offer, PriorityReason
from tests.factories import (
    T0,
    make_citizen,
    make_clerk,
    make_elderly_citizen,
    make_firm,
    make_item_version,
    make_specialist,
)

pytestmark = pytest.mark.django_db

AVAILABLE = ClerkProfile.Status.AVAILABLE
AWAY = ClerkProfile.Status.AWAY


def ago(seconds: float) -> dt.datetime:
    return T0 - dt.timedelta(seconds=seconds)


def ringing(request: AssistRequest) -> list[Offer]:
    return list(Offer.objects.filter(request=request, outcome=Offer.Outcome.RINGING))


def status_of(clerk) -> str:
    return ClerkProfile.objects.get(clerk=clerk).status


def test_it_rings_exactly_one_clerk_the_longest_idle_of_the_citizens_district(clock):
    recently_idle = make_clerk("310101", status=AVAILABLE, idle_since=ago(10))
    longest_idle = make_clerk("310101", status=AVAILABLE, idle_since=ago(300))
    request = services.assist_request_create(citizen=make_citizen(code="310101"), now=clock())
    offers = ringing(request)
    assert [o.clerk for o in offers] == [longest_idle]
    assert offers[0].stage == "district"
    assert offers[0].ring_deadline == clock() + dt.timedelta(seconds=20)
    assert status_of(longest_idle) == ClerkProfile.Status.RINGING
    assert status_of(recently_idle) == AVAILABLE
    assert AssistRequest.objects.get(pk=request.pk).state == AssistRequest.State.OFFERED


def test_a_ring_that_times_out_sends_the_clerk_away_and_rings_the_next(clock):
    first = make_clerk("310101", status=AVAILABLE, idle_since=ago(300))
    second = make_clerk("310101", status=AVAILABLE, idle_since=ago(100))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    services.assist_request_returned(request_id=request.pk)  # the citizen's queue page is open
    clock.advance(19.9)
    services.assist_route(now=clock())
    assert [o.clerk for o in ringing(request)] == [first]
    clock.advance(0.1)
    services.assist_route(now=clock())
    assert Offer.objects.get(request=request, clerk=first).outcome == Offer.Outcome.TIMED_OUT
    assert status_of(first) == AWAY
    assert [o.clerk for o in ringing(request)] == [second]


def test_the_ring_timer_lives_in_the_database_so_a_later_sweep_still_ends_it(clock):
    # No process remembers the ring: a sweep long after (e.g. a worker restarted) ends it.
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(60))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    services.assist_request_returned(request_id=request.pk)  # the citizen's queue page is open
    clock.advance(600)
    ClerkProfile.objects.filter(clerk=clerk).update(last_heartbeat=clock())
    services.assist_sweep(now=clock())
    assert Offer.objects.get(request=request).outcome == Offer.Outcome.TIMED_OUT
    assert status_of(clerk) == AWAY


def test_a_declining_clerk_goes_away_and_the_next_clerk_rings(clock):
    first = make_clerk("310101", status=AVAILABLE, idle_since=ago(300))
    second = make_clerk("310101", status=AVAILABLE, idle_since=ago(100))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    offer = ringing(request)[0]
    clock.advance(3)
    services.assist_offer_decline(offer_id=offer.pk, clerk=first, now=clock())
    assert status_of(first) == AWAY
    assert [o.clerk for o in ringing(request)] == [second]


def test_the_pool_widens_with_waiting_time_district_then_city_then_alliance(clock):
    # The citizen's own district has a clerk signed in (but away): the district and the city
    # stages each get their window before a clerk of another city is asked.
    make_clerk("310101", status=AWAY, idle_since=ago(10))
    elsewhere = make_clerk("320508", status=AVAILABLE, idle_since=ago(500))
    request = services.assist_request_create(citizen=make_citizen(code="310101"), now=clock())
    assert ringing(request) == []
    clock.advance(79)
    services.assist_route(now=clock())
    assert ringing(request) == []
    clock.advance(1)
    services.assist_route(now=clock())
    offers = ringing(request)
    assert [(o.clerk, o.stage) for o in offers] == [(elsewhere, "alliance")]


def test_the_same_city_comes_before_the_alliance(clock):
    # Shushan and Luyang are both in Hefei.
    make_clerk("340104", status=AWAY, idle_since=ago(10))
    same_city = make_clerk("340103", status=AVAILABLE, idle_since=ago(5))
    make_clerk("310101", status=AVAILABLE, idle_since=ago(900))
    request = services.assist_request_create(citizen=make_citizen(code="340104"), now=clock())
    assert ringing(request) == []
    clock.advance(40)
    services.assist_route(now=clock())
    assert [(o.clerk, o.stage) for o in ringing(request)] == [(same_city, "city")]


def test_an_empty_stage_adds_no_wait(clock):
    # Nobody of Chongchuan (or Nantong) is signed in: the alliance is asked at once.
    anywhere = make_clerk("330102", status=AVAILABLE, idle_since=ago(5))
    request = services.assist_request_create(citizen=make_citizen(code="320613"), now=clock())
    assert [(o.clerk, o.stage) for o in ringing(request)] == [(anywhere, "alliance")]


def test_a_firm_rings_its_own_specialist_first(clock):
    firm = make_firm("310101")
    specialist = make_clerk("320508", status=AVAILABLE, idle_since=ago(1))
    make_specialist(firm, specialist)
    make_clerk("310101", status=AVAILABLE, idle_since=ago(1000))
    request = services.assist_request_create(citizen=make_citizen(code="310101", firm=firm), now=clock())
    assert [(o.clerk, o.stage) for o in ringing(request)] == [(specialist, "specialist")]


def test_a_busy_specialist_holds_the_firm_only_for_the_specialist_window(clock):
    firm = make_firm("310101")
    specialist = make_clerk("320508", status=ClerkProfile.Status.IN_CALL)
    make_specialist(firm, specialist)
    local = make_clerk("310101", status=AVAILABLE, idle_since=ago(1000))
    request = services.assist_request_create(citizen=make_citizen(code="310101", firm=firm), now=clock())
    assert ringing(request) == []
    clock.advance(20)
    services.assist_route(now=clock())
    assert [(o.clerk, o.stage) for o in ringing(request)] == [(local, "district")]


def test_priority_beats_waiting_time(clock):
    clerk = make_clerk("310101", status=ClerkProfile.Status.AWAY)
    early = services.assist_request_create(citizen=make_citizen(), now=clock())
    clock.advance(30)
    elderly = services.assist_request_create(
        citizen=make_elderly_citizen(), priority_reason=PriorityReason.ELDERLY, now=clock()
    )
    clock.advance(1)
    services.clerk_presence_set(clerk=clerk, status=AVAILABLE, now=clock())
    assert ringing(early) == []
    assert [o.clerk for o in ringing(elderly)] == [clerk]


def test_among_equals_the_longest_waiting_goes_first_and_keeps_their_place(clock):
    clerk = make_clerk("310101", status=ClerkProfile.Status.AWAY)
    first = services.assist_request_create(citizen=make_citizen(), now=clock())
    clock.advance(5)
    second = services.assist_request_create(citizen=make_citizen(), now=clock())
    clock.advance(5)
    services.clerk_presence_set(clerk=clerk, status=AVAILABLE, now=clock())
    assert [o.clerk for o in ringing(first)] == [clerk]
    assert ringing(second) == []
    assert services.assist_request_create(citizen=first.citizen, now=clock()).pk == first.pk  # a second click


def test_no_clerk_ever_holds_two_rings(clock):
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(5))
    one = services.assist_request_create(citizen=make_citizen(), now=clock())
    two = services.assist_request_create(citizen=make_citizen(), now=clock())
    services.assist_route(now=clock())
    assert Offer.objects.filter(clerk=clerk, outcome=Offer.Outcome.RINGING).count() == 1
    assert len(ringing(one)) == 1 and ringing(two) == []


def test_skills_and_languages_decide_who_is_asked(clock):
    version = make_item_version(sector="housing_fund")
    make_clerk("310101", status=AVAILABLE, idle_since=ago(900), sectors=["tax"])
    fund_clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(10), sectors=["housing_fund"])
    request = services.assist_request_create(citizen=make_citizen(), item_version=version, now=clock())
    assert [o.clerk for o in ringing(request)] == [fund_clerk]

    english = make_clerk("320508", status=AVAILABLE, idle_since=ago(1), languages=["zh", "en"])
    foreigner = services.assist_request_create(citizen=make_citizen(code="310101"), language="en", now=clock())
    assert [o.clerk for o in ringing(foreigner)] == [english]


def test_nobody_signed_in_means_a_callback_offer_at_once(clock):
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    request.refresh_from_db()
    assert request.callback_offered_at == clock()
    services.assist_request_callback(request=request, actor=request.citizen, now=clock())
    request.refresh_from_db()
    assert request.state == AssistRequest.State.CALLBACK
    assert request.callback_phone == request.citizen.phone  # the account's number


def test_a_long_wait_ends_in_a_callback_offer(clock):
    make_clerk("310101", status=ClerkProfile.Status.IN_CALL)
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    clock.advance(60)
    services.assist_route(now=clock())
    request.refresh_from_db()
    assert request.callback_offered_at is None
    clock.advance(140)  # district 40 + city 40 + alliance 120
    services.assist_route(now=clock())
    request.refresh_from_db()
    assert request.callback_offered_at == clock()


def test_accepting_starts_a_session_with_the_wait_and_a_late_accept_fails(clock):
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(60))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    offer = ringing(request)[0]
    clock.advance(7)
    session = services.assist_offer_accept(offer_id=offer.pk, clerk=clerk, now=clock())
    assert session.wait_seconds == 7
    assert status_of(clerk) == ClerkProfile.Status.IN_CALL
    assert AssistRequest.objects.get(pk=request.pk).state == AssistRequest.State.CONNECTED

    other = make_clerk("310101", status=AVAILABLE, idle_since=ago(60))
    late = services.assist_request_create(citizen=make_citizen(), now=clock())
    late_offer = ringing(late)[0]
    clock.advance(20)
    with pytest.raises(services.AssistError):
        services.assist_offer_accept(offer_id=late_offer.pk, clerk=other, now=clock())


def test_cancelling_while_ringing_frees_the_clerk_without_penalty(clock):
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(60))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    services.assist_request_cancel(request=request, actor=request.citizen, now=clock())
    assert Offer.objects.get(request=request).outcome == Offer.Outcome.WITHDRAWN
    assert status_of(clerk) == AVAILABLE
    assert ClerkProfile.objects.get(clerk=clerk).idle_since == ago(60)


@pytest.mark.parametrize("leave", ["cancel", "callback"])
def test_a_clerk_whose_ring_is_withdrawn_rings_for_the_next_waiting_citizen_at_once(clock, leave):
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(60))
    first = services.assist_request_create(citizen=make_citizen(), now=clock())
    clock.advance(1)
    second = services.assist_request_create(citizen=make_citizen(), now=clock())
    assert ringing(second) == []  # the only clerk is ringing for the first citizen
    clock.advance(1)
    if leave == "cancel":
        services.assist_request_cancel(request=first, actor=first.citizen, now=clock())
    else:
        services.assist_request_callback(request=first, actor=first.citizen, now=clock())
    # No waiting for the beat's sweep: the withdrawal itself ran a routing pass.
    assert [(o.clerk, o.created_at) for o in ringing(second)] == [(clerk, clock())]
    assert status_of(clerk) == ClerkProfile.Status.RINGING


def test_leaving_the_queue_with_no_ring_to_withdraw_runs_no_routing_pass(clock, monkeypatch):
    make_clerk("310101", status=AWAY, idle_since=ago(60))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    passes = []
    monkeypatch.setattr(services.routing, "assist_route", lambda **kwargs: passes.append(kwargs))
    services.assist_request_cancel(request=request, actor=request.citizen, now=clock())
    assert passes == []


def test_a_call_ends_in_wrap_up_then_the_clerk_is_available_again(clock):
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=ago(60))
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    session = services.assist_offer_accept(offer_id=ringing(request)[0].pk, clerk=clerk, now=clock())
    clock.advance(125)
    services.call_session_end(session=session, actor=request.citizen, now=clock())
    assert status_of(clerk) == ClerkProfile.Status.WRAP_UP
    clock.advance(30)
    session = services.call_session_wrap_up(
        session=CallSession.objects.get(pk=session.pk),
        clerk=clerk,
        notes="已指导上传材料",
        outcome="resolved",
        now=clock(),
    )
    assert (session.talk_seconds, session.outcome, session.notes) == (125, "resolved", "已指导上传材料")
    profile = ClerkProfile.objects.get(clerk=clerk)
    assert (profile.status, profile.idle_since) == (AVAILABLE, clock())
    services.call_session_rate(session=session, citizen=request.citizen, rating=5, now=clock())
    with pytest.raises(services.AssistError):
        services.call_session_rate(session=session, citizen=request.citizen, rating=1, now=clock())


def test_a_clerk_without_heartbeat_goes_offline(clock):
    clerk = make_clerk("310101", status=AVAILABLE, idle_since=clock())
    clock.advance(44)
    services.assist_sweep(now=clock())
    assert status_of(clerk) == AVAILABLE
    clock.advance(2)
    services.assist_sweep(now=clock())
    assert status_of(clerk) == ClerkProfile.Status.OFFLINE
