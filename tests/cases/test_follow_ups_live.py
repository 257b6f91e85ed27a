"""On the live stack (uvicorn, a real Celery worker, real Redis): a bad rating sent over HTTP opens a follow-up,
and once it is overdue the escalation task, run by the worker, escalates it once; the alliance supervisor's page
then lists it first, marked escalated."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.services import api_token_issue
from cases import services, tasks
from cases.models import CaseEvent, FollowUp
from tests import factories as f
from tests.races import run_together

if TYPE_CHECKING:
    from tests.conftest import LiveStack

T = TypeVar("T")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(predicate: Callable[[], T | None], *, timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_bad_rating_leads_to_a_follow_up_that_the_worker_escalates_once_when_overdue(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    case = services.case_not_accept(
        case=f.submitted_case(applicant=citizen, version=f.make_item()), actor=clerk, reason="不符合受理条件"
    )
    key = api_token_issue(user=citizen).key
    body = json.dumps({"score": 1, "attitude": 1, "speed": 2, "convenience": 1, "comment": "窗口推诿"}).encode()
    request = urllib.request.Request(
        live_stack.url(f"/api/cases/{case.reference}/rate/"),
        data=body,
        method="POST",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200
    follow_up = FollowUp.objects.get(rating__case=case)
    assert follow_up.due_on is not None and follow_up.escalated_at is None
    # Time passes: the deadline was yesterday (the worker's scan reads the shared database).
    FollowUp.objects.filter(pk=follow_up.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))

    tasks.escalate_follow_ups.apply_async(queue="default")
    escalated = wait_for(
        lambda: FollowUp.objects.filter(pk=follow_up.pk, escalated_at__isnull=False).first(),
        what="the worker's escalation",
    )
    # Run again (beat's next tick, or a redelivery): nothing more happens.
    tasks.escalate_follow_ups.apply_async(queue="default")
    time.sleep(2)
    events = CaseEvent.objects.filter(case=case, action="follow_up_escalated")
    assert events.count() == 1
    assert FollowUp.objects.get(pk=follow_up.pk).escalated_at == escalated.escalated_at

    alliance = f.make_user("supervisor")
    other = f.make_user("citizen")
    _on_time = services.case_rate(
        case=services.case_not_accept(
            case=f.submitted_case(applicant=other, version=f.make_item()), actor=clerk, reason="不符合受理条件"
        ),
        actor=other,
        score=2,
        attitude=2,
        speed=2,
        convenience=2,
    )
    browser = Client()
    browser.force_login(alliance)
    request = urllib.request.Request(
        live_stack.url("/cases/follow-ups/"),
        headers={"Cookie": f"sessionid={browser.cookies['sessionid'].value}; django_language=zh-hans"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        page = response.read().decode()
    rows = page.split('data-standing="')[1:]
    assert rows[0].startswith("escalated") and case.reference in rows[0] and "已上报" in rows[0]
    assert len(rows) == 2 and rows[1].startswith("open")


@pytest.mark.postgres
def test_two_escalation_runs_at_once_escalate_a_follow_up_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    follow_ups = []
    for _ in range(3):
        citizen = f.make_user("citizen")
        case = services.case_not_accept(
            case=f.submitted_case(applicant=citizen, version=f.make_item()), actor=clerk, reason="不符合受理条件"
        )
        services.case_rate(case=case, actor=citizen, score=1, attitude=1, speed=1, convenience=1)
        follow_ups.append(FollowUp.objects.get(rating__case=case))
    FollowUp.objects.update(due_on=timezone.localdate() - dt.timedelta(days=1))
    counts = run_together(services.follow_ups_escalate, services.follow_ups_escalate)
    assert sum(counts) == 3
    assert CaseEvent.objects.filter(action="follow_up_escalated").count() == 3
    assert not FollowUp.objects.filter(escalated_at__isnull=True).exists()
