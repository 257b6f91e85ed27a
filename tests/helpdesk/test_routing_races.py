"""Reservations stay atomic when many routing passes run at once (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from helpdesk import services
from helpdesk.models import AssistEvent, AssistRequest, ClerkProfile, Offer
from tests.factories import make_citizen, make_clerk
from tests.races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_routing_passes_never_double_book_a_clerk_or_a_request():
    if connection.vendor != "postgresql":
        pytest.skip("select_for_update and row locks need PostgreSQL")
    now = timezone.now()
    clerks = [
        make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=now - dt.timedelta(seconds=i))
        for i in range(8)
    ]
    for i in range(24):
        AssistRequest.objects.create(
            citizen=make_citizen(), district=clerks[0].district, created_at=now - dt.timedelta(seconds=100 - i)
        )

    def three_passes() -> None:
        for _ in range(3):
            services.assist_route(now=now)

    run_together(*[three_passes] * 6)
    offers = list(Offer.objects.filter(outcome=Offer.Outcome.RINGING))
    assert len(offers) == 8  # every clerk rings, once
    assert len({o.clerk_id for o in offers}) == 8
    assert len({o.request_id for o in offers}) == 8
    assert ClerkProfile.objects.filter(status=ClerkProfile.Status.RINGING).count() == 8
    assert AssistRequest.objects.filter(state=AssistRequest.State.OFFERED).count() == 8
    # The eight longest-waiting requests are the ones ringing.
    oldest = set(AssistRequest.objects.order_by("created_at").values_list("pk", flat=True)[:8])
    assert {o.request_id for o in offers} == oldest


def _claim_at_once(callback_id: int, clerks) -> tuple[list[int], list[str]]:
    """Each clerk claims the callback in their own thread (and connection), released together: who won, and the
    codes of the refusals."""
    outcomes = run_together(
        *(partial(services.callback_claim, callback_id=callback_id, clerk=clerk) for clerk in clerks),
        expected=(services.AssistError,),
    )
    won = [clerk.pk for clerk, o in zip(clerks, outcomes, strict=True) if not isinstance(o, services.AssistError)]
    return won, [o.code for o in outcomes if isinstance(o, services.AssistError)]


def test_two_clerks_claiming_a_callback_at_once_exactly_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL")
    for _round in range(5):
        citizen = make_citizen()
        request = services.assist_request_create(citizen=citizen, route=False)
        services.assist_request_callback(request=request, actor=citizen)
        callback = request.callback
        won, lost = _claim_at_once(callback.pk, [make_clerk("310101"), make_clerk("310101")])
        assert len(won) == 1 and lost == ["already_claimed"]
        callback.refresh_from_db()
        assert callback.claimed_by_id == won[0]
        assert AssistEvent.objects.filter(kind="callback.claimed", data__callback=callback.pk).count() == 1
