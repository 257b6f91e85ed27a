"""Quiet logs (issue 16, item 8): routine sweeps at DEBUG, no ERROR for the start-up health probe or for a
WebSocket client that left while a message was on its way, no step-by-step lines for each PDF made."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest

from govservice.celery import RoutineAtDebug, routine_task_names
from govservice.ws_guard import CLOSE_ABNORMAL, CLOSE_INTERNAL_ERROR, GuardedJsonConsumer

if TYPE_CHECKING:
    from django.test import Client


@pytest.mark.django_db
def test_the_start_up_probe_is_not_logged_as_an_error_while_the_worker_is_down(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # No worker runs in the test process: /healthz answers 503.
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/healthz", {"probe": "startup"}).status_code == 503
    assert not [r for r in caplog.records if r.name == "django.request"]
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/healthz").status_code == 503  # any other probe: a real outage, logged
    assert [r.levelno for r in caplog.records if r.name == "django.request"] == [logging.ERROR]


def _record(name: str, msg: str, args: object, level: int = logging.INFO) -> logging.LogRecord:
    # As a logger makes it: a single mapping argument becomes the record's `args` (Celery logs task lines so).
    return logging.LogRecord(name, level, __file__, 1, msg, args if isinstance(args, tuple) else (args,), None)


def test_routine_beat_tasks_are_logged_at_debug_and_other_tasks_at_info() -> None:
    routine = routine_task_names()
    assert "helpdesk.assist_sweep" in routine and "helpdesk-assist-sweep" in routine
    quiet = RoutineAtDebug(routine)
    logging.getLogger("celery.app.trace").setLevel(logging.INFO)
    sweep = _record("celery.app.trace", "Task %(name)s[%(id)s] succeeded", {"name": "helpdesk.assist_sweep", "id": "x"})
    assert quiet.filter(sweep) is False and sweep.levelname == "DEBUG"
    beat = _record(
        "celery.beat", "Scheduler: Sending due task %s (%s)", ("helpdesk-assist-sweep", "helpdesk.assist_sweep")
    )
    assert quiet.filter(beat) is False
    routed = _record("celery.app.trace", "Task %(name)s[%(id)s] succeeded", {"name": "cases.route_case", "id": "y"})
    assert quiet.filter(routed) is True and routed.levelno == logging.INFO
    failed = _record(
        "celery.app.trace", "Task %(name)s[%(id)s] raised", {"name": "helpdesk.assist_sweep"}, logging.ERROR
    )
    assert quiet.filter(failed) is True and failed.levelno == logging.ERROR
    logging.getLogger("celery.app.trace").setLevel(logging.DEBUG)
    assert quiet.filter(_record("celery.app.trace", "%(name)s", {"name": "helpdesk.assist_sweep"})) is True
    logging.getLogger("celery.app.trace").setLevel(logging.NOTSET)


class _Echo(GuardedJsonConsumer):
    """Answers each message; records how it was told the socket ended."""

    channel_layer_alias = "no-such-layer"  # no channel layer: this test is about the socket alone
    ended: list[int] = []

    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"echo": content})

    async def disconnect(self, code: int) -> None:
        self.ended.append(code)


def _run_echo(failure: Exception) -> None:
    """One socket: connect, one message; the server's send of the answer raises `failure`."""
    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": '{"hello": 1}'},
    ]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(5)  # the server would say the client is gone; this test never gets here
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            raise failure

    scope = {"type": "websocket", "path": "/ws/echo/", "headers": [], "query_string": b""}
    application: Any = _Echo.as_asgi()  # called as a server calls it, with plain dicts
    asyncio.run(asyncio.wait_for(application(scope, receive, send), 3))


def test_a_client_gone_while_a_message_is_sent_is_no_error_and_the_socket_still_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # ASGI: a server raises a subclass of OSError when the application sends to a connection already closed
    # (uvicorn's ClientDisconnected). That is a browser tab closed, not a failure of the server.
    _Echo.ended = []
    with caplog.at_level(logging.DEBUG, logger="govservice.ws_guard"):
        _run_echo(ConnectionResetError("client went away"))
    assert _Echo.ended == [CLOSE_ABNORMAL]  # what a closed socket means is still recorded
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_any_other_failure_while_sending_is_logged_and_closes_with_1011(caplog: pytest.LogCaptureFixture) -> None:
    _Echo.ended = []
    with caplog.at_level(logging.DEBUG, logger="govservice.ws_guard"):
        _run_echo(RuntimeError("the channel layer went away"))
    assert _Echo.ended == [CLOSE_INTERNAL_ERROR]
    assert [r.levelno for r in caplog.records if r.name == "govservice.ws_guard"] == [logging.ERROR]


def test_making_a_pdf_logs_nothing_below_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from weasyprint import HTML  # type: ignore[import-untyped]  # no stubs, no py.typed

    with caplog.at_level(logging.DEBUG):
        assert HTML(string="<p>受理通知书</p>").write_pdf().startswith(b"%PDF")
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno < logging.WARNING]
