"""The loop with real processes: a Celery worker on the Redis broker, uvicorn, WebSockets; SIGKILL; a race."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psutil
import pytest
import websockets
from django.core.management import call_command
from django.db import connection
from django.test import Client
from websockets.asyncio.client import ClientConnection
from websockets.typing import Origin

from accounts.models import User
from cases import services
from cases.models import Case, CaseState
from cases.services import routing as routing_services
from govservice import stack
from tests import factories as f
from tests.races import run_together

if TYPE_CHECKING:
    import subprocess

    from tests.conftest import LiveStack

T = TypeVar("T")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(predicate: Callable[[], T | None], *, timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def state_of(case: Case) -> str:
    return Case.objects.values_list("state", flat=True).get(pk=case.pk)


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def next_event(socket: ClientConnection, wanted_state: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message: dict[str, Any] = json.loads(
            await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic()))
        )
        if message.get("type") == "case.updated" and message.get("state") == wanted_state:
            return message


def test_accepted_in_huangpu_approved_in_shushan_delivered_back_through_huangpu(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    huangpu_clerk = f.make_user("clerk", code=f.HUANGPU)
    shushan_clerk = f.make_user("clerk", code=f.SHUSHAN)
    case = f.submitted_case(applicant=citizen, version=f.make_item())

    cookies = {user.pk: {"Cookie": f"sessionid={session_cookie(user)}"} for user in (citizen, shushan_clerk)}

    def connect(user: User) -> websockets.connect:
        return websockets.connect(
            live_stack.ws("/ws/events/"), additional_headers=cookies[user.pk], origin=Origin(live_stack.http_url)
        )

    async def accept_and_listen() -> tuple[dict[str, Any], dict[str, Any]]:
        async with connect(citizen) as applicant_socket, connect(shushan_clerk) as shushan_socket:
            for socket in (applicant_socket, shushan_socket):
                assert json.loads(await socket.recv())["type"] == "hello"
            # The acceptance commits, then the routing task goes to district.340104 on the real broker.
            await asyncio.to_thread(f.accept_checked, case, huangpu_clerk)
            heard_by_clerk = await next_event(shushan_socket, "transferred")
            heard_by_applicant = await next_event(applicant_socket, "transferred")
            return heard_by_clerk, heard_by_applicant

    by_clerk, by_applicant = asyncio.run(accept_and_listen())
    assert by_clerk["reference"] == by_applicant["reference"] == case.reference
    case.refresh_from_db()
    assert case.state == CaseState.TRANSFERRED
    assert case.approving_district.division_code == f.SHUSHAN
    assert case.approving_clerk == shushan_clerk
    transfer = case.events.get(action="transferred")
    assert transfer.district_code == f.SHUSHAN and transfer.actor_role == "system"

    case = services.case_review_start(case=case, actor=shushan_clerk)
    case = services.case_approve(case=case, actor=shushan_clerk, reason="材料齐全")
    case = services.case_deliver(case=case, actor=huangpu_clerk, method="pickup")
    case = services.case_close(case=case, actor=citizen)
    delivered = case.events.get(action="delivered")
    assert delivered.district_code == f.HUANGPU and delivered.window_code == f"{f.HUANGPU}-YRD"
    out = io.StringIO()
    call_command("verify_case_chain", case.reference, stdout=out)
    assert "chain OK" in out.getvalue()


def _pool_children(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    return psutil.Process(proc.pid).children(recursive=True)


def test_a_worker_killed_with_sigkill_mid_routing_loses_no_case_and_moves_none_twice(
    live_stack: LiveStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cases.tasks import route_case

    queue = f"cases-kill-test-{uuid.uuid4().hex[:8]}"
    hold_file = tmp_path / "hold"
    hold_file.write_text("hold")
    # Only this test's own worker listens on this queue, and only it holds in the middle of routing.
    monkeypatch.setattr(
        routing_services,
        "_enqueue_route",
        lambda case_id, number, _queue: route_case.apply_async(args=(case_id, number), queue=queue),
    )
    supervisor = stack.Supervisor()
    env = {**live_stack.env, "CASES_ROUTING_HOLD_FILE": str(hold_file)}
    try:
        worker = supervisor.spawn(
            "kill-test-worker",
            # tests.worker_hooks holds routing while the hold file exists (CASES_ROUTING_HOLD_FILE).
            [
                *stack.celery_worker_args(concurrency=1, hostname=f"kill-{uuid.uuid4().hex[:6]}@%h", queues=[queue]),
                "--include",
                "tests.worker_hooks",
            ],
            env=env,
        )
        citizen = f.make_user("citizen")
        huangpu_clerk = f.make_user("clerk", code=f.HUANGPU)
        shushan_clerk = f.make_user("clerk", code=f.SHUSHAN)
        case = f.submitted_case(applicant=citizen, version=f.make_item())
        case = f.accept_checked(case, huangpu_clerk)

        # The attempt is counted (own transaction), the move is held open inside its transaction.
        wait_for(lambda: Case.objects.get(pk=case.pk).routing_attempts == 1, timeout=60, what="first attempt")
        time.sleep(0.3)
        assert state_of(case) == CaseState.ACCEPTED
        children = _pool_children(worker)
        assert children, "the prefork pool has a child running the task"
        for child in children:
            os.kill(child.pid, signal.SIGKILL)
        hold_file.unlink()

        # reject_on_worker_lost puts the message back; a fresh child routes the case exactly once.
        wait_for(lambda: state_of(case) == CaseState.TRANSFERRED, timeout=60, what="the redelivered routing")
        case.refresh_from_db()
        assert case.routing_attempts == 2
        assert case.approving_clerk == shushan_clerk
        assert case.events.filter(action="transferred").count() == 1

        # A duplicated message for the same transfer does nothing.
        import redis as redis_lib

        route_case.apply_async(args=(case.pk, case.transfer_number), queue=queue)
        broker = redis_lib.Redis.from_url(os.environ["REDIS_URL"])
        wait_for(lambda: broker.llen(queue) == 0, timeout=30, what="the duplicate to be taken")
        time.sleep(1.0)
        case.refresh_from_db()
        assert case.events.filter(action="transferred").count() == 1
        assert case.routing_attempts == 2
        out = io.StringIO()
        call_command("verify_case_chain", case.reference, stdout=out)
        assert "chain OK" in out.getvalue()
    finally:
        supervisor.stop_all()


@pytest.mark.postgres
def test_two_clerks_claiming_the_same_case_at_once_exactly_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    citizen = f.make_user("citizen")
    huangpu_clerk = f.make_user("clerk", code=f.HUANGPU)
    clerks = [f.make_user("clerk", code=f.SHUSHAN), f.make_user("clerk", code=f.SHUSHAN)]
    results: dict[int, str] = {}
    monkeypatch.setattr(routing_services, "_enqueue_route", lambda *args: None)  # routed by hand below
    for _round in range(3):
        case = f.submitted_case(applicant=citizen, version=f.make_item())
        case = f.accept_checked(case, huangpu_clerk)
        assert services.case_route(case_id=case.pk, transfer_number=case.transfer_number).status == "routed"
        outcomes = run_together(
            *(partial(services.case_review_start, case=Case.objects.get(pk=case.pk), actor=clerk) for clerk in clerks),
            expected=(services.TransitionNotAllowed,),
            timeout=30,
        )
        for clerk, outcome in zip(clerks, outcomes, strict=True):
            results[clerk.pk] = "lost" if isinstance(outcome, services.TransitionNotAllowed) else "won"
        assert sorted(results.values()) == ["lost", "won"]
        case.refresh_from_db()
        winner = next(pk for pk, outcome in results.items() if outcome == "won")
        assert case.state == CaseState.IN_REVIEW and case.approving_clerk_id == winner
        assert case.events.filter(action="recognised").count() == 1
        results.clear()
