"""The routing rules as pure functions: plain snapshots of requests and clerks, a fixed clock, no database."""

from __future__ import annotations

import datetime as dt

from helpdesk import router
from helpdesk.conf import AssistConf
from helpdesk.router import ClerkView, RequestView

T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
CONF = AssistConf(
    ring_timeout=20,
    specialist_window=20,
    district_window=40,
    city_window=40,
    alliance_window=120,
    queue_limit=500,
    heartbeat_timeout=45,
    rejoin_grace=30,
    record_calls=False,
)
HUANGPU, GULOU, LUYANG, SHUSHAN = 1, 2, 3, 4  # district ids; Luyang and Shushan are both in Hefei


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def clerk(
    user_id: int,
    district_id: int = HUANGPU,
    *,
    city: str = "上海",
    status: str = "available",
    idle: float = 0,
    **skills,
) -> ClerkView:
    return ClerkView(
        user_id=user_id,
        profile_id=100 + user_id,
        district_id=district_id,
        city=city,
        status=status,
        idle_since=at(-idle),
        **skills,
    )


def request(
    request_id: int = 1, district_id: int = HUANGPU, *, city: str = "上海", waited_from: float = 0, **facts
) -> RequestView:
    return RequestView(id=request_id, created_at=at(waited_from), district_id=district_id, city=city, **facts)


def test_the_longest_idle_clerk_of_the_citizens_district_rings():
    clerks = [clerk(1, idle=10), clerk(2, idle=300), clerk(3, GULOU, city="南京", idle=900)]
    assert router.pick_clerk(request(), clerks, CONF, at(0), taken=set()) == (clerks[1], "district")


def test_a_firms_own_specialist_comes_before_everyone_else():
    specialist = clerk(7, GULOU, city="南京", idle=1, specialist_firm_ids=frozenset({42}))
    clerks = [clerk(1, idle=600), specialist]
    assert router.pick_clerk(request(firm_id=42), clerks, CONF, at(0), taken=set()) == (specialist, "specialist")


def test_the_pool_widens_with_waiting_time_and_an_empty_stage_adds_no_wait():
    busy_here = clerk(1, LUYANG, city="合肥", status="in_call")
    same_city = clerk(2, SHUSHAN, city="合肥", idle=60)
    elsewhere = clerk(3, HUANGPU, idle=600)
    citizen = request(district_id=LUYANG, city="合肥")
    clerks = [busy_here, same_city, elsewhere]
    # No specialist: the district stage opens at once; a Luyang clerk is signed in, so it stays the widest for 40 s.
    assert router.pick_clerk(citizen, clerks, CONF, at(39.9), taken=set()) is None
    assert router.pick_clerk(citizen, clerks, CONF, at(40), taken=set()) == (same_city, "city")
    # With nobody signed in in Luyang, the city stage opens at once.
    assert router.pick_clerk(citizen, [same_city, elsewhere], CONF, at(0), taken=set()) == (same_city, "city")
    assert router.pick_clerk(citizen, [elsewhere], CONF, at(0), taken=set()) == (elsewhere, "alliance")


def picked(pick: tuple[ClerkView, str] | None) -> ClerkView | None:
    return pick[0] if pick else None


def test_skills_language_and_sector_or_item_decide_who_may_take_a_request():
    signer = clerk(1, languages=frozenset({"zh", "csl"}), idle=1)
    pensions = clerk(2, sectors=frozenset({"hr_social"}), idle=500)
    generalist = clerk(3, idle=100)
    assert (
        picked(router.pick_clerk(request(language="csl"), [pensions, generalist, signer], CONF, at(0), set())) == signer
    )
    housing = request(item_id=9, sector="housing_fund")
    assert picked(router.pick_clerk(housing, [pensions, generalist], CONF, at(0), set())) == generalist
    assert (
        picked(router.pick_clerk(request(item_id=9, sector="hr_social"), [pensions, generalist], CONF, at(0), set()))
        == pensions
    )


def test_a_clerk_who_just_let_the_request_ring_out_is_not_asked_again():
    first, second = clerk(1, idle=600), clerk(2, idle=10)
    citizen = request(excluded_clerk_ids=frozenset({1}))
    assert router.pick_clerk(citizen, [first, second], CONF, at(0), set()) == (second, "district")


def test_priority_beats_waiting_time_and_each_clerk_rings_once_per_pass():
    early = request(1, waited_from=-300)
    elderly = request(2, waited_from=-10, priority=2)
    late = request(3, waited_from=-5)
    assert [r.id for r in router.queue_order([late, early, elderly])] == [2, 1, 3]
    clerks = [clerk(1, idle=600), clerk(2, idle=300)]
    plan = router.plan_offers([late, early, elderly], clerks, CONF, at(0))
    assert [(r.id, c.user_id) for r, c, _stage in plan] == [(2, 1), (1, 2)]


def test_a_request_nobody_can_take_is_offered_a_callback_once_every_stage_has_had_its_window():
    away = clerk(1, status="away")
    citizen = request(language="csl")
    assert router.plan_offers([citizen], [away, clerk(2)], CONF, at(0)) == []
    # Nobody signed in can take it: no stage adds a wait, the callback offer is due at once.
    assert router.callback_due(citizen, [away], CONF, at(0))
    # A signed-in clerk of the district (so of the city and the alliance too): 40 + 40 + 120 s first.
    zh = request()
    assert router.stage_schedule(zh, [away], CONF) == [
        ("specialist", 0),
        ("district", 0),
        ("city", 40),
        ("alliance", 80),
        ("callback", 200),
    ]
    assert not router.callback_due(zh, [away], CONF, at(199))
    assert router.callback_due(zh, [away], CONF, at(200))


def test_a_firm_calling_about_a_district_rings_its_specialist_there_before_its_other_specialists():
    elsewhere = clerk(7, GULOU, city="南京", idle=900, specialist_firm_ids=frozenset({42}))
    there = clerk(8, SHUSHAN, city="合肥", idle=1, specialist_firm_ids=frozenset({42}))
    clerks = [elsewhere, there, clerk(1, SHUSHAN, city="合肥", idle=600)]
    assert router.pick_clerk(request(district_id=SHUSHAN, city="合肥", firm_id=42), clerks, CONF, at(0), set()) == (
        there,
        "specialist",
    )
    # Called about a district without a specialist: the longest-idle specialist of the firm.
    assert router.pick_clerk(request(firm_id=42), clerks, CONF, at(0), set()) == (elsewhere, "specialist")
