"""Picking from the console's waiting list stays atomic when clerks pick at once (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from helpdesk import services
from helpdesk.models import AssistRequest, CallSession, ClerkProfile, Offer
from tests.factories import make_citizen, make_clerk
from tests.races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pick_at_once(pairs) -> tuple[list[tuple[int, int]], list[str]]:
    """Each (clerk, request) pick in its own thread and connection, released together: the picks made and the codes
    of those refused."""
    outcomes = run_together(
        *(partial(services.assist_request_pick, clerk=clerk, request_id=request_id) for clerk, request_id in pairs),
        expected=(services.AssistError,),
    )
    won = [(clerk.pk, request_id) for (clerk, request_id), o in zip(pairs, outcomes, strict=True) if not _refused(o)]
    return won, [o.code for o in outcomes if _refused(o)]


def _refused(outcome: object) -> bool:
    return isinstance(outcome, services.AssistError)


def test_six_clerks_picking_one_request_at_once_one_wins_the_others_are_told_it_is_taken():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrent writers need PostgreSQL")
    now = timezone.now()
    clerks = [
        make_clerk("310101", status=ClerkProfile.Status.AWAY, idle_since=now - dt.timedelta(seconds=i))
        for i in range(6)
    ]
    request = services.assist_request_create(citizen=make_citizen(code="310101"), route=False)
    won, lost = _pick_at_once([(clerk, request.pk) for clerk in clerks])
    assert len(won) == 1 and sorted(lost) == ["already_taken"] * 5
    winner = won[0][0]
    session = CallSession.objects.get(request=request)
    assert session.clerk_id == winner
    assert AssistRequest.objects.get(pk=request.pk).state == AssistRequest.State.CONNECTED
    assert list(Offer.objects.filter(request=request).values_list("clerk_id", "stage")) == [(winner, "picked")]
    statuses = dict(ClerkProfile.objects.filter(clerk__in=clerks).values_list("clerk_id", "status"))
    assert statuses.pop(winner) == ClerkProfile.Status.IN_CALL
    assert set(statuses.values()) == {ClerkProfile.Status.AWAY}  # the losers are as they were


def test_one_clerk_picking_two_requests_at_once_gets_one_call():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrent writers need PostgreSQL")
    clerk = make_clerk("310101", status=ClerkProfile.Status.AWAY, idle_since=timezone.now())
    requests = [services.assist_request_create(citizen=make_citizen(code="310101"), route=False) for _ in range(2)]
    won, lost = _pick_at_once([(clerk, request.pk) for request in requests])
    assert len(won) == 1 and lost == ["clerk_busy"]
    assert CallSession.objects.filter(clerk=clerk).count() == 1
    # The request not picked is waiting still, in its place.
    left = next(r for r in requests if r.pk != won[0][1])
    assert AssistRequest.objects.get(pk=left.pk).state == AssistRequest.State.WAITING


def test_a_pick_racing_the_router_never_double_books_the_request():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrent writers need PostgreSQL")
    now = timezone.now()
    ringer = make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=now - dt.timedelta(seconds=60))
    picker = make_clerk("310101", status=ClerkProfile.Status.AWAY, idle_since=now)
    request = services.assist_request_create(citizen=make_citizen(code="310101"), route=False)
    _routed, picked = run_together(
        services.assist_route,
        partial(services.assist_request_pick, clerk=picker, request_id=request.pk),
        expected=(services.AssistError,),
    )
    outcome = [picked.code if _refused(picked) else "picked"]
    state = AssistRequest.objects.get(pk=request.pk).state
    ringing = Offer.objects.filter(request=request, outcome=Offer.Outcome.RINGING).count()
    if outcome == ["picked"]:
        assert state == AssistRequest.State.CONNECTED and ringing == 0
        assert ClerkProfile.objects.get(clerk=ringer).status == ClerkProfile.Status.AVAILABLE
    else:
        assert outcome == ["ringing_elsewhere"]
        assert state == AssistRequest.State.OFFERED and ringing == 1
        assert ClerkProfile.objects.get(clerk=picker).status == ClerkProfile.Status.AWAY
