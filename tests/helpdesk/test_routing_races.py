"""Reservations stay atomic when many routing passes run at once (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from helpdesk import services
from helpdesk.models import AssistRequest, ClerkProfile, Offer
from tests.helpdesk.factories import make_citizen, make_clerk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_routing_passes_never_double_book_a_clerk_or_a_request():
    if connection.vendor != "postgresql":
        pytest.skip("select_for_update and row locks need PostgreSQL")
    now = timezone.now()
    clerks = [make_clerk("310101", status=ClerkProfile.Status.AVAILABLE, idle_since=now - dt.timedelta(seconds=i))
              for i in range(8)]
    for i in range(24):
        AssistRequest.objects.create(citizen=make_citizen(), district=clerks[0].district,
                                     created_at=now - dt.timedelta(seconds=100 - i))
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def one_pass():
        try:
            start.wait()
            for _ in range(3):
                services.assist_route(now=now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_pass) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    offers = list(Offer.objects.filter(outcome=Offer.Outcome.RINGING))
    assert len(offers) == 8  # every clerk rings, once
    assert len({o.clerk_id for o in offers}) == 8
    assert len({o.request_id for o in offers}) == 8
    assert ClerkProfile.objects.filter(status=ClerkProfile.Status.RINGING).count() == 8
    assert AssistRequest.objects.filter(state=AssistRequest.State.OFFERED).count() == 8
    # The eight longest-waiting requests are the ones ringing.
    oldest = set(AssistRequest.objects.order_by("created_at").values_list("pk", flat=True)[:8])
    assert {o.request_id for o in offers} == oldest
