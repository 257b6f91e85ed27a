"""An acceptance whose routing message never reached the broker: the request still succeeds, the sweep re-sends."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from accounts.models import User
from cases import services, tasks
from cases.models import Case, CaseState
from cases.schedule import BEAT_SCHEDULE
from tests import factories as f

if TYPE_CHECKING:
    from celery.result import EagerResult
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


class Broker:
    """Stands in for route_case.apply_async: records what was queued where, then runs it here (or fails)."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.sent: list[tuple[list[int], str]] = []

    def __call__(self, args: tuple[int, int], queue: str, **kwargs: Any) -> EagerResult[str]:
        if self.down:
            raise OperationalError("Error 111 connecting to redis: Connection refused.")
        self.sent.append((list(args), queue))
        return tasks.route_case.apply(args=args)


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(tasks.route_case, "apply_async", fake)
    return fake


def accepted_without_routing(clerk: User, *, seconds_ago: int = 120, **item: Any) -> Case:
    """Accepted, but its routing message never left: in a test's transaction the after-commit enqueue
    never runs, as when the broker was down at commit. In `accepted` for `seconds_ago` seconds."""
    case = f.accept_checked(f.submitted_case(version=f.make_item(**item)), clerk)
    Case.objects.filter(pk=case.pk).update(state_changed_at=timezone.now() - dt.timedelta(seconds=seconds_ago))
    return Case.objects.get(pk=case.pk)


def test_the_sweep_sends_routing_again_for_accepted_cases_that_never_reached_the_approving_district(
    huangpu_clerk: User, shushan_clerk: User, broker: Broker
) -> None:
    stuck = accepted_without_routing(huangpu_clerk)
    just_accepted = accepted_without_routing(huangpu_clerk, seconds_ago=5)
    poisoned = accepted_without_routing(huangpu_clerk)
    Case.objects.filter(pk=poisoned.pk).update(routing_poisoned=True)
    routed = accepted_without_routing(huangpu_clerk)
    services.case_route(case_id=routed.pk, transfer_number=routed.transfer_number)
    to_gusu = accepted_without_routing(huangpu_clerk, approve_in=(f.GUSU,))

    counts = services.case_routing_sweep()

    assert counts == {"queued": 2, "failed": 0, "recently_queued": 0}
    assert sorted(broker.sent) == sorted(
        [
            ([stuck.pk, stuck.transfer_number], f"district.{f.SHUSHAN}"),
            ([to_gusu.pk, to_gusu.transfer_number], f"district.{f.GUSU}"),
        ]
    )
    # The re-sent messages routed the cases; the others are as they were.
    assert Case.objects.get(pk=stuck.pk).state == CaseState.TRANSFERRED
    assert Case.objects.get(pk=stuck.pk).approving_clerk == shushan_clerk
    assert Case.objects.get(pk=to_gusu.pk).state == CaseState.TRANSFERRED
    assert Case.objects.get(pk=just_accepted.pk).state == CaseState.ACCEPTED
    assert Case.objects.get(pk=poisoned.pk).state == CaseState.ACCEPTED
    assert services.case_routing_sweep()["queued"] == 0, "a minute later: nothing left to re-send"
    # The one accepted just now is re-sent once it has waited long enough.
    later = services.case_routing_sweep(now=timezone.now() + dt.timedelta(seconds=120))
    assert later["queued"] == 1 and Case.objects.get(pk=just_accepted.pk).state == CaseState.TRANSFERRED


def test_a_case_whose_worker_is_down_is_sent_again_at_most_every_few_minutes(
    huangpu_clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = []
    monkeypatch.setattr(tasks.route_case, "apply_async", lambda args, queue, **kw: queued.append(args))
    stuck = accepted_without_routing(huangpu_clerk)
    assert services.case_routing_sweep()["queued"] == 1
    # Nobody consumes district.340104: the next runs do not pile up duplicates in its queue.
    assert services.case_routing_sweep() == {"queued": 0, "failed": 0, "recently_queued": 1}
    assert queued == [(stuck.pk, stuck.transfer_number)]


def test_a_duplicate_of_a_message_that_was_only_slow_does_nothing(huangpu_clerk: User, broker: Broker) -> None:
    stuck = accepted_without_routing(huangpu_clerk)
    assert services.case_route(case_id=stuck.pk, transfer_number=stuck.transfer_number).status in ("routed", "held")
    events = Case.objects.get(pk=stuck.pk).events.count()
    assert tasks.route_case.apply(args=(stuck.pk, stuck.transfer_number)).get() == "already"
    assert Case.objects.get(pk=stuck.pk).events.count() == events


def test_an_acceptance_answers_200_and_is_kept_when_the_broker_is_down_and_the_sweep_sends_it_later(
    huangpu_clerk: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    down = Broker(down=True)
    monkeypatch.setattr(tasks.route_case, "apply_async", down)
    case = f.record_checks(f.submitted_case(version=f.make_item()), huangpu_clerk)
    client = APIClient()
    client.force_authenticate(huangpu_clerk)
    with (
        caplog.at_level(logging.ERROR, logger="cases.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(f"/api/cases/{case.reference}/accept/")
    assert response.status_code == 200, response.content
    assert callbacks, "the enqueue ran after commit, and failed"
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED
    assert any(
        "could not be queued" in record.getMessage() and str(case.pk) in record.getMessage()
        for record in caplog.records
    )
    # The sweep fails too while the broker is down, and does not hold back the next try.
    assert services.case_routing_sweep(now=timezone.now() + dt.timedelta(minutes=2))["failed"] == 1
    up = Broker()
    monkeypatch.setattr(tasks.route_case, "apply_async", up)
    assert services.case_routing_sweep(now=timezone.now() + dt.timedelta(minutes=3))["queued"] == 1
    assert Case.objects.get(pk=case.pk).state == CaseState.TRANSFERRED


def test_the_beat_runs_the_sweep_every_minute() -> None:
    from govservice.celery import app

    entry = BEAT_SCHEDULE["cases-sweep-routing"]
    assert entry["task"] == "cases.sweep_routing" and entry["schedule"] == 60.0
    assert entry["options"]["expires"] < entry["schedule"]
    assert "cases.sweep_routing" in app.tasks


def test_the_celery_app_carries_the_cases_beat_entries() -> None:
    from govservice.celery import app

    assert app.conf.beat_schedule["cases-sweep-routing"]["task"] == "cases.sweep_routing"
    assert app.conf.beat_schedule["cases-scan-deadlines"]["task"] == "cases.scan_deadlines"
    assert app.conf.beat_schedule["helpdesk-assist-sweep"]["task"] == "helpdesk.assist_sweep"
