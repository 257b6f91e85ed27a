"""Quiet logs (issue 16, item 8): routine sweeps at DEBUG, and no ERROR for the start-up health probe."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from govservice.celery import RoutineAtDebug, routine_task_names

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
