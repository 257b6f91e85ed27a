"""A citizen or a clerk abusing the helpdesk through the API: floods, numbers, priority, context."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from cases.services import case_draft_create
from helpdesk import services
from helpdesk.models import AssistEvent, AssistRequest, Callback, PriorityReason
from standards.models import ItemVersion
from tests.factories import make_citizen, make_clerk, make_elderly_citizen, make_item, make_item_version

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask(client: APIClient, body: dict | None = None, phone: str | None = None):
    created = client.post("/api/assist/requests/", body or {}, format="json")
    if created.status_code not in (200, 201):
        return created
    return client.post(
        f"/api/assist/requests/{created.json()['id']}/callback/",
        {"phone": phone} if phone is not None else {},
        format="json",
    )


def test_a_flood_of_101_callbacks_with_101_numbers_leaves_one_callback_with_the_accounts_number():
    flooder = make_citizen(code="310101")
    client = api(flooder)
    answers = [ask(client, {"priority_reason": "disabled"}, phone=f"139{n:08d}") for n in range(101)]
    # Every made-up number is refused; the account's own is accepted once.
    assert {a.json()["code"] for a in answers} == {"phone_not_verified"}
    assert ask(client, phone=flooder.phone).status_code == 200
    again = ask(client, phone=flooder.phone)
    assert (again.status_code, again.json()["code"]) == (409, "callback_open")
    assert Callback.objects.filter(request__citizen=flooder).count() == 1
    assert set(AssistRequest.objects.filter(citizen=flooder).values_list("callback_phone", flat=True)) <= {
        "",
        flooder.phone,
    }
    # A genuine citizen just after is on the clerks' list, and so is the flooder, once.
    genuine = make_citizen(code="310101")
    assert ask(api(genuine)).status_code == 200
    rows = api(make_clerk("310101")).get("/api/assist/callbacks/").json()
    assert sorted(row["citizen"] for row in rows) == sorted([flooder.display_name, genuine.display_name])


@override_settings(ASSIST_CALLBACKS_PER_DAY=3)
def test_a_citizen_gets_at_most_three_callbacks_a_day_even_when_each_was_answered():
    citizen = make_citizen()
    clerk = make_clerk("310101")
    for _ in range(3):
        assert ask(api(citizen)).status_code == 200
        callback = Callback.objects.get(request__citizen=citizen, status="open")
        services.callback_claim(callback_id=callback.pk, clerk=clerk)
        services.callback_done(callback_id=callback.pk, clerk=clerk, outcome="reached")
    fourth = ask(api(citizen))
    assert (fourth.status_code, fourth.json()["code"]) == (429, "callback_limit")


@override_settings(ASSIST_REQUESTS_PER_DAY=5)
def test_a_citizen_makes_a_limited_number_of_help_requests_a_day_and_a_retry_returns_the_open_one():
    citizen = make_citizen()
    client = api(citizen)
    for _ in range(5):
        first = client.post("/api/assist/requests/", {}, format="json")
        assert first.status_code == 201
        retry = client.post("/api/assist/requests/", {}, format="json")  # a lost answer, sent again
        assert (retry.status_code, retry.json()["id"]) == (200, first.json()["id"])
        client.post(f"/api/assist/requests/{first.json()['id']}/cancel/")
    sixth = client.post("/api/assist/requests/", {}, format="json")
    assert (sixth.status_code, sixth.json()["code"]) == (429, "request_limit")
    assert AssistRequest.objects.filter(citizen=citizen).count() == 5


def test_without_a_phone_on_the_account_no_callback_is_taken():
    citizen = make_citizen()
    citizen.phone = ""
    citizen.save(update_fields=["phone"])
    answer = ask(api(citizen), phone="13912345678")
    assert (answer.status_code, answer.json()["code"]) == (409, "phone_required")
    assert not Callback.objects.exists()


def test_a_declared_priority_is_shown_but_only_a_verified_one_moves_up_the_queue_and_the_list():
    declared = make_citizen()
    elderly = make_elderly_citizen()
    plain = make_citizen()
    mine = services.assist_request_create(citizen=declared, priority_reason=PriorityReason.DISABLED, route=False)
    old = services.assist_request_create(citizen=elderly, route=False)
    assert (mine.priority_reason, mine.priority) == ("disabled", 0)
    assert (old.priority_reason, old.priority) == ("elderly", 2)
    for request in (mine, old):
        services.assist_request_callback(request=request, actor=request.citizen)
    later = services.assist_request_create(citizen=plain, route=False)
    services.assist_request_callback(request=later, actor=plain)
    rows = api(make_clerk("310101")).get("/api/assist/callbacks/").json()
    assert [row["request"] for row in rows] == [old.pk, mine.pk, later.pk]
    assert "未核实" in rows[1]["priority"] or "not verified" in rows[1]["priority"]
    assert rows[2]["priority"] is None


def test_a_flood_already_in_the_database_cannot_hide_a_genuine_callback():
    """The list shows one row per citizen, so 101 rows of one person are one row."""
    flooder = make_citizen()
    for _ in range(101):
        request = AssistRequest.objects.create(
            citizen=flooder, district=flooder.district, state="callback", created_at=timezone.now()
        )
        Callback.objects.create(request=request, created_at=timezone.now())
    genuine = make_citizen()
    services.assist_request_callback(request=services.assist_request_create(citizen=genuine), actor=genuine)
    rows = api(make_clerk("310101")).get("/api/assist/callbacks/").json()
    assert [row["citizen"] for row in rows] == [flooder.display_name, genuine.display_name]


@override_settings(ASSIST_CALLBACK_CLAIMS_PER_HOUR=4)
def test_a_clerk_cannot_collect_numbers_by_claiming_and_releasing_and_every_number_shown_is_recorded():
    callbacks = []
    for _ in range(6):
        citizen = make_citizen()
        services.assist_request_callback(request=services.assist_request_create(citizen=citizen), actor=citizen)
        callbacks.append(Callback.objects.get(request__citizen=citizen))
    clerk = make_clerk("310101")
    client = api(clerk)
    numbers_seen = []
    for callback in callbacks[:4]:
        claimed = client.post(f"/api/assist/callbacks/{callback.pk}/claim/")
        assert claimed.status_code == 200
        numbers_seen.append(claimed.json()["phone"])
        assert client.post(f"/api/assist/callbacks/{callback.pk}/release/").status_code == 200
    fifth = client.post(f"/api/assist/callbacks/{callbacks[4].pk}/claim/")
    assert (fifth.status_code, fifth.json()["code"]) == (429, "claim_limit")
    assert "phone" not in fifth.json()
    # Another clerk sees no number of an unclaimed callback.
    assert all(row["phone"] is None for row in api(make_clerk("310101")).get("/api/assist/callbacks/").json())
    shown = AssistEvent.objects.filter(kind="callback.number_shown", actor=clerk)
    assert sorted(e.data["callback"] for e in shown) == sorted(c.pk for c in callbacks[:4])


def test_a_request_about_someone_elses_case_or_a_draft_item_is_refused():
    owner = make_citizen()
    version = make_item()
    case = case_draft_create(applicant=owner, item_version=version, actor=owner)
    stranger = make_citizen()
    answer = api(stranger).post("/api/assist/requests/", {"case": case.reference}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (409, "case_not_found")
    draft = make_item_version()
    ItemVersion.objects.filter(pk=draft.pk).update(status=ItemVersion.Status.DRAFT)
    answer = api(stranger).post("/api/assist/requests/", {"item_version": draft.pk}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (400, "unknown_item")
    assert not AssistRequest.objects.filter(citizen=stranger).exists()
    # The owner's own case is fine.
    assert api(owner).post("/api/assist/requests/", {"case": case.reference}, format="json").status_code == 201


def test_someone_elses_request_page_answers_exactly_like_a_missing_one():
    request = services.assist_request_create(citizen=make_citizen(), route=False)
    client = Client()
    client.force_login(make_citizen())
    theirs = client.get(f"/assist/r/{request.pk}/")
    missing = client.get(f"/assist/r/{request.pk + 1000}/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_a_request_whose_citizen_never_opens_the_queue_is_abandoned_and_its_ring_costs_the_clerk_nothing():
    """An API client that posts and never opens ws/assist/queue/<id>/: it stops ringing clerks."""
    from helpdesk.models import ClerkProfile, Offer
    from tests.factories import Clock

    clock = Clock()
    clerk = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=clock())
    request = services.assist_request_create(citizen=make_citizen(), now=clock())
    assert Offer.objects.get(request=request).outcome == "ringing"
    clock.advance(21)  # the ring times out: the citizen was never there, the clerk is not sent away
    ClerkProfile.objects.filter(clerk=clerk).update(last_heartbeat=clock())
    services.assist_route(now=clock())
    assert ClerkProfile.objects.get(clerk=clerk).status == ClerkProfile.Status.AVAILABLE
    timed_out = AssistEvent.objects.get(kind="offer.timed_out", request=request)
    assert timed_out.data["citizen_absent"] is True
    clock.advance(10)  # past the grace: the sweep abandons the request; no further ring
    ClerkProfile.objects.filter(clerk=clerk).update(last_heartbeat=clock())
    services.assist_sweep(now=clock())
    request.refresh_from_db()
    assert request.state == AssistRequest.State.ABANDONED
    assert not Offer.objects.filter(request=request, outcome="ringing").exists()
    assert ClerkProfile.objects.get(clerk=clerk).status == ClerkProfile.Status.AVAILABLE


def test_a_citizen_whose_queue_socket_is_open_keeps_their_place():
    from tests.factories import Clock

    clock = Clock()
    request = services.assist_request_create(citizen=make_citizen(), now=clock(), route=False)
    services.assist_request_returned(request_id=request.pk)  # what the queue socket's connect does
    clock.advance(600)
    services.assist_sweep(now=clock())
    request.refresh_from_db()
    assert request.state == AssistRequest.State.WAITING
